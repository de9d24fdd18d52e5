//! The blocking-call catalog (`grammars/catalog/blocking.json`): calls that
//! block the event loop, what they block on and what to use instead.

use regex::Regex;
use serde::{Deserialize, Serialize};

const CATALOG: &str = include_str!("../../grammars/catalog/blocking.json");

/// One entry of the catalog.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    /// Short identifier.
    pub id: String,
    /// Regex over a statement's code.
    pub pattern: String,
    /// The API, for people.
    pub api: String,
    /// What the call waits for.
    pub blocks_on: String,
    /// What to use instead.
    pub replacement: String,
    /// Higher is more likely to be the culprit.
    pub weight: u32,
    /// Code that must match.
    pub examples: Vec<String>,
    /// Code that must not match.
    #[serde(default)]
    pub counter_examples: Vec<String>,
}

#[derive(Deserialize)]
struct File {
    entries: Vec<Entry>,
}

/// The compiled catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Entries with their compiled patterns.
    pub entries: Vec<(Entry, Regex)>,
}

/// A blocking call found in a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// The catalog entry's id.
    pub id: String,
    /// The matched text.
    pub call: String,
    /// The API.
    pub api: String,
    /// What it blocks on.
    pub blocks_on: String,
    /// What to use instead.
    pub replacement: String,
    /// The entry's weight.
    pub weight: u32,
}

impl Catalog {
    /// Loads the embedded catalog.
    pub fn builtin() -> Catalog {
        let file: File =
            serde_json::from_str(CATALOG).expect("grammars/catalog/blocking.json is valid");
        let entries = file
            .entries
            .into_iter()
            .map(|e| {
                let r = Regex::new(&e.pattern)
                    .unwrap_or_else(|err| panic!("catalog entry {}: {err}", e.id));
                (e, r)
            })
            .collect();
        Catalog { entries }
    }

    /// The blocking calls in a statement's code. A call right after `await`
    /// is asynchronous and never counts.
    pub fn find(&self, code: &str) -> Vec<Hit> {
        let mut out = Vec::new();
        for (e, r) in &self.entries {
            for m in r.find_iter(code) {
                let before = code[..m.start()].trim_end();
                let callee_start = before
                    .char_indices()
                    .rev()
                    .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
                    .map_or(0, |(i, c)| i + c.len_utf8());
                let awaited = before.ends_with("await")
                    || code[..callee_start.min(m.start())]
                        .trim_end()
                        .ends_with("await");
                if awaited || code.trim_start().starts_with("async for ") && e.id == "cpu.loop" {
                    continue;
                }
                let call = m.as_str().trim().trim_end_matches('(').trim_end();
                out.push(Hit {
                    id: e.id.clone(),
                    call: if m.as_str().ends_with('(') {
                        format!("{call}(...)")
                    } else {
                        call.to_string()
                    },
                    api: e.api.clone(),
                    blocks_on: e.blocks_on.clone(),
                    replacement: e.replacement.clone(),
                    weight: e.weight,
                });
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_finds_its_examples_and_not_its_counter_examples() {
        let c = Catalog::builtin();
        assert!(c.entries.len() >= 20);
        for (e, _) in &c.entries {
            assert!(!e.examples.is_empty(), "{} has no example", e.id);
            for x in &e.examples {
                assert!(
                    c.find(x).iter().any(|h| h.id == e.id),
                    "{}: {x:?} not found",
                    e.id
                );
            }
            for x in &e.counter_examples {
                assert!(
                    !c.find(x).iter().any(|h| h.id == e.id),
                    "{}: {x:?} found",
                    e.id
                );
            }
        }
    }

    #[test]
    fn the_issue_list_is_covered() {
        let c = Catalog::builtin();
        for code in [
            "time.sleep(1)",
            "requests.get(u)",
            "urllib.request.urlopen(u)",
            "http.client.HTTPConnection(h)",
            "sock.recv(10)",
            "subprocess.run(c)",
            "os.system(c)",
            "open(p)",
            "sqlite3.connect(p)",
            "psycopg2.connect(d)",
            "pymysql.connect(h)",
            "redis.Redis()",
            "boto3.client('s3')",
            "fut.result()",
            "lock.acquire()",
            "jobs_queue.get()",
            "input()",
            "json.loads(s)",
            "hashlib.sha256(b)",
            "zlib.compress(b)",
            "pickle.loads(b)",
        ] {
            assert!(!c.find(code).is_empty(), "{code}");
        }
    }
}

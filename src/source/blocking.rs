//! The blocking-call catalog (`grammars/catalog/blocking.json`): calls that
//! block the event loop, what they block on and what to use instead.
//!
//! Most entries are a regex over a statement's code. An entry with
//! `bound_by` is about the names a file binds to a synchronous client or
//! lock (`r = redis.Redis(...)`, `with httpx.Client() as c:`, `lock =
//! threading.Lock()`): its pattern's `{name}` stands for them, and
//! [`Catalog::for_file`] finds them. A call on a name the file binds to an
//! asynchronous client (`async_clients`: aiohttp's `ClientSession`,
//! `httpx.AsyncClient`, `redis.asyncio`) is never a candidate.

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::python::Stmt;

const CATALOG: &str = include_str!("../../grammars/catalog/blocking.json");

/// One entry of the catalog.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    /// Short identifier.
    pub id: String,
    /// Regex over a statement's code; with `bound_by`, `{name}` stands for
    /// the names bound.
    pub pattern: String,
    /// Regex of what binds a name this entry is about (a constructor).
    #[serde(default)]
    pub bound_by: Option<String>,
    /// The API, for people.
    pub api: String,
    /// What the call waits for.
    pub blocks_on: String,
    /// What to use instead.
    pub replacement: String,
    /// Higher is more likely to be the culprit: what the call usually
    /// costs.
    pub weight: u32,
    /// Code that must match (with `bound_by`: statements, one per line,
    /// the last one matching).
    pub examples: Vec<String>,
    /// Code that must not match.
    #[serde(default)]
    pub counter_examples: Vec<String>,
}

#[derive(Deserialize)]
struct File {
    entries: Vec<Entry>,
    #[serde(default)]
    async_clients: Vec<String>,
}

/// The compiled catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Entries with their compiled patterns (`None` for an entry with
    /// `bound_by`, compiled per file) and binders.
    pub entries: Vec<(Entry, Option<Regex>, Option<Regex>)>,
    /// What binds a name to an asynchronous client.
    async_clients: Vec<Regex>,
}

/// The catalog as it applies to one file: the entries about names it
/// binds, compiled for those names, and the names bound to asynchronous
/// clients.
#[derive(Debug, Clone)]
pub struct FileCatalog<'a> {
    catalog: &'a Catalog,
    bound: Vec<(usize, Regex)>,
    async_names: Vec<String>,
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

fn compile(pattern: &str, what: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|err| panic!("catalog entry {what}: {err}"))
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The names a file binds to what `binder` matches: `NAME = binder(...)`,
/// `self.NAME = binder(...)`, `NAME: T = await binder(...)`, `with binder(...)
/// as NAME:`. The last part of a dotted target (`cache` for `self.cache`).
fn bound_names(stmts: &[Stmt], binder: &Regex) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in stmts {
        let code = s.code.as_str();
        for m in binder.find_iter(code) {
            // The whole callee (`store.cursor` for a match on `.cursor(`).
            let start = code[..m.start()]
                .char_indices()
                .rev()
                .find(|&(_, c)| !(is_ident(c) || c == '.'))
                .map_or(0, |(i, c)| i + c.len_utf8());
            let before = code[..start].trim_end();
            let before = before.strip_suffix("await").unwrap_or(before).trim_end();
            let name = if let Some(lhs) = before
                .strip_suffix('=')
                .filter(|l| !l.ends_with(['=', '!', '<', '>']))
            {
                let lhs = lhs.split(':').next().unwrap_or(lhs).trim();
                let target = lhs.rsplit([' ', '(', ',']).next().unwrap_or(lhs);
                target.rsplit('.').next().unwrap_or(target).to_string()
            } else if code.starts_with("with ") || code.starts_with("async with ") {
                let rest = &code[m.end()..];
                match rest.find(" as ") {
                    Some(i) => rest[i + 4..]
                        .trim_start()
                        .chars()
                        .take_while(|&c| is_ident(c))
                        .collect(),
                    None => String::new(),
                }
            } else {
                String::new()
            };
            if !name.is_empty() && name.chars().all(is_ident) && !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
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
                let binder = e.bound_by.as_deref().map(|b| compile(b, &e.id));
                let pattern = if binder.is_some() {
                    // Compiled per file, for the names it binds; checked here.
                    compile(&e.pattern.replace("{name}", "x"), &e.id);
                    None
                } else {
                    Some(compile(&e.pattern, &e.id))
                };
                (e, pattern, binder)
            })
            .collect();
        let async_clients = file
            .async_clients
            .iter()
            .map(|p| compile(p, "async_clients"))
            .collect();
        Catalog {
            entries,
            async_clients,
        }
    }

    /// The catalog as it applies to the file of these statements.
    pub fn for_file<'a>(&'a self, stmts: &[Stmt]) -> FileCatalog<'a> {
        let mut bound = Vec::new();
        for (k, (e, _, binder)) in self.entries.iter().enumerate() {
            let Some(b) = binder else {
                continue;
            };
            let names = bound_names(stmts, b);
            if names.is_empty() {
                continue;
            }
            let alt: Vec<String> = names.iter().map(|n| regex::escape(n)).collect();
            let p = e
                .pattern
                .replace("{name}", &format!("(?:{})", alt.join("|")));
            bound.push((k, compile(&p, &e.id)));
        }
        let mut async_names = Vec::new();
        for r in &self.async_clients {
            async_names.extend(bound_names(stmts, r));
        }
        FileCatalog {
            catalog: self,
            bound,
            async_names,
        }
    }

    /// The blocking calls in a statement's code, with no file around it:
    /// entries about bound names find nothing.
    pub fn find(&self, code: &str) -> Vec<Hit> {
        self.for_file(&[]).find(code)
    }
}

impl FileCatalog<'_> {
    /// The blocking calls in a statement's code. A call right after `await`
    /// is asynchronous and never counts, nor does anything in an `async
    /// with` or `async for` header, nor a call on a name bound to an
    /// asynchronous client.
    pub fn find(&self, code: &str) -> Vec<Hit> {
        let mut out = Vec::new();
        if code.starts_with("async with ") || code.starts_with("async for ") {
            return out;
        }
        for (k, (e, pattern, _)) in self.catalog.entries.iter().enumerate() {
            let r = match pattern {
                Some(r) => r,
                None => match self.bound.iter().find(|(i, _)| *i == k) {
                    Some((_, r)) => r,
                    None => continue,
                },
            };
            for m in r.find_iter(code) {
                let before = code[..m.start()].trim_end();
                let callee_start = before
                    .char_indices()
                    .rev()
                    .find(|(_, c)| !(is_ident(*c) || *c == '.'))
                    .map_or(0, |(i, c)| i + c.len_utf8());
                let awaited = before.ends_with("await")
                    || code[..callee_start.min(m.start())]
                        .trim_end()
                        .ends_with("await");
                // A call in a lambda's body runs when the lambda is called,
                // elsewhere (a timer, a thread, a callback), not here.
                let in_lambda = super::python::has_word(&code[..m.start()], "lambda");
                if awaited || in_lambda || self.on_async_client(code, m.start(), m.as_str()) {
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

    /// Whether a match is a method call on a name bound to an asynchronous
    /// client (`session.get(` with `session = aiohttp.ClientSession()`).
    fn on_async_client(&self, code: &str, start: usize, matched: &str) -> bool {
        if self.async_names.is_empty() {
            return false;
        }
        let lead = matched.len() - matched.trim_start_matches(|c: char| !is_ident(c)).len();
        let from = start + lead;
        let recv: String = code[from..].chars().take_while(|&c| is_ident(c)).collect();
        code[from + recv.len()..].starts_with('.') && self.async_names.contains(&recv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::python::statements;

    /// An example's statements (one per line) and the catalog's hits on the
    /// last one, the file being all of them.
    fn hits(c: &Catalog, example: &str) -> Vec<Hit> {
        let lines: Vec<String> = example.lines().map(str::to_string).collect();
        let st = statements(&lines);
        c.for_file(&st).find(&st.last().unwrap().code)
    }

    #[test]
    fn every_entry_finds_its_examples_and_not_its_counter_examples() {
        let c = Catalog::builtin();
        assert!(c.entries.len() >= 20);
        for (e, _, _) in &c.entries {
            assert!(!e.examples.is_empty(), "{} has no example", e.id);
            for x in &e.examples {
                assert!(
                    hits(&c, x).iter().any(|h| h.id == e.id),
                    "{}: {x:?} not found",
                    e.id
                );
            }
            for x in &e.counter_examples {
                assert!(
                    !hits(&c, x).iter().any(|h| h.id == e.id),
                    "{}: {x:?} found",
                    e.id
                );
            }
        }
    }

    #[test]
    fn async_clients_and_lambdas_are_never_candidates() {
        let c = Catalog::builtin();
        for x in [
            "async with session.get(url) as r:",
            "async with aiohttp.ClientSession() as session:\nr = session.get(url)",
            "client = httpx.AsyncClient()\nclient.post(url)",
            "r = redis.asyncio.Redis()\nr.get(key)",
            "resp = await session.get(url)",
            "async for row in cursor.fetchall():",
            "later(0.3, lambda: Path(p).write_text('x'))",
        ] {
            assert_eq!(hits(&c, x), vec![], "{x:?}");
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

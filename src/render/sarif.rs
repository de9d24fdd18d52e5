//! `--format sarif`: SARIF 2.1.0 for code scanning dashboards.
//!
//! One rule per code of the catalog ([`crate::rules`]: name, short and full
//! description, help), one result per site with its physical location, a
//! partial fingerprint that stays the same across runs for the same site
//! (`aiolog/v1`: a hash of code, path, line, function and subject; never ids,
//! addresses or times), and the runtime evidence (count, blocked seconds) in
//! the result's properties. `tests/formats.rs` validates the output against
//! the official SARIF 2.1.0 JSON schema.
//!
//! Paths: with `--src`, a file found under the roots is written relative to
//! its repository (the git top level, else the current directory; after the
//! path maps) with `uriBaseId` `%SRCROOT%`, at the blocking call's line where
//! the source confirms it, with the warning's line as a related location.
//! Otherwise one that lies under the current directory is written relative
//! to it (with `%SRCROOT%`); any other absolute path as a `file://` URI;
//! paths as the log printed them otherwise.

use serde_json::{json, Value};
use std::io::{self, Write};

use super::Sink;
use crate::report::Report;
use crate::rules::RULES;

/// The SARIF renderer.
pub struct Sarif<W: Write> {
    out: W,
}

impl<W: Write> Sarif<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        Sarif { out }
    }
}

/// Percent-encodes what a URI reference cannot hold as is.
fn encode(path: &str) -> String {
    let mut s = String::new();
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b':'
            | b'@'
            | b'+'
            | b'=' => s.push(b as char),
            b'\\' => s.push('/'),
            _ => s.push_str(&format!("%{b:02X}")),
        }
    }
    s
}

fn artifact(path: &str) -> Value {
    if let Ok(cwd) = std::env::current_dir() {
        let cwd = cwd.to_string_lossy().into_owned();
        if let Some(rest) = path.strip_prefix(&format!("{cwd}/")) {
            return json!({"uri": encode(rest), "uriBaseId": "%SRCROOT%"});
        }
    }
    if path.starts_with('/') {
        json!({"uri": format!("file://{}", encode(path))})
    } else {
        json!({"uri": encode(path)})
    }
}

/// The SARIF log as a value.
pub fn sarif(r: &Report) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.why},
                "help": {"text": rule.fix, "markdown": rule.fix},
                "defaultConfiguration": {"level": "warning"},
                "properties": {"kind": rule.kind},
            })
        })
        .collect();
    let results: Vec<Value> = r
        .ranked
        .iter()
        .enumerate()
        .map(|(i, rk)| {
            let g = &rk.group;
            let subject = g.subject.as_deref().unwrap_or("");
            let mut props = json!({
                "kind": g.key.kind,
                "subject": g.subject,
                "count": g.count,
                "rank": rk.rank,
                "siteBasis": g.basis,
                "location": g.location,
                "createdAt": g.created_at,
                "owners": r.owners.get(i).cloned().unwrap_or_default(),
                "duringShutdown": g.key.shutdown,
            });
            if g.key.kind.timed() {
                props["totalSeconds"] = json!(g.total_ms() as f64 / 1000.0);
                props["maxSeconds"] = json!(g.max_ms().unwrap_or(0) as f64 / 1000.0);
                props["p95Seconds"] = json!(g.p95_ms().unwrap_or(0) as f64 / 1000.0);
            }
            let mut res = json!({
                "ruleId": g.code,
                "ruleIndex": RULES.iter().position(|x| x.code == g.code).unwrap_or(0),
                "level": r.severity_of(g.code),
                "message": {"text": format!("{}: {}", if subject.is_empty() { "?" } else { subject }, rk.why)},
                "properties": props,
            });
            let (path, line, func) = match &g.key.site {
                Some(s) => (s.path.as_str(), s.line.to_string(), s.function.as_deref().unwrap_or("")),
                None => ("", String::new(), ""),
            };
            res["partialFingerprints"] = json!({"aiolog/v1": crate::noise::hash_parts(&[g.code, path, &line, func, subject])});
            if let Some(site) = &g.key.site {
                // Relative to the --src root when the source was found there.
                let ev = r.read_evidence(i);
                let annotation = ev.and_then(|e| e.annotation.as_ref());
                let in_repo = |p: &str| json!({"uri": encode(p), "uriBaseId": "%SRCROOT%"});
                let (artifact, line) = match annotation {
                    Some(a) => (in_repo(&a.at.path), a.at.line as u64),
                    None => (artifact(&site.path), u64::from(site.line.max(1))),
                };
                let mut loc = json!({
                    "physicalLocation": {
                        "artifactLocation": artifact,
                        "region": {"startLine": line},
                    }
                });
                if let Some(w) = annotation.and_then(|a| a.warned.as_ref()) {
                    // At the blocking call: the line asyncio's warning
                    // names is a related location.
                    res["relatedLocations"] = json!([{
                        "id": 1,
                        "message": {"text": "the line asyncio's warning names"},
                        "physicalLocation": {
                            "artifactLocation": in_repo(&w.path),
                            "region": {"startLine": w.line},
                        }
                    }]);
                } else if let Some(c) = ev.and_then(|e| e.candidates.first()) {
                    // The blocking call itself, as a related location.
                    res["relatedLocations"] = json!([{
                        "id": 1,
                        "message": {"text": format!("{} blocks on {}", c.hit.call, c.hit.blocks_on)},
                        "physicalLocation": {
                            "artifactLocation": loc["physicalLocation"]["artifactLocation"].clone(),
                            "region": {"startLine": c.line.max(1)},
                        }
                    }]);
                }
                if let Some(e) = ev {
                    loc["message"] = json!({"text": e.summary});
                }
                if let Some(sampled) = r.sampled(i) {
                    // Sampled during the stall: the statement is the
                    // result's location; the await asyncio's warning named
                    // and the handler a framework called are related ones.
                    res["properties"]["sampled"] = json!({
                        "votes": sampled.votes,
                        "samples": sampled.samples,
                        "calls": sampled.calls,
                        "handler": sampled.handler,
                        "task": sampled.task,
                        "route": sampled.route,
                    });
                    let mut related = Vec::new();
                    let warned = g.location.as_deref().and_then(|l| l.rsplit_once(':'));
                    if let Some((p, l)) = warned.and_then(|(p, l)| Some((p, l.parse::<u32>().ok()?))) {
                        related.push(("the line asyncio's warning names", p.to_string(), l));
                    }
                    if let Some(h) = &sampled.handler {
                        related.push(("the handler the framework called", h.frame.path.clone(), h.frame.line));
                    }
                    res["relatedLocations"] = related
                        .into_iter()
                        .enumerate()
                        .map(|(n, (text, p, l))| json!({
                            "id": n + 1,
                            "message": {"text": text},
                            "physicalLocation": {"artifactLocation": self::artifact(&p), "region": {"startLine": l.max(1)}},
                        }))
                        .collect();
                }
                res["locations"] = json!([loc]);
            }
            res
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "aiolog",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    })
}

impl<W: Write> Sink for Sarif<W> {
    fn finish(&mut self, r: &Report) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut self.out, &sarif(r))?;
        writeln!(self.out)?;
        self.out.flush()
    }
}

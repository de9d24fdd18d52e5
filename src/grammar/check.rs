//! Reading a grammar file and checking it against its own samples, in the
//! manner of lnav's format checks: every sample matches the whole line and
//! yields exactly its declared fields, no counter-sample matches.

use regex::Regex;
use std::collections::BTreeMap;

use super::{
    normalize_timestamp, Grammar, GrammarError, GrammarFile, Layer, FIELDS, WRAPPER_FIELDS,
};

/// Reads a grammar file. Its pattern is compiled by [`check`], or when
/// first used.
pub(super) fn parse(file: &str, text: &str) -> Result<Grammar, GrammarError> {
    let def: GrammarFile = serde_json::from_str(text).map_err(|e| GrammarError::Json {
        file: file.to_string(),
        message: e.to_string(),
    })?;
    Ok(Grammar::new(def, file.to_string()))
}

/// The names of a pattern's named groups (`(?P<name>…)`, `(?<name>…)`), in
/// order, read from its text without compiling it: escapes and character
/// classes skipped. What the regex says for every built-in pattern (the
/// test `group_names_are_the_regexs`); a user's pattern is compiled when
/// it is loaded and asked instead.
pub(super) fn group_names(pattern: &str) -> Vec<&str> {
    let b = pattern.as_bytes();
    let (mut names, mut i, mut class) = (Vec::new(), 0, 0usize);
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' => {
                class += 1;
                // A `]` (after a `^`) first in a class is literal.
                i += 1 + b[i + 1..].starts_with(b"^") as usize;
                if b.get(i) == Some(&b']') {
                    i += 1;
                }
                continue;
            }
            b']' if class > 0 => class -= 1,
            b'(' if class == 0 => {
                let rest = &pattern[i + 1..];
                if let Some(r) = rest.strip_prefix("?P<").or_else(|| rest.strip_prefix("?<")) {
                    if let Some(end) = r.find('>') {
                        names.push(&r[..end]);
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    names
}

/// Checks a grammar against its own samples. Each rule has a reason and a
/// hint, as lnav's format checks do.
pub fn check(g: &Grammar) -> Result<(), GrammarError> {
    let fail = |problem: String, help: &str| GrammarError::Check {
        file: g.file.clone(),
        problem,
        help: help.to_string(),
    };
    let regex = Regex::new(&g.def.pattern).map_err(|e| GrammarError::Pattern {
        file: g.file.clone(),
        message: e.to_string(),
    })?;
    let regex = g.regex.get_or_init(|| regex);
    for name in regex.capture_names().flatten() {
        if !FIELDS.contains(&name) {
            return Err(fail(
                format!("pattern has an unknown group `{name}`"),
                "groups may be: timestamp, level, logger, pid, message (and in a wrapper: source, partial)",
            ));
        }
        if g.layer == Layer::Record && WRAPPER_FIELDS.contains(&name) {
            return Err(fail(
                format!("a record grammar cannot capture `{name}`"),
                "a record's prefix is on its first line only; `source` and `partial` describe every physical line, so only a grammar with \"layer\": \"wrapper\" may capture them",
            ));
        }
    }
    if !regex.capture_names().flatten().any(|n| n == "message") {
        return Err(fail(
            "pattern has no `message` group".into(),
            "capture the message with (?P<message>.*)",
        ));
    }
    if g.samples.is_empty() {
        return Err(fail(
            "no samples".into(),
            "log message samples must be included in a grammar definition",
        ));
    }
    if regex.capture_names().flatten().any(|n| n == "timestamp") && g.timestamp_format.is_none() {
        return Err(fail(
            "pattern captures a timestamp but has no `timestamp_format`".into(),
            "add the chrono format of the timestamp, for example \"%Y-%m-%d %H:%M:%S,%3f\"",
        ));
    }
    for (i, s) in g.samples.iter().enumerate() {
        let Some(c) = regex.captures(&s.line) else {
            return Err(fail(
                format!("sample {} does not match the pattern: {:?}", i + 1, s.line),
                "fix the pattern or the sample; every sample must match",
            ));
        };
        let whole = c.get(0).unwrap();
        if whole.start() != 0 || whole.end() != s.line.len() {
            return Err(fail(
                format!("pattern does not match the entire sample {}", i + 1),
                "update the regular expression to fully capture the sample line",
            ));
        }
        let mut got = BTreeMap::new();
        for name in regex.capture_names().flatten() {
            if let Some(m) = c.name(name) {
                got.insert(name.to_string(), m.as_str().to_string());
            }
        }
        if got != s.fields {
            return Err(fail(
                format!(
                    "sample {} yields {:?}, but declares {:?}",
                    i + 1,
                    got,
                    s.fields
                ),
                "declare exactly the fields the pattern captures from the sample",
            ));
        }
        if let Some(ts) = got.get("timestamp") {
            let fmt = g.timestamp_format.as_deref().unwrap_or_default();
            let norm = normalize_timestamp(ts, std::iter::once(fmt)).unwrap_or_default();
            if norm == *ts {
                return Err(fail(
                    format!("sample {}: timestamp {ts:?} cannot be read", i + 1),
                    "make `timestamp_format` match the timestamps the pattern captures",
                ));
            }
        }
    }
    for s in &g.counter_samples {
        if regex.is_match(s) {
            return Err(fail(
                format!("counter-sample matches the pattern: {s:?}"),
                "tighten the pattern so that it matches only its own dialect",
            ));
        }
    }
    Ok(())
}

//! Baselines: the fingerprint of a finding group across runs, and the
//! baseline files that list them.

use std::collections::HashSet;
use std::path::Path;

use crate::aggregate::{Group, Ranked};
use crate::input::describe_io_error;
use crate::source::analyze::Evidence;

/// FNV-1a, 64 bits, over the parts with a NUL after each: small and stable
/// across platforms and versions (baselines and SARIF fingerprints).
pub fn hash_parts(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The stable fingerprint of a finding group: kind, rule, site path,
/// function and subject, anchored on the source statement when it was read
/// (so that unrelated line shifts do not change it), else on the line.
pub fn fingerprint(g: &Group, ev: Option<&Evidence>) -> String {
    let (path, line, func) = match &g.key.site {
        Some(s) => (
            s.path.as_str(),
            s.line.to_string(),
            s.function.as_deref().unwrap_or(""),
        ),
        None => ("", String::new(), ""),
    };
    let anchor = ev
        .filter(|e| e.source == crate::source::analyze::SourceStatus::Read)
        .and_then(|e| {
            e.code
                .iter()
                .find(|c| c.line.to_string() == line)
                .map(|c| c.text.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .unwrap_or(line);
    hash_parts(&[
        g.key.kind.as_str(),
        g.code,
        path,
        func,
        g.subject.as_deref().unwrap_or(""),
        &anchor,
        if g.key.shutdown { "shutdown" } else { "" },
    ])
}

/// The fingerprints a baseline file lists.
pub fn load_baseline(path: &Path) -> Result<HashSet<String>, String> {
    let text = std::fs::read(path).map_err(|e| {
        format!(
            "cannot read baseline {}: {}",
            path.display(),
            describe_io_error(&e)
        )
    })?;
    let doc: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| format!("baseline {}: {e}", path.display()))?;
    if doc.get("aiolog_baseline").and_then(|v| v.as_u64()) != Some(1) {
        return Err(format!(
            "{} is not an aiolog baseline (see `aiolog baseline save`)",
            path.display()
        ));
    }
    Ok(doc["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["fingerprint"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

/// The baseline document of ranked groups and their evidence (the overflow
/// groups left out), and how many sites it lists.
pub fn baseline_document(
    ranked: &[Ranked],
    evidence: &[Option<Evidence>],
) -> (serde_json::Value, usize) {
    let entries: Vec<serde_json::Value> = ranked
        .iter()
        .zip(evidence)
        .filter(|(rk, _)| !rk.group.key.other)
        .map(|(rk, ev)| {
            let g = &rk.group;
            serde_json::json!({
                "fingerprint": fingerprint(g, ev.as_ref()),
                "kind": g.key.kind,
                "rule": g.code,
                "site": g.key.site,
                "subject": g.subject,
                "count": g.count,
            })
        })
        .collect();
    let n = entries.len();
    (
        serde_json::json!({"aiolog_baseline": 1, "findings": entries}),
        n,
    )
}

/// The first `n` ranked groups of each kind (`--top`), asked in ranking
/// order.
pub fn top_per_kind(n: usize) -> impl FnMut(&Ranked) -> bool {
    let mut seen: std::collections::HashMap<crate::kinds::Kind, usize> = Default::default();
    move |rk| {
        let c = seen.entry(rk.group.key.kind).or_default();
        *c += 1;
        *c <= n
    }
}

//! Reading JSON reports back, for `aiolog merge`: a fleet's logs analyzed
//! where they are, summarized in one place.
//!
//! # Brief overview
//! [`read_report`] turns a document of `--format json` back into an
//! aggregate and a line account. Counts, totals and the exact duration
//! histograms (`histogram_ms`) add up, so percentiles are recomputed exactly;
//! sites are deduplicated by (kind, site). Merging the reports of two halves of
//! a log gives the report of the whole log in every count and total.

use serde_json::Value;

use crate::aggregate::{Aggregator, Group, GroupKey, TimePoint};
use crate::correlate::{Basis, Site};
use crate::kinds::Kind;
use crate::report::InputWire;
use crate::report::LineStats;
use crate::rules;

/// A report that cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MergeError(pub String);

fn field<'v>(v: &'v Value, name: &str) -> Result<&'v Value, MergeError> {
    v.get(name)
        .ok_or_else(|| MergeError(format!("missing field `{name}`")))
}

fn u64_of(v: &Value, name: &str) -> Result<u64, MergeError> {
    field(v, name)?
        .as_u64()
        .ok_or_else(|| MergeError(format!("`{name}` is not a whole number")))
}

fn opt_string(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_string)
}

/// Adds the report `doc` to `agg`, `stats` and `inputs`.
pub fn read_report(
    doc: &Value,
    agg: &mut Aggregator,
    stats: &mut LineStats,
    inputs: &mut Vec<String>,
) -> Result<(), MergeError> {
    if doc.get("version").and_then(Value::as_u64) != Some(1) {
        return Err(MergeError("not an aiolog JSON report of version 1".into()));
    }
    let input: InputWire = serde_json::from_value(field(doc, "input")?.clone())
        .map_err(|e| MergeError(format!("input: {e}")))?;
    stats.merge(&input.stats());
    inputs.extend(input.files);
    let timeline: Vec<TimePoint> = match doc.get("timeline") {
        Some(t) => {
            serde_json::from_value(t.clone()).map_err(|e| MergeError(format!("timeline: {e}")))?
        }
        None => Vec::new(),
    };
    let findings = field(doc, "findings")?
        .as_array()
        .ok_or_else(|| MergeError("`findings` is not a list".into()))?;
    for (i, f) in findings.iter().enumerate() {
        let g = group(f).map_err(|e| MergeError(format!("finding {}: {}", i + 1, e.0)))?;
        // The timeline goes in once, with the first group.
        agg.insert_group(g, if i == 0 { &timeline } else { &[] });
    }
    Ok(())
}

fn group(f: &Value) -> Result<Group, MergeError> {
    let kind: Kind =
        serde_json::from_value(field(f, "kind")?.clone()).map_err(|e| MergeError(e.to_string()))?;
    let site: Option<Site> = match f.get("site") {
        Some(Value::Null) | None => None,
        Some(s) => {
            Some(serde_json::from_value(s.clone()).map_err(|e| MergeError(format!("site: {e}")))?)
        }
    };
    let subject = opt_string(f, "subject");
    let other = f.get("other").and_then(Value::as_bool).unwrap_or(false);
    let basis: Basis = f
        .get("site_basis")
        .and_then(|b| serde_json::from_value(b.clone()).ok())
        .unwrap_or(Basis::Unknown);
    let code = f
        .get("rule")
        .and_then(Value::as_str)
        .and_then(rules::by_code)
        .map_or("AIO000", |r| r.code);
    let mut durations_ms = std::collections::BTreeMap::new();
    if let Some(h) = f.get("histogram_ms").and_then(Value::as_object) {
        for (ms, n) in h {
            let ms: u64 = ms
                .parse()
                .map_err(|_| MergeError(format!("histogram_ms key {ms:?}")))?;
            durations_ms.insert(ms, n.as_u64().unwrap_or(0));
        }
    }
    let first = f.get("first_occurrence");
    Ok(Group {
        key: GroupKey {
            kind,
            subject: if site.is_none() {
                subject.clone()
            } else {
                None
            },
            site,
            other,
            shutdown: f
                .get("during_shutdown")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        count: u64_of(f, "count")?,
        durations_ms,
        subject,
        location: opt_string(f, "location"),
        created_at: opt_string(f, "created_at"),
        basis,
        first_seen: opt_string(f, "first_seen"),
        last_seen: opt_string(f, "last_seen"),
        first_input: first
            .and_then(|o| opt_string(o, "input"))
            .unwrap_or_default(),
        first_line: first
            .and_then(|o| o.get("line"))
            .and_then(Value::as_u64)
            .unwrap_or(0),
        code,
        sample_record: opt_string(f, "sample_record").unwrap_or_default(),
        context_before: strings(f.get("context").and_then(|c| c.get("before"))),
        context_after: strings(f.get("context").and_then(|c| c.get("after"))),
        request_ids: strings(f.get("request_ids")),
    })
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

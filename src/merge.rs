//! Reading reports and streams back, for `aiolog merge`: a fleet's logs
//! analyzed where they are, summarized in one place.
//!
//! # Brief overview
//! [`read_report`] turns a document of `--format json` back into an
//! aggregate and a line account. Counts, totals and the exact duration
//! histograms (`histogram_ms`) add up, so percentiles are recomputed exactly;
//! sites are deduplicated by (kind, site). Merging the reports of two halves of
//! a log gives the report of the whole log in every count and total.
//!
//! [`read_stream`] reads NDJSON streams (`--format ndjson`, a fleet's
//! stages): each finding line is one finding, as the analysis emitted it,
//! and each summary line adds its line account. A line may start with the
//! host that sent it (`web1 {"type": …}`, as a syslog collector writes
//! `%hostname% %msg%`); a finding that names no host of its own is that
//! host's.

use serde_json::Value;

use crate::aggregate::{Aggregator, TimePoint};
use crate::correlate::Finding;
use crate::report::{FindingLine, FindingWire, InputWire, LineStats};

/// What [`read_stream`] read.
#[derive(Debug, Default)]
pub struct StreamRead {
    /// The findings, in stream order.
    pub findings: Vec<Finding>,
    /// Summary lines read.
    pub summaries: u64,
    /// Lines that are neither (not JSON, or not aiolog's), and the first.
    pub unreadable: u64,
    /// The first unreadable line's number and why.
    pub first_unreadable: Option<(u64, String)>,
}

/// Whether `text` is one JSON report (`--format json`) rather than a stream.
pub fn is_report(text: &str) -> Option<Value> {
    let t = text.trim_start();
    if !t.starts_with('{') {
        return None;
    }
    let doc: Value = serde_json::from_str(t).ok()?;
    doc.get("version").is_some().then_some(doc)
}

/// Reads an NDJSON stream: its findings, and its summaries' line accounts
/// into `stats` and `inputs`.
pub fn read_stream(text: &str, stats: &mut LineStats, inputs: &mut Vec<String>) -> StreamRead {
    let mut read = StreamRead::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let (host, json) = match line.find('{') {
            Some(0) => (None, line),
            Some(at) => (line[..at].split_whitespace().last(), &line[at..]),
            None => (None, line),
        };
        let bad = |why: String, read: &mut StreamRead| {
            read.unreadable += 1;
            read.first_unreadable.get_or_insert((i as u64 + 1, why));
        };
        let mut v: Value = match serde_json::from_str(json) {
            Ok(v) => v,
            Err(e) => {
                bad(format!("not JSON: {e}"), &mut read);
                continue;
            }
        };
        match v.get("type").and_then(Value::as_str) {
            Some("finding") => match v
                .get_mut("data")
                .map(Value::take)
                .map(serde_json::from_value::<FindingLine>)
            {
                Some(Ok(f)) => read.findings.push(f.finding(host)),
                Some(Err(e)) => bad(format!("a finding that does not read: {e}"), &mut read),
                None => bad("a finding without `data`".into(), &mut read),
            },
            Some("summary") => {
                let input = v
                    .pointer_mut("/data/input")
                    .map(Value::take)
                    .map(serde_json::from_value::<InputWire>);
                match input {
                    Some(Ok(input)) => {
                        stats.merge(&input.stats());
                        let files = input.files.iter();
                        inputs.extend(files.map(|f| match host {
                            Some(h) => format!("{h}:{f}"),
                            None => f.clone(),
                        }));
                        read.summaries += 1;
                    }
                    _ => bad("a summary without its `input` account".into(), &mut read),
                }
            }
            _ => bad("not an aiolog NDJSON line (no `type`)".into(), &mut read),
        }
    }
    read
}

/// A report that cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MergeError(pub String);

fn field<'v>(v: &'v Value, name: &str) -> Result<&'v Value, MergeError> {
    v.get(name)
        .ok_or_else(|| MergeError(format!("missing field `{name}`")))
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
        let g = serde_json::from_value::<FindingWire>(f.clone())
            .map_err(|e| MergeError(format!("finding {}: {e}", i + 1)))?
            .group();
        // The timeline goes in once, with the first group.
        agg.insert_group(g, if i == 0 { &timeline } else { &[] });
    }
    Ok(())
}

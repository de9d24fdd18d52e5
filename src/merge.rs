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

use crate::aggregate::{Aggregator, TimePoint};
use crate::report::{FindingWire, InputWire, LineStats};

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

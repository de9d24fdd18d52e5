//! `--format json`: one document for scripts.
//!
//! # Format
//! ```json
//! {
//!   "version": 1,
//!   "input": {"files": ["app.log"], "bytes": 0, "lines": 0, "parsed_lines": 0,
//!             "passed_through_lines": 0, "skipped_lines": 0, "records": 0,
//!             "unrecognized_records": 0, "truncated_lines": 0,
//!             "invalid_utf8_lines": 0, "findings": 0, "interrupted": false,
//!             "unrecognized_samples": [{"input": "", "line": 0, "reason": "", "text": ""}]},
//!   "summary": {"slow_callback": {"sites": 0, "count": 0, "total_seconds": 0.0}, "...": {}},
//!   "findings": [{"rank": 1, "kind": "slow_callback", "subject": "Repo.save",
//!                 "site": {"path": "", "line": 0, "function": ""}, "site_basis": "",
//!                 "site_note": "",
//!                 "location": "path:line", "created_at": "path:line", "count": 1,
//!                 "total_seconds": 0.0, "max_seconds": 0.0, "p95_seconds": 0.0,
//!                 "first_seen": null, "last_seen": null,
//!                 "first_occurrence": {"input": "", "line": 0}, "other": false, "why": "",
//!                 "histogram_ms": {"251": 2}, "sample_record": ""}],
//!   "timeline": [{"ts": "2024-05-01T12:00:00.123", "ms": 251, "site": "/app/api.py:88"}]
//! }
//! ```
//! `findings` are ordered by kind (the registry's order, `crate::kinds`),
//! then by `rank`. The seconds fields are null for kinds that measure no
//! blocked time; `site`,
//! `location`, `created_at`, `subject` and the timestamps are null when the
//! log does not give them. The README documents every field.

use serde_json::{json, Value};
use std::io::{self, Write};

use super::Sink;
use crate::kinds::Kind;
use crate::report::{FindingWire, InputWire, Report};

/// The JSON renderer.
pub struct Json<W: Write> {
    out: W,
}

impl<W: Write> Json<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        Json { out }
    }
}

/// Indents every line but the first by two spaces.
fn indent(s: &str) -> String {
    s.replace('\n', "\n  ")
}

/// The document as a value.
pub fn document(r: &Report) -> Value {
    let findings: Vec<Value> = (0..r.ranked.len()).map(|i| finding_value(r, i)).collect();
    let (input, summary) = head(r);
    json!({
        "version": 1,
        "input": input,
        "summary": summary,
        "findings": findings,
        "timeline": r.timeline,
    })
}

/// The `input` and `summary` objects.
fn head(r: &Report) -> (Value, Value) {
    let mut summary = serde_json::Map::new();
    for &kind in Kind::ALL {
        let mut entry = json!({
            "sites": r.of_kind(kind).count(),
            "count": r.events_of(kind),
        });
        if kind.timed() {
            entry["total_seconds"] = json!(r.blocked_ms_of(kind) as f64 / 1000.0);
        }
        summary.insert(kind.as_str().to_string(), entry);
    }
    let input = serde_json::to_value(InputWire::of(r)).expect("the input object serializes");
    (input, Value::Object(summary))
}

/// One finding of the document.
fn finding_value(r: &Report, i: usize) -> Value {
    serde_json::to_value(FindingWire::of(r, i)).expect("a finding serializes")
}

impl<W: Write> Sink for Json<W> {
    /// Streams the document: each finding is built, written and dropped,
    /// so memory does not grow with the number of sites.
    fn finish(&mut self, report: &Report) -> io::Result<()> {
        let (input, summary) = head(report);
        let out = &mut self.out;
        writeln!(out, "{{\n  \"version\": 1,")?;
        writeln!(
            out,
            "  \"input\": {},",
            indent(&serde_json::to_string_pretty(&input)?)
        )?;
        writeln!(
            out,
            "  \"summary\": {},",
            indent(&serde_json::to_string_pretty(&summary)?)
        )?;
        write!(out, "  \"findings\": [")?;
        for i in 0..report.ranked.len() {
            let f = serde_json::to_string_pretty(&finding_value(report, i))?;
            write!(
                out,
                "{}\n    {}",
                if i == 0 { "" } else { "," },
                indent(&indent(&f))
            )?;
        }
        writeln!(
            out,
            "{}],",
            if report.ranked.is_empty() { "" } else { "\n  " }
        )?;
        writeln!(
            out,
            "  \"timeline\": {}",
            indent(&serde_json::to_string_pretty(&report.timeline)?)
        )?;
        writeln!(out, "}}")?;
        out.flush()
    }
}

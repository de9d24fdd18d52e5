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

/// Writes `value` as pretty JSON, every line but the first indented by
/// `indent` more spaces, in one write to `out`: the value is serialized
/// into `buf` and copied to `dst` with the indentation, in place of a
/// `serde_json::Value` and a string replace per level. (JSON strings never
/// hold a raw newline, so every newline is the formatter's own.)
fn write_pretty<W: Write, T: serde::Serialize + ?Sized>(
    out: &mut W,
    bufs: &mut (Vec<u8>, Vec<u8>),
    value: &T,
    indent: usize,
) -> io::Result<()> {
    let (buf, dst) = bufs;
    buf.clear();
    dst.clear();
    serde_json::to_writer_pretty(&mut *buf, value).map_err(io::Error::from)?;
    let pad = &b"        "[..indent];
    let mut rest = &buf[..];
    while let Some(i) = memchr::memchr(b'\n', rest) {
        dst.extend_from_slice(&rest[..=i]);
        dst.extend_from_slice(pad);
        rest = &rest[i + 1..];
    }
    dst.extend_from_slice(rest);
    out.write_all(dst)
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
        let buf = &mut (Vec::new(), Vec::new());
        writeln!(out, "{{\n  \"version\": 1,")?;
        write!(out, "  \"input\": ")?;
        write_pretty(out, buf, &input, 2)?;
        write!(out, ",\n  \"summary\": ")?;
        write_pretty(out, buf, &summary, 2)?;
        write!(out, ",\n  \"findings\": [")?;
        for i in 0..report.ranked.len() {
            write!(out, "{}\n    ", if i == 0 { "" } else { "," })?;
            write_pretty(out, buf, &FindingWire::of(report, i), 4)?;
        }
        writeln!(
            out,
            "{}],",
            if report.ranked.is_empty() { "" } else { "\n  " }
        )?;
        write!(out, "  \"timeline\": ")?;
        write_pretty(out, buf, &report.timeline, 2)?;
        writeln!(out)?;
        writeln!(out, "}}")?;
        out.flush()
    }
}

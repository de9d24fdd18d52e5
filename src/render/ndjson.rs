//! `--format ndjson`: one JSON object per line, for jq, Vector or Loki.
//!
//! # Format
//! Each finding, the moment its record is parsed:
//! ```json
//! {"type": "finding", "data": {"kind": "slow_callback", "rule": "AIO101", "subject": "handler",
//!   "site": {"path": "/app/api.py", "line": 88, "function": "handler"}, "site_basis": "suspended_after_slow_step",
//!   "location": "/app/api.py:88", "created_at": null, "seconds": 1.204,
//!   "timestamp": "2024-05-01T12:00:00.123", "input": "app.log", "line": 1234, "detail": null,
//!   "occurrences": 1}}
//! ```
//! then, at the end, one `{"type": "summary", "data": …}` line holding the
//! document of `--format json`.

use serde_json::json;
use std::io::{self, Write};

use super::{json::document, Sink};
use crate::correlate::Finding;
use crate::report::Report;

/// The NDJSON renderer.
pub struct Ndjson<W: Write> {
    out: W,
}

impl<W: Write> Ndjson<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        Ndjson { out }
    }
}

/// A finding as one JSON value.
pub fn finding_value(f: &Finding) -> serde_json::Value {
    json!({
        "kind": f.kind,
        "rule": f.code,
        "subject": f.subject,
        "site": f.site,
        "site_basis": f.basis,
        "location": f.location.as_ref().map(|l| l.to_string()),
        "created_at": f.created_at.as_ref().map(|l| l.to_string()),
        "seconds": f.seconds,
        "timestamp": f.timestamp,
        "input": f.input,
        "line": f.line_no,
        "detail": f.detail,
        // More than 1 when the record stands for several (pytest's
        // warnings summary); the summary's counts add these up.
        "occurrences": f.occurrences,
    })
}

impl<W: Write> Sink for Ndjson<W> {
    fn finding(&mut self, f: &Finding, _live: bool) -> io::Result<()> {
        serde_json::to_writer(
            &mut self.out,
            &json!({"type": "finding", "data": finding_value(f)}),
        )?;
        writeln!(self.out)?;
        self.out.flush()
    }

    fn wants_every_finding(&self) -> bool {
        true
    }

    fn finish(&mut self, report: &Report) -> io::Result<()> {
        serde_json::to_writer(
            &mut self.out,
            &json!({"type": "summary", "data": document(report)}),
        )?;
        writeln!(self.out)?;
        self.out.flush()
    }
}

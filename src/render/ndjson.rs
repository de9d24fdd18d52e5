//! `--format ndjson`: one JSON object per line, for jq, Vector or Loki.
//!
//! # Format
//! Each finding, the moment its record is parsed
//! ([`crate::report::FindingLine`]):
//! ```json
//! {"type": "finding", "data": {"kind": "slow_callback", "rule": "AIO101", "subject": "handler",
//!   "site": {"path": "/app/api.py", "line": 88, "function": "handler"}, "site_basis": "suspended_after_slow_step",
//!   "location": "/app/api.py:88", "created_at": null, "seconds": 1.204,
//!   "timestamp": "2024-05-01T12:00:00.123", "input": "app.log", "line": 1234, "detail": null,
//!   "occurrences": 1, "during_shutdown": false, "pid": null, "host": "web1",
//!   "record": "Executing <Task …> took 1.204 seconds", "context": {"before": [], "after": []}}}
//! ```
//! then, at the end, one `{"type": "summary", "data": …}` line holding the
//! document of `--format json`. `aiolog merge` reads such streams back: the
//! findings from the finding lines, the line account from the summaries.

use std::io::{self, Write};

use super::{json::document, Sink};
use crate::correlate::Finding;
use crate::report::{FindingLine, Report};

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

/// One line of the stream: `{"type": …, "data": …}`.
#[derive(serde::Serialize)]
struct Tagged<T> {
    r#type: &'static str,
    data: T,
}

impl<W: Write> Sink for Ndjson<W> {
    fn finding(&mut self, f: &Finding, _live: bool) -> io::Result<()> {
        let line = Tagged {
            r#type: "finding",
            data: FindingLine::of(f),
        };
        serde_json::to_writer(&mut self.out, &line)?;
        writeln!(self.out)?;
        self.out.flush()
    }

    fn wants_every_finding(&self) -> bool {
        true
    }

    fn finish(&mut self, report: &Report) -> io::Result<()> {
        let line = Tagged {
            r#type: "summary",
            data: document(report),
        };
        serde_json::to_writer(&mut self.out, &line)?;
        writeln!(self.out)?;
        self.out.flush()
    }
}

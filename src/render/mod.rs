//! Stage 7, output: one renderer per format.
//!
//! # Brief overview
//! Renderers implement [`Sink`]: [`Sink::finding`] is called the moment a
//! record completes on a live stream, [`Sink::finish`] once with the
//! [`Report`]. They never parse and never decide exit codes.
//!
//! | format | module | for |
//! |---|---|---|
//! | `table` | [`table`] | people: live lines, then one ranked table per kind |
//! | `json` | [`json`] | scripts: one document, shape documented in the README |

pub mod json;
pub mod table;

use std::io;

use crate::aggregate::Ranked;
use crate::correlate::Finding;
use crate::event::Kind;
use crate::pipeline::LineStats;

/// Everything a renderer needs at the end.
#[derive(Debug, Clone)]
pub struct Report {
    /// Input names, in order.
    pub inputs: Vec<String>,
    /// The line account, all inputs together.
    pub stats: LineStats,
    /// Findings, ranked within each kind, kinds in report order.
    pub ranked: Vec<Ranked>,
    /// Individual findings (events) counted.
    pub events: u64,
    /// The run ended with Ctrl-C.
    pub interrupted: bool,
}

impl Report {
    /// The ranked groups of one kind.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Ranked> {
        self.ranked.iter().filter(move |r| r.group.key.kind == kind)
    }

    /// Events of one kind.
    pub fn events_of(&self, kind: Kind) -> u64 {
        self.of_kind(kind).map(|r| r.group.count).sum()
    }

    /// Total blocked time, in milliseconds.
    pub fn blocked_ms(&self) -> u64 {
        self.of_kind(Kind::SlowCallback)
            .map(|r| r.group.total_ms())
            .sum()
    }
}

/// An output format.
pub trait Sink {
    /// A finding, as soon as its record is complete (live streams).
    fn finding(&mut self, _f: &Finding) -> io::Result<()> {
        Ok(())
    }
    /// The report, once, at the end.
    fn finish(&mut self, report: &Report) -> io::Result<()>;
}

/// `1.204 s` from milliseconds.
pub fn fmt_ms(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// One line for a finding, in the `path:line: kind: message` form that
/// editors and terminals turn into links.
pub fn live_line(f: &Finding) -> String {
    let place = match &f.site {
        Some(s) => s.location(),
        None => format!("{}:{}", f.input, f.line_no),
    };
    let subject = f.subject.as_deref().unwrap_or("?");
    let msg = match f.kind {
        Kind::SlowCallback => format!(
            "{subject} blocked the event loop for {:.3} s",
            f.seconds.unwrap_or(0.0)
        ),
        Kind::NeverAwaited => format!("coroutine '{subject}' was never awaited"),
        Kind::TaskDestroyedPending => format!("task {subject}() was destroyed while pending"),
        Kind::ExceptionNeverRetrieved => match &f.detail {
            Some(d) => format!("exception of task {subject}() was never retrieved: {d}"),
            None => format!("exception of task {subject}() was never retrieved"),
        },
    };
    format!("{place}: {}: {msg}", f.kind)
}

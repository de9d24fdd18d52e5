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
//! | `ndjson` | [`ndjson`] | pipelines: one JSON object per finding as it is parsed, then a summary |
//! | `github` | [`github`] | GitHub Actions: one workflow command per site |
//! | `markdown` | [`markdown`] | a ticket: summary, ranked findings, records in `<details>` |
//! | `sarif` | [`sarif`] | code scanning: SARIF 2.1.0 |
//! | `html` | [`html`] | a self-contained page with tables, a timeline and a histogram |
//! | `brief` | [`brief`] | the analysis request for a colleague or an AI assistant |

pub mod brief;
pub mod github;
pub mod html;
pub mod json;
pub mod markdown;
pub mod ndjson;
pub mod sarif;
pub mod table;

use std::io;

use crate::aggregate::{Ranked, TimePoint};
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
    /// Slow callbacks with timestamps, in time order (thinned out on long logs).
    pub timeline: Vec<TimePoint>,
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

    /// The earliest and latest timestamps of the findings, if any.
    pub fn time_range(&self) -> Option<(&str, &str)> {
        let first = self
            .ranked
            .iter()
            .filter_map(|r| r.group.first_seen.as_deref())
            .min()?;
        let last = self
            .ranked
            .iter()
            .filter_map(|r| r.group.last_seen.as_deref())
            .max()?;
        Some((first, last))
    }

    /// Python versions named by standard-library paths in the evidence
    /// (`…/lib/python3.11/asyncio/…`), sorted.
    pub fn python_versions(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for r in &self.ranked {
            let mut rest = r.group.sample_record.as_str();
            while let Some(i) = rest.find("lib/python") {
                let tail = &rest[i + "lib/python".len()..];
                let ver: String = tail
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect();
                if ver.contains('.') && tail[ver.len()..].starts_with('/') && !v.contains(&ver) {
                    v.push(ver);
                }
                rest = tail;
            }
        }
        v.sort();
        v
    }
}

/// An output format.
pub trait Sink {
    /// A finding, as soon as its record is complete; `live` says whether it
    /// comes from a stream that is still open.
    fn finding(&mut self, _f: &Finding, _live: bool) -> io::Result<()> {
        Ok(())
    }

    /// Whether this format wants every finding through [`Sink::finding`]
    /// (then a large file is not split across threads, whose findings are
    /// only counted).
    fn wants_every_finding(&self) -> bool {
        false
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

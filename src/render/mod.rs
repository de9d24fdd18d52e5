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
use crate::source::analyze::{Evidence, SourceStatus};

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
    /// What the source shows, per entry of `ranked` (with `--src`, or for
    /// paths found under the current directory).
    pub evidence: Vec<Option<Evidence>>,
    /// CODEOWNERS owners per entry of `ranked`.
    pub owners: Vec<Vec<String>>,
    /// Severity per rule code from the configuration (`error`, `warning`,
    /// `note`); `warning` when absent.
    pub severity: std::collections::BTreeMap<String, String>,
    /// With `--baseline`: the known finding sites hidden, and their
    /// occurrences.
    pub baseline_hidden: Option<(u64, u64)>,
}

impl Report {
    /// Keeps the ranked groups for which `keep` holds (with their evidence
    /// and owners) and numbers the ranks again within each kind. Returns the
    /// sites and occurrences dropped.
    pub fn retain(
        &mut self,
        mut keep: impl FnMut(&Ranked, Option<&Evidence>, &[String]) -> bool,
    ) -> (u64, u64) {
        let n = self.ranked.len();
        self.evidence.resize(n, None);
        self.owners.resize(n, Vec::new());
        let mut kept = (Vec::new(), Vec::new(), Vec::new());
        let (mut sites, mut found) = (0, 0);
        for ((rk, ev), ow) in self
            .ranked
            .drain(..)
            .zip(self.evidence.drain(..))
            .zip(self.owners.drain(..))
        {
            if keep(&rk, ev.as_ref(), &ow) {
                kept.0.push(rk);
                kept.1.push(ev);
                kept.2.push(ow);
            } else {
                sites += 1;
                found += rk.group.count;
            }
        }
        (self.ranked, self.evidence, self.owners) = kept;
        let mut counters: std::collections::HashMap<Kind, usize> = Default::default();
        for rk in &mut self.ranked {
            let c = counters.entry(rk.group.key.kind).or_default();
            *c += 1;
            rk.rank = *c;
        }
        self.events = self.ranked.iter().map(|r| r.group.count).sum();
        (sites, found)
    }

    /// The severity of a rule code: `error`, `warning` or `note`.
    pub fn severity_of(&self, code: &str) -> &str {
        self.severity.get(code).map_or("warning", String::as_str)
    }

    /// The source evidence of `ranked[i]`, when the source was read.
    pub fn read_evidence(&self, i: usize) -> Option<&Evidence> {
        self.evidence
            .get(i)
            .and_then(Option::as_ref)
            .filter(|e| e.source == SourceStatus::Read)
    }

    /// The index in `ranked` of a ranked group.
    pub fn index_of(&self, rk: &Ranked) -> usize {
        self.ranked
            .iter()
            .position(|x| std::ptr::eq(x, rk))
            .unwrap_or(usize::MAX)
    }

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

/// Writes a control character as a visible `\u{…}` escape, so that no
/// escape sequence from a log acts on a reader's terminal or page.
pub fn push_control_escape(out: &mut String, c: char) {
    out.push_str(&format!("\\u{{{:x}}}", c as u32));
}

/// Text safe for a terminal: control characters (escape sequences, carriage
/// returns) shown as `\u{…}` escapes, tabs as spaces.
pub fn terminal_safe(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => o.push_str("    "),
            c if c.is_control() => push_control_escape(&mut o, c),
            c => o.push(c),
        }
    }
    o
}

/// The source evidence of a finding as indented text lines: what the source
/// shows, the location kind and confidence, the code with the line marked,
/// and the hint when the evidence is weak.
pub fn evidence_lines(e: &Evidence) -> Vec<String> {
    let mut v = vec![format!("{}", terminal_safe(&e.summary))];
    let kind = serde_json::to_value(e.location_kind)
        .ok()
        .and_then(|x| x.as_str().map(str::to_string))
        .unwrap_or_default();
    let conf = serde_json::to_value(e.confidence)
        .ok()
        .and_then(|x| x.as_str().map(str::to_string))
        .unwrap_or_default();
    v.push(format!(
        "location: {}, confidence: {}",
        kind.replace('_', "-"),
        conf.replace('_', " ")
    ));
    for c in e.candidates.iter().skip(1).take(3) {
        v.push(format!(
            "also line {}: {} ({})",
            c.line,
            terminal_safe(&c.hit.call),
            c.hit.api
        ));
    }
    let width = e
        .code
        .iter()
        .map(|c| c.line.to_string().len())
        .max()
        .unwrap_or(1);
    for c in &e.code {
        v.push(format!(
            "{} {:>width$} | {}",
            if c.marked { ">" } else { " " },
            c.line,
            terminal_safe(&c.text)
        ));
    }
    if let Some(h) = &e.hint {
        v.push(format!("hint: {h}"));
    }
    if let Some(a) = &e.attribution {
        v.push(terminal_safe(a));
    }
    v
}

/// The log lines around a finding's first occurrence, for `-B`/`-A`.
pub fn context_lines(g: &crate::aggregate::Group) -> Vec<String> {
    let mut v = Vec::new();
    for l in &g.context_before {
        v.push(format!("log before | {}", terminal_safe(l)));
    }
    for l in &g.context_after {
        v.push(format!("log after  | {}", terminal_safe(l)));
    }
    if !g.request_ids.is_empty() {
        v.push(format!(
            "request ids: {}",
            terminal_safe(&g.request_ids.join(", "))
        ));
    }
    v
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
        Kind::ExceptionInCallback => match &f.detail {
            Some(d) => format!("callback {subject} raised: {d}"),
            None => format!("callback {subject} raised"),
        },
        Kind::ResourceWarning => format!("{subject} was never closed"),
        Kind::FatalTransportError => match &f.detail {
            Some(d) => format!("protocol {subject} failed: {d}"),
            None => format!("protocol {subject} failed"),
        },
        Kind::NonThreadsafeCall => match &f.detail {
            Some(d) => format!("loop.{subject}() called from another thread ({d})"),
            None => format!("loop.{subject}() called from another thread"),
        },
        Kind::LoopException => match &f.detail {
            Some(d) => format!("{subject}: the event loop reported {d}"),
            None => format!("{subject}: the event loop reported an error"),
        },
        Kind::BlockingCallDetected => match &f.detail {
            Some(d) => format!("blocking call to {subject}() in the event loop: {d}"),
            None => format!("blocking call to {subject}() in the event loop"),
        },
        Kind::SlowGetaddrinfo => match &f.detail {
            Some(d) => format!("name lookup of {subject} {d}"),
            None => format!("name lookup of {subject} was slow"),
        },
    };
    let times = if f.occurrences > 1 {
        format!(" ({} times, as a summary counted them)", f.occurrences)
    } else {
        String::new()
    };
    terminal_safe(&format!("{place}: {}: {msg}{times}", f.kind))
}

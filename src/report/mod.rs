//! The report: what the renderers are given at the end of a run (the ranked
//! findings with their evidence, owners and severities, the line account,
//! the timeline), and the retention that baselines, `--owner` and `--top`
//! apply to it.
//!
//! It comes after aggregation, source evidence and noise control, and
//! before the renderers, which only read it.

mod wire;

pub use wire::{FindingLine, FindingWire, HiddenWire, HostWire, InputWire};

use crate::aggregate::{Ranked, TimePoint};
use crate::kinds::Kind;
use crate::source::analyze::{Evidence, Sampled, SourceStatus};

/// What kept findings, or the input itself, out of the report besides a
/// baseline: so that an empty report says what happened instead of asking
/// whether debug mode is on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Withheld {
    /// Findings the filters dropped (`--kind`, `--select`, `--ignore`,
    /// `--since`, `--until`, the configuration's).
    pub filtered: u64,
    /// Finding sites `--owner` and `--top` left out.
    pub narrowed_sites: u64,
    /// Inputs (logs, followed files, reports) that could not be read at all.
    pub unread_inputs: u64,
    /// Under `aiolog run`: the program ran no asyncio event loop in debug mode.
    pub no_loop: bool,
}

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
    /// What else kept findings or input out of the report.
    pub withheld: Withheld,
    /// `--by host`: show each site's figures per host.
    pub by_host: bool,
}

impl Report {
    /// Why a report without findings has none, in one sentence: no input
    /// read, everything known from the baseline, filtered, narrowed, a
    /// program without an asyncio loop; else the question whether debug
    /// mode is on.
    pub fn why_empty(&self) -> String {
        use crate::text::plural;
        let w = &self.withheld;
        let lines = plural(self.stats.lines, "line", "lines");
        if self.inputs.is_empty() && w.unread_inputs > 0 {
            return format!(
                "No input was read: {} could not be read (see the errors above).",
                plural(w.unread_inputs, "input", "inputs")
            );
        }
        if let Some((sites, _)) = self.baseline_hidden.filter(|&(s, _)| s > 0) {
            return format!(
                "No new findings in {lines}: {} known from the baseline, and hidden.",
                plural(sites, "finding site is", "finding sites are")
            );
        }
        if w.filtered > 0 {
            return format!(
                "No findings left in {lines}: {} filtered out (--kind, --select, --ignore, \
                 --since, --until or the configuration).",
                plural(w.filtered, "finding was", "findings were")
            );
        }
        if w.narrowed_sites > 0 {
            return format!(
                "No findings left in {lines}: {} left out by --owner or --top.",
                plural(w.narrowed_sites, "finding site was", "finding sites were")
            );
        }
        if w.no_loop {
            return format!(
                "No asyncio debug warnings in {lines}: the program ran no asyncio event loop in \
                 debug mode."
            );
        }
        let unread = if w.unread_inputs > 0 {
            format!(
                " ({} could not be read)",
                plural(w.unread_inputs, "input", "inputs")
            )
        } else {
            String::new()
        };
        if self.stats.debug_records > 0 {
            // Debug mode's own DEBUG/INFO lines: it was on, and nothing was wrong.
            return format!(
                "No asyncio debug warnings found in {lines}{unread}. Debug mode was on: {}.",
                plural(
                    self.stats.debug_records,
                    "of them is its DEBUG/INFO line",
                    "of them are its DEBUG/INFO lines"
                )
            );
        }
        format!(
            "No asyncio debug warnings found in {lines}{unread}. Is debug mode on? Run with \
             PYTHONASYNCIODEBUG=1, `python -X dev` or asyncio.run(main(), debug=True)."
        )
    }

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

    /// What the stall probe sampled for `ranked[i]`, source read or not.
    pub fn sampled(&self, i: usize) -> Option<&Sampled> {
        self.evidence.get(i)?.as_ref()?.sampled.as_ref()
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

    /// The ranked groups of the kinds that measure blocked time.
    pub fn timed(&self) -> impl Iterator<Item = &Ranked> {
        self.ranked.iter().filter(|r| r.group.key.kind.timed())
    }

    /// Blocked time of one kind, in milliseconds.
    pub fn blocked_ms_of(&self, kind: Kind) -> u64 {
        self.of_kind(kind).map(|r| r.group.total_ms()).sum()
    }

    /// Total blocked time, in milliseconds.
    pub fn blocked_ms(&self) -> u64 {
        self.timed().map(|r| r.group.total_ms()).sum()
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

/// Samples of unrecognized records kept per input.
pub const MAX_SAMPLES: usize = 5;

/// The line account of one input (or several, added up).
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineStats {
    /// Bytes read.
    pub bytes: u64,
    /// Lines read (a last line without `\n` counts).
    pub lines: u64,
    /// Lines of records that became findings.
    pub parsed: u64,
    /// Application lines, counted and not read.
    pub passed_through: u64,
    /// Lines of records that hold an asyncio marker but could not be read.
    pub skipped: u64,
    /// Records that became findings.
    pub records: u64,
    /// Records counted as unrecognized.
    pub unrecognized_records: u64,
    /// Debug mode's DEBUG/INFO lines, recognized and counted (their lines
    /// count as parsed).
    pub debug_records: u64,
    /// Lines cut at the length bound (among those aiolog had to read).
    pub truncated_lines: u64,
    /// Lines with invalid UTF-8, replaced (among those aiolog had to read).
    pub invalid_utf8_lines: u64,
    /// Samples of unrecognized records.
    pub unrecognized_samples: Vec<UnrecognizedSample>,
}

impl LineStats {
    /// Adds another account to this one.
    pub fn merge(&mut self, o: &LineStats) {
        self.bytes += o.bytes;
        self.lines += o.lines;
        self.parsed += o.parsed;
        self.passed_through += o.passed_through;
        self.skipped += o.skipped;
        self.records += o.records;
        self.unrecognized_records += o.unrecognized_records;
        self.debug_records += o.debug_records;
        self.truncated_lines += o.truncated_lines;
        self.invalid_utf8_lines += o.invalid_utf8_lines;
        for s in &o.unrecognized_samples {
            if self.unrecognized_samples.len() < MAX_SAMPLES {
                self.unrecognized_samples.push(s.clone());
            }
        }
    }

    /// Whether every line is accounted for.
    pub fn balanced(&self) -> bool {
        self.lines == self.parsed + self.passed_through + self.skipped
    }
}

/// An unrecognized record, as kept for `--stats`.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct UnrecognizedSample {
    /// The input.
    pub input: String,
    /// Its first line.
    pub line: u64,
    /// Why it was not read.
    pub reason: String,
    /// The start of its text.
    pub text: String,
}

//! The pipeline for one input: chunks in, findings out.
//!
//! # Brief overview
//! An [`InputAnalyzer`] is thin glue over small parts, in the manner of
//! ripgrep's searcher:
//!
//! - [`lines::LineBuffer`]: chunks of any size into whole lines;
//! - the fast path (`block.rs`): between records each block is searched
//!   for markers (module [`crate::scan`]) and the newlines skipped are only
//!   counted; the findings are handed on every [`HAND_ON_EVERY`] while a
//!   block is read ([`InputAnalyzer::step_handing`]);
//! - [`lookback::Lookback`]: the last lines, for the context before a
//!   record and the traceback before an exception line that ends one;
//! - [`router::Router`]: the open record, the records of other streams
//!   parked while streams interleave, the split lines;
//! - at a hit, line by line: framed ([`crate::frame::ReadLine`], the
//!   grammars) and offered to the record ([`crate::record`]); a complete
//!   record becomes an event ([`crate::event`]) and the event a finding
//!   ([`crate::correlate`]);
//! - [`holdback::HoldBack`]: findings wait for their following lines and,
//!   for the task lifecycle, to learn whether they happened at shutdown;
//! - the line account ([`LineStats`]): every line parsed, passed through
//!   or skipped.
//!
//! Every caller goes through [`InputAnalyzer::step`]: [`drive`] loops over
//! a reader (files, stdin, parts of a file analyzed in parallel, tests,
//! fuzz targets), the live loop steps each input as its messages come and
//! when it pauses ([`Step::Idle`]).
//!
//! # Example
//! ```
//! use aiolog::grammar::Grammars;
//! use aiolog::pipeline::{InputAnalyzer, Options, Step};
//! use aiolog::scan::Scanner;
//! let (g, s) = (Grammars::builtin().unwrap(), Scanner::new());
//! let mut a = InputAnalyzer::new("app.log", &g, &s, Options::default());
//! let mut out = Vec::new();
//! a.step(Step::Data(b"GET /\nExecuting <Handle f() at /app/a.py:3> took 0.200 seconds\nGET /x\n"), &mut out);
//! a.step(Step::End, &mut out);
//! assert_eq!(out[0].site.as_ref().unwrap().line, 3);
//! assert_eq!(a.stats().lines, 3);
//! assert_eq!(a.stats().passed_through, 2);
//! ```

mod block;
mod drive;
pub mod holdback;
pub mod join;
pub mod lines;
pub mod lookback;
pub mod router;
#[cfg(test)]
mod tests;

use crate::correlate::{correlate, Finding, Origin};
use crate::event::{parse_record, Parsed};
use crate::frame::{clean_line, ReadLine, DEFAULT_MAX_LINE};
use crate::grammar::{Framed, Grammars};
use crate::record::{Builder, Offer, Record};
use crate::report::{LineStats, UnrecognizedSample, MAX_SAMPLES};
use crate::scan::Scanner;
pub use block::HAND_ON_EVERY;
use block::{Early, Next};
pub use drive::{analyze_bytes, drive, pieces};
use holdback::HoldBack;
use join::Joiner;
use lines::LineBuffer;
use lookback::{same_process, BlockAt, Lookback};
use router::{Open, Router};

/// Characters of an unrecognized record kept in a sample.
pub const SAMPLE_CHARS: usize = 400;

/// Settings for one input.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// A grammar forced with `--grammar` (index into [`Grammars::all`]).
    pub forced_grammar: Option<usize>,
    /// Lines longer than this many bytes are cut.
    pub max_line: usize,
    /// Lines kept from before each record (`-B`).
    pub before: usize,
    /// Application lines kept from after each record (`-A`).
    pub after: usize,
    /// At the end of the input, mark the task-lifecycle findings that no
    /// application line followed as `during_shutdown` (when the input shows
    /// teardown). Off for every part of a file analyzed in parallel: they
    /// are left for [`InputAnalyzer::take_tail`], since the other parts
    /// tell.
    pub mark_shutdown: bool,
    /// The end of this input is the end of what was written: a record it
    /// closes may be cut short. Off for all but the last part of a file
    /// analyzed in parallel, whose parts end before a record's start.
    pub ends_input: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            forced_grammar: None,
            max_line: DEFAULT_MAX_LINE,
            before: 2,
            after: 2,
            mark_shutdown: true,
            ends_input: true,
        }
    }
}

/// What happens to an input.
#[derive(Debug, Clone, Copy)]
pub enum Step<'d> {
    /// The next bytes.
    Data(&'d [u8]),
    /// A live input paused: an open record is complete, findings waiting
    /// for their following lines are released.
    Idle,
    /// The input ended: its last line, its open records, and what happened
    /// during shutdown.
    End,
}

/// The analyzer of one input.
pub struct InputAnalyzer<'a> {
    name: std::sync::Arc<str>,
    grammars: &'a Grammars,
    scanner: &'a Scanner,
    opts: Options,
    lines: LineBuffer,
    line_no: u64,
    router: Router,
    lookback: Lookback,
    hold: HoldBack,
    join: Joiner,
    /// Findings of the current step, before the joiner.
    fresh: Vec<Finding>,
    stats: LineStats,
    /// The input ended: a record closed now may be cut short.
    at_eof: bool,
    /// The process id of the last record, when its prefix has one: context
    /// lines of other processes interleaved in the same input are left out.
    record_pid: Option<String>,
}

impl<'a> InputAnalyzer<'a> {
    /// A fresh analyzer for the input called `name`.
    pub fn new(name: &str, grammars: &'a Grammars, scanner: &'a Scanner, opts: Options) -> Self {
        InputAnalyzer {
            name: name.into(),
            grammars,
            scanner,
            opts,
            lines: LineBuffer::new(opts.max_line),
            line_no: 0,
            router: Router::default(),
            lookback: Lookback::new(opts.before, opts.max_line),
            hold: HoldBack::new(opts.after, opts.mark_shutdown),
            join: Joiner::default(),
            fresh: Vec::new(),
            stats: LineStats::default(),
            at_eof: false,
            record_pid: None,
        }
    }

    /// The lines just before this input's start, when it is a part of a
    /// larger file: they become the context of its first record.
    pub fn seed_context(&mut self, lines: &[&[u8]]) {
        for l in lines {
            self.lookback.remember(l);
        }
    }

    /// The line account so far.
    pub fn stats(&self) -> &LineStats {
        &self.stats
    }

    /// Takes one step; complete findings are pushed to `out`.
    pub fn step(&mut self, step: Step<'_>, out: &mut Vec<Finding>) {
        self.step_with(step, out, None);
    }

    /// [`Self::step`], and, while a block of [`Step::Data`] is read, `out`
    /// handed to `next` every [`HAND_ON_EVERY`] findings: the next stage
    /// reads a finding soon after it was made, while it is in the cache.
    /// The findings and their order are [`Self::step`]'s.
    pub fn step_handing(
        &mut self,
        step: Step<'_>,
        out: &mut Vec<Finding>,
        next: &mut dyn FnMut(&mut Vec<Finding>),
    ) {
        self.step_with(step, out, Some(next));
    }

    fn step_with(&mut self, step: Step<'_>, out: &mut Vec<Finding>, next: Option<Next<'_>>) {
        let mut fresh = std::mem::take(&mut self.fresh);
        match step {
            Step::Data(data) => {
                let mut early = next.map(|next| Early {
                    out: &mut *out,
                    next,
                });
                self.feed(data, &mut fresh, early.as_mut());
            }
            Step::Idle => self.flush_idle(&mut fresh),
            Step::End => self.finish(&mut fresh),
        }
        self.hand_on(&mut fresh, out, matches!(step, Step::Data(_)));
        self.fresh = fresh;
        if matches!(step, Step::Idle | Step::End) {
            self.join.flush(out);
        }
    }

    /// The findings completed (`fresh`) through the joiner to `out`; `data`
    /// in the middle of the input, where those no record still to come can
    /// join are released.
    fn hand_on(&mut self, fresh: &mut Vec<Finding>, out: &mut Vec<Finding>, data: bool) {
        for f in fresh.drain(..) {
            self.join.push(f, out);
        }
        // No record still to come starts before the current line.
        if data && !self.busy() {
            self.join.expire(self.line_no, out);
        }
    }

    /// Whether the next line must be read in full, and a live stream's
    /// pause would complete something: a record is open (for this stream or
    /// another), a finding waits for its following lines, or a split line
    /// for its last part.
    #[inline]
    pub fn busy(&self) -> bool {
        self.router.busy() || self.hold.waiting()
    }

    /// After [`Step::End`] without [`Options::mark_shutdown`]: the
    /// task-lifecycle findings that no application line followed, not
    /// marked.
    pub fn take_tail(&mut self) -> Vec<Finding> {
        self.hold.take_tail()
    }

    /// Whether an application line was seen: task-lifecycle findings held
    /// back before it (in an earlier part of the file) were not at shutdown.
    pub fn saw_application_line(&self) -> bool {
        self.hold.saw_app_line()
    }

    /// Whether the input shows its program's teardown: only then are the
    /// findings no application line followed marked `during_shutdown`.
    pub fn shows_teardown(&self) -> bool {
        self.hold.shows_teardown()
    }

    /// Whether nothing is open or held back: a pause here ([`Step::Idle`])
    /// would change nothing.
    pub fn settled(&self) -> bool {
        !self.router.busy() && self.hold.settled() && self.join.settled()
    }

    fn feed(&mut self, data: &[u8], out: &mut Vec<Finding>, early: Option<&mut Early<'_>>) {
        self.stats.bytes += data.len() as u64;
        let (completed, block) = self.lines.split(data);
        if let Some(line) = completed {
            self.whole_line(&line, out);
        }
        if !block.is_empty() {
            self.block_lines(block, out, early);
            self.lookback.remember_tail(block);
        }
    }

    fn flush_idle(&mut self, out: &mut Vec<Finding>) {
        self.flush_partials(out);
        self.close_all(out);
        self.hold.flush_idle(out);
    }

    fn finish(&mut self, out: &mut Vec<Finding>) {
        if let Some(line) = self.lines.take_last() {
            self.whole_line(&line, out);
        }
        // A part of a file analyzed in parallel ends before a line that
        // starts a record: what it closes was not cut short.
        self.at_eof = self.opts.ends_input;
        self.flush_partials(out);
        self.close_all(out);
        self.at_eof = false;
        self.hold.finish(out);
    }

    /// Whether a line holds a marker within its first `max_line` bytes: the
    /// same answer whether the line came whole or through the carry.
    fn is_hit(&self, line: &[u8]) -> bool {
        let view = &line[..line.len().min(self.opts.max_line)];
        self.scanner.is_hit(view)
    }

    /// A line that a chunk boundary cut, completed.
    fn whole_line(&mut self, line: &[u8], out: &mut Vec<Finding>) {
        if !self.busy() && !self.is_hit(line) {
            self.line_no += 1;
            self.stats.lines += 1;
            self.stats.passed_through += 1;
            self.hold.app_line_seen(out);
            if line.len() > self.opts.max_line {
                self.stats.truncated_lines += 1;
            }
        } else {
            let hit = self.is_hit(line);
            self.read_line(line, hit, None, out);
        }
        self.lookback.remember(line);
    }

    fn skip_lines(&mut self, (n, long): (u64, u64), out: &mut Vec<Finding>) {
        self.stats.truncated_lines += long;
        self.line_no += n;
        self.stats.lines += n;
        self.stats.passed_through += n;
        if n > 0 {
            self.hold.app_line_seen(out);
        }
    }

    /// An application line: counted, and kept as the following line of the
    /// findings that wait for one.
    fn app_line(&mut self, text: &str, extra: u64, out: &mut Vec<Finding>) {
        self.stats.passed_through += 1 + extra;
        if self.hold.waiting() && same_process(self.record_pid.as_deref(), text) {
            self.hold.follow_line(text, out);
        }
        if !text.trim().is_empty() {
            self.hold.app_line_seen(out);
        }
    }

    /// One line read in full: framed and offered to the open record, or
    /// started as a new one.
    fn read_line(
        &mut self,
        raw: &[u8],
        hit: bool,
        at: Option<BlockAt<'_>>,
        out: &mut Vec<Finding>,
    ) {
        self.line_no += 1;
        self.stats.lines += 1;
        if !self.router.busy() && !hit {
            // An application line read only for the context of a finding: no
            // prefix to read.
            let clean = clean_line(raw, self.opts.max_line);
            self.stats.truncated_lines += clean.truncated as u64;
            self.stats.invalid_utf8_lines += clean.invalid_utf8 as u64;
            self.app_line(&clean.text, 0, out);
            return;
        }
        for open in self.router.take_stale(self.line_no) {
            self.close_open(open, out);
        }
        let line = ReadLine::read(raw, self.opts.max_line);
        self.stats.truncated_lines += line.clean.truncated as u64;
        self.stats.invalid_utf8_lines += line.clean.invalid_utf8 as u64;
        let framed = self.grammars.frame_read(&line, self.opts.forced_grammar);
        let split =
            self.router
                .split_line(framed.stream, line.text(), framed.body, !framed.partial);
        if framed.partial {
            // The first parts of a line a collector split: held until its
            // last part arrives.
            return;
        }
        match split {
            Some((joined, parts)) => {
                let hit = hit || self.is_hit(joined.as_bytes());
                self.logical_line(&joined, hit, parts, at, out);
            }
            None => self.framed_line(framed, &line.clean.text, hit, 0, at, out),
        }
    }

    /// A line joined from the parts a collector split: framed again whole.
    fn logical_line(
        &mut self,
        text: &str,
        hit: bool,
        extra: u64,
        at: Option<BlockAt<'_>>,
        out: &mut Vec<Finding>,
    ) {
        let mut framed = self.grammars.frame(text, self.opts.forced_grammar);
        framed.partial = false;
        self.framed_line(framed, text, hit, extra, at, out);
    }

    /// A framed line: offered to its stream's open record, or started as a
    /// new one. `extra` counts the physical lines joined into it besides
    /// the last.
    fn framed_line(
        &mut self,
        framed: Framed<'_>,
        clean_text: &str,
        hit: bool,
        extra: u64,
        at: Option<BlockAt<'_>>,
        out: &mut Vec<Finding>,
    ) {
        if let Some(ended) = self.router.route(framed.stream, self.line_no) {
            self.close_open(ended, out);
        }
        if let Some(open) = self.router.open_mut() {
            match open.builder.offer(&framed, hit, self.grammars) {
                Offer::Accept => {
                    open.builder.add_lines(extra);
                    if open.builder.is_complete() {
                        self.close(out);
                    }
                    return;
                }
                Offer::Hold => {
                    self.stats.passed_through += extra;
                    return;
                }
                Offer::Reject => self.close(out),
            }
        }
        if hit {
            self.start_record(framed, extra, at, out);
        } else {
            self.app_line(clean_text, extra, out);
        }
    }

    /// A hit line that starts a record.
    fn start_record(
        &mut self,
        framed: Framed<'_>,
        extra: u64,
        at: Option<BlockAt<'_>>,
        out: &mut Vec<Finding>,
    ) {
        let body = framed.body;
        let indent = body.len() - body.trim_start().len();
        // A new record ends the following lines of the previous ones.
        self.hold.release(out);
        // The string kept is reused: no allocation per record.
        match (framed.pid, &mut self.record_pid) {
            (Some(pid), Some(kept)) => {
                kept.clear();
                kept.push_str(pid);
            }
            (pid, kept) => *kept = pid.map(str::to_string),
        }
        let before = self.lookback.context_before(
            at,
            self.opts.before,
            self.scanner,
            self.record_pid.as_deref(),
        );
        let mut builder = Builder::start(self.line_no, &framed, self.grammars, indent);
        builder.add_lines(extra);
        if builder.ends_traceback() {
            builder.prepend(&self.traceback_before(at));
        } else if crate::record::is_pytest_summary_warning(body) {
            let above = self.lookback.lines_before(at, crate::record::MAX_LOOKBACK);
            if let Some(n) = crate::record::pytest_summary_count(above.iter().map(String::as_str)) {
                builder.set_repeat(n);
            }
        }
        let complete = builder.is_complete();
        self.router.start(Open {
            builder,
            before,
            stream: framed.stream.map(str::to_string),
        });
        if complete {
            self.close(out);
        }
    }

    /// The traceback printed before an exception line that ends one, with
    /// any wrapper prefix removed.
    fn traceback_before(&self, at: Option<BlockAt<'_>>) -> Vec<String> {
        let lines = self.lookback.lines_before(at, crate::record::MAX_LOOKBACK);
        crate::record::traceback_before(
            lines
                .iter()
                .map(|l| self.grammars.frame(l, self.opts.forced_grammar).body),
        )
    }

    /// Lines held as the first parts of a split line, read as they are: the
    /// input ended (or paused) before their last part.
    fn flush_partials(&mut self, out: &mut Vec<Finding>) {
        for p in self.router.take_partials() {
            let text = format!("{}{}", p.first, p.rest);
            let hit = self.is_hit(text.as_bytes());
            self.logical_line(&text, hit, p.parts - 1, None, out);
        }
    }

    /// Closes the open record and every parked one, in the order they began.
    fn close_all(&mut self, out: &mut Vec<Finding>) {
        for open in self.router.take_all(self.line_no) {
            self.close_open(open, out);
        }
    }

    fn close(&mut self, out: &mut Vec<Finding>) {
        if let Some(open) = self.router.take_open() {
            self.close_open(open, out);
        }
    }

    fn close_open(&mut self, open: Open, out: &mut Vec<Finding>) {
        let (rec, held) = open.builder.finish();
        self.stats.passed_through += held;
        self.record_done(rec, open.before, out);
    }

    /// A complete record: an event and its finding, a debug line, an
    /// application line after all, or an unrecognized record.
    fn record_done(&mut self, rec: Record, before: crate::text::Lines, out: &mut Vec<Finding>) {
        match parse_record(&rec.text) {
            Ok(Parsed::DebugLine(marker)) => {
                if marker == "Close <_" {
                    // Debug mode's `Close <_UnixSelectorEventLoop …>`: the loop closing.
                    self.hold.teardown_seen();
                }
                self.stats.debug_records += 1;
                self.stats.parsed += rec.line_count;
            }
            Ok(Parsed::Event(ev)) => {
                self.stats.records += 1;
                self.stats.parsed += rec.line_count;
                let mut f = correlate(
                    &ev,
                    Origin {
                        input: &self.name,
                        line_no: rec.line_no,
                        timestamp: rec.timestamp.as_deref(),
                        record: "",
                        pid: rec.pid.as_deref(),
                    },
                );
                f.occurrences = rec.repeat;
                if holdback::is_teardown(&rec.text) {
                    self.hold.teardown_seen();
                }
                // The record's text moves into the finding: no copy.
                f.record = rec.text;
                f.context_before = before;
                self.hold.push(f, out);
            }
            Err(u) if u.not_asyncio => {
                // An application line after all.
                self.stats.passed_through += rec.line_count;
                self.hold.app_line_seen(out);
            }
            Err(mut u) => {
                if self.at_eof {
                    u.reason = format!("cut short at the end of the input: {}", u.reason);
                }
                self.stats.unrecognized_records += 1;
                self.stats.skipped += rec.line_count;
                if self.stats.unrecognized_samples.len() < MAX_SAMPLES {
                    self.stats.unrecognized_samples.push(UnrecognizedSample {
                        input: self.name.to_string(),
                        line: rec.line_no,
                        reason: u.reason,
                        text: rec.text.chars().take(SAMPLE_CHARS).collect(),
                    });
                }
            }
        }
    }
}

//! The pipeline for one input: chunks in, findings out.
//!
//! # Brief overview
//! A [`SourceAnalyzer`] owns the state of one input (the partial last line,
//! the open record, the line account). [`SourceAnalyzer::feed`] takes chunks
//! of any size; between records it searches the chunk for markers (module
//! [`crate::scan`]) and only counts the newlines it skips; at a hit it goes
//! line by line (frame → record) until the record is complete, turns the
//! record into an event (module [`crate::event`]) and the event into a finding
//! (module [`crate::correlate`]). Batch, live and `run` inputs are the same
//! calls; a live caller also calls [`SourceAnalyzer::flush_idle`] after a
//! pause. Every line is counted as parsed, passed through or skipped
//! ([`LineStats`]).
//!
//! # Example
//! ```
//! use aiolog::grammar::Grammars;
//! use aiolog::pipeline::{Options, SourceAnalyzer};
//! use aiolog::scan::Scanner;
//! let (g, s) = (Grammars::builtin().unwrap(), Scanner::new());
//! let mut a = SourceAnalyzer::new("app.log", &g, &s, Options::default());
//! let mut out = Vec::new();
//! a.feed(b"GET /\nExecuting <Handle f() at /app/a.py:3> took 0.200 seconds\nGET /x\n", &mut out);
//! a.finish(&mut out);
//! assert_eq!(out[0].site.as_ref().unwrap().line, 3);
//! assert_eq!(a.stats().lines, 3);
//! assert_eq!(a.stats().passed_through, 2);
//! ```

use serde::Serialize;

use crate::correlate::{correlate, Finding, Origin};
use crate::event::{parse_record, Parsed};
use crate::frame::{clean_line, DEFAULT_MAX_LINE};
use crate::grammar::Grammars;
use crate::record::{Builder, Offer, Record};
use crate::scan::{count_lines_long, Scanner};

/// Samples of unrecognized records kept per input.
pub const MAX_SAMPLES: usize = 5;
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
    /// application line followed as `during_shutdown` (off for all but the
    /// last part of a file analyzed in parallel).
    pub mark_shutdown: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            forced_grammar: None,
            max_line: DEFAULT_MAX_LINE,
            before: 2,
            after: 2,
            mark_shutdown: true,
        }
    }
}

/// The line account of one input (or several, added up).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
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

/// The analyzer of one input.
pub struct SourceAnalyzer<'a> {
    name: String,
    grammars: &'a Grammars,
    scanner: &'a Scanner,
    opts: Options,
    carry: Vec<u8>,
    carry_cut: bool,
    line_no: u64,
    /// The record being assembled.
    open: Option<Open>,
    /// The source (as a wrapper grammar names it) of the last line that
    /// named one: the open record is that source's.
    open_source: Option<String>,
    /// Records of other sources, open while lines of another source
    /// interleave, with the line number of their last line.
    parked: Vec<(Open, u64)>,
    /// First parts of lines that a collector split, per source, waiting for
    /// their last part.
    partials: Vec<Partial>,
    stats: LineStats,
    /// The last lines of the input before the current block.
    ring: std::collections::VecDeque<String>,
    /// Findings waiting for the lines that follow them.
    pending: Vec<Finding>,
    /// The input ended: a record closed now may be cut short.
    at_eof: bool,
    /// Task-lifecycle findings that no application line has followed yet:
    /// at the end of the input they happened during shutdown.
    tail: Vec<Finding>,
    /// The process id of the last record, when its prefix has one: context
    /// lines of other processes interleaved in the same input are left out.
    record_pid: Option<String>,
}

impl<'a> SourceAnalyzer<'a> {
    /// A fresh analyzer for the input called `name`.
    pub fn new(name: &str, grammars: &'a Grammars, scanner: &'a Scanner, opts: Options) -> Self {
        SourceAnalyzer {
            name: name.to_string(),
            grammars,
            scanner,
            opts,
            carry: Vec::new(),
            carry_cut: false,
            line_no: 0,
            open: None,
            open_source: None,
            parked: Vec::new(),
            partials: Vec::new(),
            stats: LineStats::default(),
            ring: std::collections::VecDeque::new(),
            pending: Vec::new(),
            at_eof: false,
            tail: Vec::new(),
            record_pid: None,
        }
    }

    /// The lines just before this input's start, when it is a part of a
    /// larger file: they become the context of its first record.
    pub fn seed_context(&mut self, lines: &[&[u8]]) {
        for l in lines {
            self.remember(l);
        }
    }

    /// How many lines the ring keeps: the context before a record, and the
    /// traceback before an exception line that ends one.
    fn ring_size(&self) -> usize {
        self.opts.before.max(crate::record::MAX_LOOKBACK)
    }

    fn remember(&mut self, line: &[u8]) {
        if self.ring.len() >= self.ring_size() {
            self.ring.pop_front();
        }
        self.ring.push_back(context_line(line, self.opts.max_line));
    }

    /// The context lines before a record that starts at `start` in `block`
    /// (or, without a block, at the current position): lines that hold no
    /// asyncio marker, nearest last.
    fn context_before(&self, block: Option<(&[u8], usize)>) -> Vec<String> {
        let mut v = self.lines_before(block, self.opts.before);
        v.reverse();
        v.retain(|l| !self.scanner.is_hit(l.as_bytes()) && self.same_process(l));
        v
    }

    /// Up to `want` lines before a record that starts at `start` in `block`
    /// (or, without a block, at the current position), nearest first.
    fn lines_before(&self, block: Option<(&[u8], usize)>, want: usize) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        if let Some((b, start)) = block {
            let mut end = start;
            while v.len() < want && end > 0 {
                let line_end = end - 1;
                let line_start = memchr::memrchr(b'\n', &b[..line_end]).map_or(0, |i| i + 1);
                v.push(context_line(&b[line_start..line_end], self.opts.max_line));
                end = line_start;
            }
        }
        let need = want.saturating_sub(v.len());
        v.extend(self.ring.iter().rev().take(need).cloned());
        v
    }

    /// The traceback printed before an exception line that ends one, with
    /// any wrapper prefix removed.
    fn traceback_before(&self, block: Option<(&[u8], usize)>) -> Vec<String> {
        let lines = self.lines_before(block, crate::record::MAX_LOOKBACK);
        crate::record::traceback_before(
            lines
                .iter()
                .map(|l| self.grammars.frame(l, self.opts.forced_grammar).body),
        )
    }

    /// Whether a context line may come from the record's process: it names
    /// no process, or the same one.
    ///
    /// Cheap on purpose (it runs for every context line): the process id of
    /// a line is its first `[digits]`, as the timestamped formats, gunicorn
    /// and journald write it.
    fn same_process(&self, line: &str) -> bool {
        match &self.record_pid {
            None => true,
            Some(pid) => bracketed_number(line).is_none_or(|p| p == pid),
        }
    }

    /// Releases findings that wait for their following lines. Task-lifecycle
    /// findings (tasks destroyed, exceptions never retrieved, coroutines never
    /// awaited) wait further, until an application line shows the program
    /// still ran after them.
    fn release(&mut self, out: &mut Vec<Finding>) {
        for f in self.pending.drain(..) {
            if f.kind.shutdown_sensitive() && self.opts.mark_shutdown {
                self.tail.push(f);
            } else {
                out.push(f);
            }
        }
        if self.tail.len() > MAX_TAIL {
            out.append(&mut self.tail);
        }
    }

    /// An application line: the findings before it were not at shutdown.
    fn app_line_seen(&mut self, out: &mut Vec<Finding>) {
        if !self.tail.is_empty() {
            out.append(&mut self.tail);
        }
    }

    /// An application line that follows findings.
    fn follow_line(&mut self, text: &str, out: &mut Vec<Finding>) {
        if self.pending.is_empty() || !self.same_process(text) {
            return;
        }
        for f in &mut self.pending {
            f.context_after.push(text.to_string());
        }
        if self.pending[0].context_after.len() >= self.opts.after {
            self.release(out);
        }
    }

    /// The line account so far.
    pub fn stats(&self) -> &LineStats {
        &self.stats
    }

    /// Consumes a chunk; complete findings are pushed to `out`.
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<Finding>) {
        self.stats.bytes += data.len() as u64;
        let mut data = data;
        if !self.carry.is_empty() || self.carry_cut {
            match memchr::memchr(b'\n', data) {
                None => {
                    self.extend_carry(data);
                    return;
                }
                Some(i) => {
                    self.extend_carry(&data[..i]);
                    let line = std::mem::take(&mut self.carry);
                    self.carry_cut = false;
                    self.whole_line(&line, out);
                    data = &data[i + 1..];
                }
            }
        }
        match memchr::memrchr(b'\n', data) {
            Some(last) => {
                self.block(&data[..=last], out);
                self.extend_carry(&data[last + 1..]);
            }
            None => self.extend_carry(data),
        }
    }

    /// Whether the next line must be read in full, and a live stream's
    /// pause would complete something: a record is open (for this stream or
    /// another), a finding waits for its following lines, or a split line
    /// for its last part.
    #[inline]
    pub fn busy(&self) -> bool {
        self.open.is_some()
            || !self.pending.is_empty()
            || !self.parked.is_empty()
            || !self.partials.is_empty()
    }

    /// Closes an open record: on a live stream, after a pause. Findings
    /// waiting for their following lines are released too.
    pub fn flush_idle(&mut self, out: &mut Vec<Finding>) {
        self.flush_partials(out);
        self.close_all(out);
        self.release(out);
        // A live stream is not at its end: nothing is known of a shutdown.
        out.append(&mut self.tail);
    }

    /// End of input: the last line without `\n`, then the open record.
    pub fn finish(&mut self, out: &mut Vec<Finding>) {
        if !self.carry.is_empty() || self.carry_cut {
            let line = std::mem::take(&mut self.carry);
            self.carry_cut = false;
            self.whole_line(&line, out);
        }
        self.at_eof = true;
        self.flush_partials(out);
        self.close_all(out);
        self.at_eof = false;
        self.release(out);
        for mut f in self.tail.drain(..) {
            f.during_shutdown = true;
            out.push(f);
        }
    }

    fn extend_carry(&mut self, bytes: &[u8]) {
        // A line is never buffered past the bound; the rest is dropped and
        // the line counted as truncated when it ends.
        let room = (self.opts.max_line + 1).saturating_sub(self.carry.len());
        if bytes.len() > room {
            self.carry.extend_from_slice(&bytes[..room]);
            self.carry_cut = true;
        } else {
            self.carry.extend_from_slice(bytes);
        }
    }

    /// Whether a line holds a marker within its first `max_line` bytes: the
    /// same answer whether the line came whole or through the carry.
    fn is_hit(&self, line: &[u8]) -> bool {
        let view = &line[..line.len().min(self.opts.max_line)];
        self.scanner.is_hit(view)
    }

    fn whole_line(&mut self, line: &[u8], out: &mut Vec<Finding>) {
        if !self.busy() && !self.is_hit(line) {
            self.line_no += 1;
            self.stats.lines += 1;
            self.stats.passed_through += 1;
            self.app_line_seen(out);
            if line.len() > self.opts.max_line {
                self.stats.truncated_lines += 1;
            }
        } else {
            self.slow_line(line, None, out);
        }
        self.remember(line);
    }

    /// Complete lines, each ending with `\n`.
    fn block(&mut self, block: &[u8], out: &mut Vec<Finding>) {
        self.block_lines(block, out);
        // Remember the block's last lines for the context of a record that
        // starts in the next one.
        let mut end = block.len();
        let mut last = Vec::new();
        let keep = self.ring_size();
        while last.len() < keep && end > 0 {
            let line_end = end - 1;
            let line_start = memchr::memrchr(b'\n', &block[..line_end]).map_or(0, |i| i + 1);
            last.push(&block[line_start..line_end]);
            end = line_start;
        }
        for l in last.into_iter().rev() {
            self.remember(l);
        }
    }

    fn block_lines(&mut self, block: &[u8], out: &mut Vec<Finding>) {
        let mut pos = 0;
        while pos < block.len() {
            if self.busy() {
                let end =
                    pos + memchr::memchr(b'\n', &block[pos..]).expect("block ends with a newline");
                self.slow_line(&block[pos..end], Some((block, pos)), out);
                pos = end + 1;
                continue;
            }
            // The fast path: search for the next marker, count what lies before.
            match self.scanner.find(&block[pos..]) {
                None => {
                    let n = count_lines_long(&block[pos..], self.opts.max_line);
                    self.skip_lines(n, out);
                    return;
                }
                Some(off) => {
                    let hit = pos + off;
                    let start =
                        memchr::memrchr(b'\n', &block[pos..hit]).map_or(pos, |i| pos + i + 1);
                    let end = start
                        + memchr::memchr(b'\n', &block[start..])
                            .expect("block ends with a newline");
                    // Only a marker within the line's first `max_line` bytes
                    // counts, as in a line cut at the bound.
                    if !self.is_hit(&block[start..end]) {
                        let n = count_lines_long(&block[pos..end + 1], self.opts.max_line);
                        self.skip_lines(n, out);
                        pos = end + 1;
                        continue;
                    }
                    let n = count_lines_long(&block[pos..start], self.opts.max_line);
                    self.skip_lines(n, out);
                    self.slow_line(&block[start..end], Some((block, start)), out);
                    pos = end + 1;
                }
            }
        }
    }

    fn skip_lines(&mut self, (n, long): (u64, u64), out: &mut Vec<Finding>) {
        self.stats.truncated_lines += long;
        self.line_no += n;
        self.stats.lines += n;
        self.stats.passed_through += n;
        if n > 0 {
            self.app_line_seen(out);
        }
    }

    /// One line read in full: framed and offered to the open record, or
    /// started as a new one.
    fn slow_line(&mut self, raw: &[u8], at: Option<(&[u8], usize)>, out: &mut Vec<Finding>) {
        self.line_no += 1;
        self.stats.lines += 1;
        let clean = clean_line(raw, self.opts.max_line);
        self.stats.truncated_lines += clean.truncated as u64;
        self.stats.invalid_utf8_lines += clean.invalid_utf8 as u64;
        let hit = self.is_hit(raw);
        if self.open.is_none() && self.parked.is_empty() && self.partials.is_empty() && !hit {
            // An application line read only for the context of a finding: no
            // prefix to read.
            self.stats.passed_through += 1;
            self.follow_line(&clean.text, out);
            if !clean.text.trim().is_empty() {
                self.app_line_seen(out);
            }
            return;
        }
        self.close_stale(out);
        // A JSON log line (structlog, python-json-logger, docker json-file)
        // is read as the text a logging format would have written.
        let decoded = crate::frame::decode_json(&clean.text);
        let line_text = decoded
            .as_ref()
            .map_or(clean.text.as_str(), |d| d.text.as_str());
        let framed = frame_decoded(
            self.grammars,
            line_text,
            decoded.as_ref(),
            self.opts.forced_grammar,
        );
        let waiting = self
            .partials
            .iter()
            .position(|p| p.source.as_deref() == framed.source);
        if framed.partial {
            // The first parts of a line a collector split: held until its
            // last part arrives.
            match waiting {
                Some(i) => {
                    self.partials[i].rest.push_str(framed.body);
                    self.partials[i].parts += 1;
                }
                None => self.partials.push(Partial {
                    source: framed.source.map(str::to_string),
                    first: line_text.to_string(),
                    rest: String::new(),
                    parts: 1,
                }),
            }
            return;
        }
        if let Some(i) = waiting {
            let p = self.partials.remove(i);
            let joined = format!("{}{}{}", p.first, p.rest, framed.body);
            let hit = hit || self.is_hit(joined.as_bytes());
            self.logical_line(&joined, hit, p.parts, at, out);
            return;
        }
        self.framed_line(framed, &clean.text, hit, 0, at, out);
    }

    /// A line joined from the parts a collector split: framed again whole.
    fn logical_line(
        &mut self,
        text: &str,
        hit: bool,
        extra: u64,
        at: Option<(&[u8], usize)>,
        out: &mut Vec<Finding>,
    ) {
        let mut framed = self.grammars.frame(text, self.opts.forced_grammar);
        framed.partial = false;
        self.framed_line(framed, text, hit, extra, at, out);
    }

    /// A framed line: offered to its source's open record, or started as a
    /// new one. `extra` counts the physical lines joined into it besides
    /// the last.
    fn framed_line(
        &mut self,
        framed: crate::grammar::Framed<'_>,
        clean_text: &str,
        hit: bool,
        extra: u64,
        at: Option<(&[u8], usize)>,
        out: &mut Vec<Finding>,
    ) {
        self.route(framed.source, out);
        if let Some(open) = self.open.as_mut() {
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
            let line_text = framed.body;
            let clean_text_indent = line_text.len() - line_text.trim_start().len();
            // A new record ends the following lines of the previous ones.
            self.release(out);
            self.record_pid = framed.pid.map(str::to_string);
            let before = self.context_before(at);
            let mut builder =
                Builder::start(self.line_no, &framed, self.grammars, clean_text_indent);
            builder.add_lines(extra);
            if builder.ends_traceback() {
                builder.prepend(&self.traceback_before(at));
            } else if crate::record::is_pytest_summary_warning(framed.body) {
                let above = self.lines_before(at, crate::record::MAX_LOOKBACK);
                if let Some(n) =
                    crate::record::pytest_summary_count(above.iter().map(String::as_str))
                {
                    builder.set_repeat(n);
                }
            }
            let complete = builder.is_complete();
            self.open = Some(Open {
                builder,
                before,
                source: framed.source.map(str::to_string),
            });
            if complete {
                self.close(out);
            }
        } else {
            self.stats.passed_through += 1 + extra;
            self.follow_line(clean_text, out);
            if !clean_text.trim().is_empty() {
                self.app_line_seen(out);
            }
        }
    }

    /// Makes the open record the one of `source`: the record of another
    /// source is parked until a line of its own comes. A line that names no
    /// source goes to the open record, as in a stream of one program.
    fn route(&mut self, source: Option<&str>, out: &mut Vec<Finding>) {
        let Some(src) = source else { return };
        if self.open_source.as_deref() == Some(src) {
            return;
        }
        if let Some(open) = self.open.take() {
            if open.source.is_some() {
                self.parked.push((open, self.line_no));
            } else {
                // A record of a line that named no source: it cannot go on.
                self.close_open(open, out);
            }
        }
        if let Some(i) = self
            .parked
            .iter()
            .position(|(o, _)| o.source.as_deref() == Some(src))
        {
            self.open = Some(self.parked.remove(i).0);
        }
        self.open_source = Some(src.to_string());
    }

    /// Closes the parked records whose source has been silent for
    /// [`MAX_SOURCE_GAP`] lines: a live stream must not hold a finding back
    /// for as long as other sources talk.
    fn close_stale(&mut self, out: &mut Vec<Finding>) {
        if self.parked.is_empty() {
            return;
        }
        let now = self.line_no;
        let mut i = 0;
        while i < self.parked.len() {
            if now.saturating_sub(self.parked[i].1) > MAX_SOURCE_GAP {
                let (open, _) = self.parked.remove(i);
                self.close_open(open, out);
            } else {
                i += 1;
            }
        }
    }

    /// Lines held as the first parts of a split line, read as they are: the
    /// input ended (or paused) before their last part.
    fn flush_partials(&mut self, out: &mut Vec<Finding>) {
        for p in std::mem::take(&mut self.partials) {
            let text = format!("{}{}", p.first, p.rest);
            let hit = self.is_hit(text.as_bytes());
            self.logical_line(&text, hit, p.parts - 1, None, out);
        }
    }

    /// Closes the open record and every parked one, in the order they began.
    fn close_all(&mut self, out: &mut Vec<Finding>) {
        if let Some(open) = self.open.take() {
            self.parked.push((open, self.line_no));
        }
        self.parked.sort_by_key(|(o, _)| o.builder.line_no());
        for (open, _) in std::mem::take(&mut self.parked) {
            self.close_open(open, out);
        }
    }

    fn close(&mut self, out: &mut Vec<Finding>) {
        if let Some(open) = self.open.take() {
            self.close_open(open, out);
        }
    }

    fn close_open(&mut self, open: Open, out: &mut Vec<Finding>) {
        let (rec, held) = open.builder.finish();
        self.stats.passed_through += held;
        self.emit(rec, open.before, out);
    }

    fn emit(&mut self, rec: Record, before: Vec<String>, out: &mut Vec<Finding>) {
        match parse_record(&rec.text) {
            Ok(Parsed::DebugLine(_)) => {
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
                    },
                );
                f.occurrences = rec.repeat;
                // The record's text moves into the finding: no copy.
                f.record = rec.text;
                f.context_before = before;
                self.pending.push(f);
                if self.opts.after == 0 {
                    self.release(out);
                }
            }
            Err(u) if u.not_asyncio => {
                // An application line after all.
                self.stats.passed_through += rec.line_count;
                self.app_line_seen(out);
            }
            Err(mut u) => {
                if self.at_eof {
                    u.reason = format!("cut short at the end of the input: {}", u.reason);
                }
                self.stats.unrecognized_records += 1;
                self.stats.skipped += rec.line_count;
                if self.stats.unrecognized_samples.len() < MAX_SAMPLES {
                    self.stats.unrecognized_samples.push(UnrecognizedSample {
                        input: self.name.clone(),
                        line: rec.line_no,
                        reason: u.reason,
                        text: rec.text.chars().take(SAMPLE_CHARS).collect(),
                    });
                }
            }
        }
    }
}

/// A record being assembled, with the lines before it.
struct Open {
    builder: Builder,
    before: Vec<String>,
    /// The source its first line named.
    source: Option<String>,
}

/// The first parts of a line that a log collector split (Kubernetes' `P`
/// lines), waiting for the last part.
struct Partial {
    /// The source the wrapper names.
    source: Option<String>,
    /// The first part, with its wrapper prefix.
    first: String,
    /// The bodies of the later parts.
    rest: String,
    /// How many physical lines are held.
    parts: u64,
}

/// Lines of other sources after which a parked record is closed.
pub const MAX_SOURCE_GAP: u64 = 500;

/// Frames a line as the record stage reads it: `text` is the line, or the
/// text of the JSON object `decoded` that it holds, whose collector names the
/// line's source as a wrapper grammar does.
pub fn frame_decoded<'t>(
    grammars: &Grammars,
    text: &'t str,
    decoded: Option<&'t crate::frame::JsonLine>,
    forced: Option<usize>,
) -> crate::grammar::Framed<'t> {
    let mut framed = grammars.frame(text, forced);
    if let Some(src) = decoded.and_then(|d| d.source.as_deref()) {
        framed.source = Some(src);
    }
    framed
}

/// The first `[digits]` of a line.
fn bracketed_number(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'[', &b[from..]) {
        let start = from + i + 1;
        let digits = b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 && b.get(start + digits) == Some(&b']') {
            return Some(&line[start..start + digits]);
        }
        from = start;
    }
    None
}

/// The most task-lifecycle findings held back while waiting to learn
/// whether they happened at shutdown.
pub const MAX_TAIL: usize = 10_000;

/// A context line as kept: cleaned, and cut at 500 characters.
fn context_line(raw: &[u8], max: usize) -> String {
    let text = clean_line(raw, max.min(2000)).text;
    if text.len() <= 500 {
        return text;
    }
    match text.char_indices().nth(500) {
        Some((i, _)) => text[..i].to_string(),
        None => text,
    }
}

/// Runs a whole in-memory input through a fresh analyzer: a convenience for
/// tests and small inputs.
pub fn analyze_bytes(
    name: &str,
    data: &[u8],
    grammars: &Grammars,
    opts: Options,
) -> (Vec<Finding>, LineStats) {
    let scanner = Scanner::new();
    let mut a = SourceAnalyzer::new(name, grammars, &scanner, opts);
    let mut out = Vec::new();
    a.feed(data, &mut out);
    a.finish(&mut out);
    (out, a.stats.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_in_pieces(data: &[u8], piece: usize) -> (Vec<Finding>, LineStats) {
        let g = Grammars::builtin().unwrap();
        let s = Scanner::new();
        let mut a = SourceAnalyzer::new("t", &g, &s, Options::default());
        let mut out = Vec::new();
        for c in data.chunks(piece.max(1)) {
            a.feed(c, &mut out);
        }
        a.finish(&mut out);
        (out, a.stats.clone())
    }

    /// Application lines, CRLF endings, three records and a last line
    /// without a newline.
    fn mixed() -> Vec<u8> {
        r#"app started<CR>
Executing <Task pending name='Task-2' coro=<h() running at /app/b.py:18> created at /usr/lib/python3.11/asyncio/tasks.py:384> took 0.251 seconds<CR>
GET / 200
Task was destroyed but it is pending!
source_traceback: Object created at (most recent call last):
  File "/app/f.py", line 18, in main
    asyncio.ensure_future(listen())
task: <Task pending name='Task-3' coro=<listen() done, defined at /app/f.py:13>>

/app/m.py:13: RuntimeWarning: coroutine 'Repo.save' was never awaited
  self.save(item)
RuntimeWarning: Enable tracemalloc to get the object allocation traceback
bye"#
            .replace("<CR>", "\r")
            .into_bytes()
    }

    #[test]
    fn same_findings_whatever_the_chunk_size() {
        let data = mixed();
        let (want, want_stats) = run_in_pieces(&data, data.len());
        assert_eq!(want.len(), 3, "{want:#?}");
        assert_eq!(want_stats.lines, 13, "{want_stats:#?}");
        assert!(want_stats.balanced(), "{want_stats:?}");
        assert_eq!(want_stats.parsed, 1 + 5 + 3);
        for piece in [1, 2, 3, 7, 64, 100] {
            let (got, stats) = run_in_pieces(&data, piece);
            assert_eq!(got, want, "piece {piece}");
            assert_eq!(stats, want_stats, "piece {piece}");
        }
    }

    #[test]
    fn context_lines_come_from_the_records_own_process() {
        let g = Grammars::builtin().unwrap();
        let log = "2024-05-01 12:00:00,100 [11] INFO app: GET /a request_id=aaa\n\
                   2024-05-01 12:00:00,101 [22] INFO app: GET /b request_id=bbb\n\
                   2024-05-01 12:00:00,102 [11] WARNING asyncio: Executing <Handle f() at /app/a.py:3> took 0.200 seconds\n\
                   2024-05-01 12:00:00,103 [22] INFO app: done request_id=bbb\n\
                   2024-05-01 12:00:00,104 [11] INFO app: done request_id=aaa\n\
                   2024-05-01 12:00:00,105 [11] INFO app: idle\n";
        let (out, stats) = analyze_bytes("t", log.as_bytes(), &g, Options::default());
        assert!(stats.balanced());
        let f = &out[0];
        assert_eq!(f.context_before.len(), 1, "{:?}", f.context_before);
        assert!(f.context_before[0].ends_with("GET /a request_id=aaa"));
        assert_eq!(f.context_after.len(), 2, "{:?}", f.context_after);
        assert!(f.context_after[0].ends_with("done request_id=aaa"));
        assert_eq!(
            crate::aggregate::request_ids(f.context_before.iter().chain(&f.context_after)),
            vec!["aaa".to_string()]
        );
    }

    #[test]
    fn long_lines_are_cut_and_counted() {
        let g = Grammars::builtin().unwrap();
        let mut data = vec![b'x'; 5000];
        data.extend_from_slice(b"\nExecuting <Handle f() at /app/a.py:3> took 0.200 seconds ");
        data.extend(vec![b'y'; 5000]);
        data.extend_from_slice(b"\nend\n");
        let opts = Options {
            max_line: 1000,
            ..Options::default()
        };
        let (out, stats) = analyze_bytes("t", &data, &g, opts);
        assert_eq!(stats.lines, 3);
        assert!(stats.balanced());
        assert!(stats.truncated_lines >= 1);
        // The cut slow-callback line no longer ends with its duration: it is
        // counted as unrecognized, not lost and not guessed.
        assert!(out.is_empty());
        assert_eq!(stats.unrecognized_records, 1);
    }

    #[test]
    fn empty_and_binary_inputs() {
        let g = Grammars::builtin().unwrap();
        let (out, stats) = analyze_bytes("t", b"", &g, Options::default());
        assert!(out.is_empty());
        assert_eq!(stats.lines, 0);
        let bin: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
        let (out, stats) = analyze_bytes("t", &bin, &g, Options::default());
        assert!(out.is_empty());
        assert!(stats.balanced());
    }
}

//! Stage 3b, records: reassemble the multi-line messages CPython writes.
//!
//! # Brief overview
//! A record starts at a line that holds a scan marker. Only that first line
//! carries a logging prefix; CPython's continuation lines are raw
//! (FORMATS.md §7.7), so whether a following line belongs to the record is
//! decided by its shape, per kind of record:
//!
//! * **slow callback**: one line; a paste wrapped at a space may continue on
//!   up to two more lines until ` took N seconds`.
//! * **warning** (`path:N: RuntimeWarning: …`, `<CoroWrapper …> was never
//!   yielded from`): indented lines (the echoed source line, frames),
//!   `Coroutine created at (most recent call last)`, `Object allocated at …`,
//!   and a final `RuntimeWarning: Enable tracemalloc …` that closes it.
//! * **exception handler** (`Task was destroyed but it is pending!`, `…
//!   exception was never retrieved`, …): `key: value` lines such as
//!   `task: <…>` and `source_traceback: Object created at …`, indented frame
//!   lines, `Traceback (most recent call last):`, the exception line, and
//!   chained tracebacks. Blank lines are held back and kept only if the record
//!   goes on after them.
//!
//! * **exception after its traceback** (`RuntimeError: Non-thread-safe
//!   operation …`): the marker is the *last* line, so the record is the
//!   traceback just before it ([`traceback_before`]) and that line.
//!
//! A line that a grammar with a level recognizes as a new log record never
//! continues the previous one. A record is complete when a line is refused,
//! at end of input, or (on a live stream) after a pause; the caller decides
//! which.

mod lines;
mod lookback;

use lines::{angle_balance, is_indented, is_key_line, strip_indent};
pub use lines::{is_exception_line, is_slow_complete, slow_duration};
pub use lookback::{
    is_pytest_summary_warning, pytest_summary_count, traceback_before, MAX_LOOKBACK,
};

use crate::grammar::{Framed, Grammars};

/// At most this many lines in one record; a longer one is closed.
pub const MAX_RECORD_LINES: u64 = 10_000;
/// At most this many bytes of text in one record.
pub const MAX_RECORD_BYTES: usize = 8 << 20;

/// Bytes reserved for a record's text when it starts: most multi-line
/// records fit, so the text grows once at most. Just under 1 KiB: glibc's
/// per-thread cache serves blocks up to 1,032 bytes without its slower
/// paths (1,024 measured 0.5 % slower over the whole dense run).
const RECORD_CAPACITY: usize = 1000;

/// One reassembled record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based line number of the first line in its input.
    pub line_no: u64,
    /// Physical lines the record spans.
    pub line_count: u64,
    /// The first line's timestamp, ISO 8601 when it could be read.
    pub timestamp: Option<String>,
    /// The first line's process id.
    pub pid: Option<String>,
    /// The message and its continuation lines, prefixes removed, joined
    /// with `\n`.
    pub text: String,
    /// How many occurrences the record stands for: 1, or the count a
    /// summary printed above it ([`pytest_summary_count`]).
    pub repeat: u64,
}

/// How a record goes on after its first line. Each kind says which shape
/// its first lines take ([`crate::kinds::KindSpec::shape`]); [`Shape::of`]
/// falls back on the warnings module's and the exception handler's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `Executing <…> took N seconds`, possibly wrapped over a few lines.
    Slow,
    /// A warnings-module line (`path:N: Category: message`), its frame
    /// blocks and tracemalloc's hint.
    Warning,
    /// An exception-handler message: key lines, tracebacks, a chain.
    Handler,
    /// One line: an exception line whose record is the traceback printed
    /// before it (`RuntimeError: Non-thread-safe operation …`, which
    /// threading's excepthook, `logger.exception` or an uncaught error print
    /// after the frames).
    EndsTraceback,
    /// One line: one of debug mode's DEBUG/INFO lines, or a framework's
    /// one-line report of an exception it caught.
    OneLine,
}

impl Shape {
    /// The shape of a record whose first line's message is `msg`.
    pub fn of(msg: &str) -> Shape {
        if crate::kinds::debug_lines::is_debug_line(msg) {
            Shape::OneLine
        } else if let Some(shape) = crate::kinds::Kind::shape(msg) {
            shape
        } else if msg.contains("Warning: ") {
            Shape::Warning
        } else {
            Shape::Handler
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before any traceback: key lines and their frames.
    Keys,
    /// Inside `Traceback (most recent call last):`.
    Frames,
    /// After the exception line; only a chained traceback may follow.
    AfterException,
    /// A warning closed by its `Enable tracemalloc` line.
    Done,
}

/// What the builder says to the next line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// The line belongs to the record.
    Accept,
    /// A blank line: kept only if the record goes on after it.
    Hold,
    /// The record is complete; the line is not part of it.
    Reject,
}

/// A record being assembled.
#[derive(Debug, Clone)]
pub struct Builder {
    rec: Record,
    shape: Shape,
    phase: Phase,
    held_blanks: u64,
    base_indent: usize,
    /// Lines still allowed to continue a wrapped line (slow callback) or an
    /// unbalanced `key: <…` repr.
    wrap_budget: u32,
    unbalanced: i32,
    /// The last line ended with a space (where a wrapped paste breaks).
    ends_with_space: bool,
}

impl Builder {
    /// Starts a record at a hit line. `raw_indent` is the leading whitespace
    /// of the whole line (a paste indented as a block keeps it on every
    /// line).
    pub fn start(
        line_no: u64,
        framed: &Framed<'_>,
        grammars: &Grammars,
        raw_indent: usize,
    ) -> Builder {
        let msg = framed.message;
        let shape = Shape::of(msg);
        let wrap_budget = if shape == Shape::Slow && !is_slow_complete(msg) {
            2
        } else {
            0
        };
        Builder {
            rec: Record {
                line_no,
                line_count: 1,
                timestamp: grammars.normalize_timestamp(framed),
                pid: framed.pid.map(str::to_string),
                text: {
                    // Room for a typical multi-line record, grown once at most.
                    let first = msg.trim_end();
                    let mut t = String::with_capacity(first.len().max(RECORD_CAPACITY));
                    t.push_str(first);
                    t
                },
                repeat: 1,
            },
            shape,
            phase: Phase::Keys,
            held_blanks: 0,
            base_indent: raw_indent,
            wrap_budget,
            unbalanced: 0,
            ends_with_space: msg.ends_with(' '),
        }
    }

    /// Offers the next line. `hit` says whether it holds a scan marker.
    /// On [`Offer::Accept`] the line has been added.
    pub fn offer(&mut self, framed: &Framed<'_>, hit: bool, grammars: &Grammars) -> Offer {
        if framed.starts_record(grammars)
            || self.rec.line_count >= MAX_RECORD_LINES
            || self.rec.text.len() >= MAX_RECORD_BYTES
        {
            return Offer::Reject;
        }
        let line = strip_indent(framed.message, self.base_indent);
        let accept = match self.shape {
            Shape::Slow => self.offer_slow(line, hit),
            Shape::Warning => self.offer_warning(line, hit),
            Shape::Handler => return self.offer_handler(line, hit),
            Shape::EndsTraceback | Shape::OneLine => false,
        };
        if accept {
            self.push(line);
            Offer::Accept
        } else {
            Offer::Reject
        }
    }

    fn push(&mut self, line: &str) {
        self.rec.line_count += 1 + self.held_blanks;
        for _ in 0..self.held_blanks {
            self.rec.text.push('\n');
        }
        self.held_blanks = 0;
        self.rec.text.push('\n');
        self.rec.text.push_str(crate::text::trim_end(line));
    }

    fn offer_slow(&mut self, line: &str, hit: bool) -> bool {
        // A wrapped paste breaks at a space: the previous line ended with one.
        if self.wrap_budget == 0 || !self.ends_with_space || hit || line.trim().is_empty() {
            return false;
        }
        self.wrap_budget -= 1;
        self.ends_with_space = line.ends_with(' ');
        if is_slow_complete(line) {
            self.wrap_budget = 0;
        }
        true
    }

    fn offer_warning(&mut self, line: &str, hit: bool) -> bool {
        if self.phase == Phase::Done || hit {
            return false;
        }
        let t = crate::text::trim_start(line);
        // The lines looked for begin with `R`, `E`, `S`, `C` or `O`: most
        // lines (frames, source lines) are told apart by their first byte.
        let named = matches!(t.as_bytes().first(), Some(b'R' | b'E' | b'S' | b'C' | b'O'));
        if named
            && (t.starts_with("RuntimeWarning: Enable tracemalloc")
                || t.starts_with("ResourceWarning: Enable tracemalloc"))
        {
            self.phase = Phase::Done;
            return true;
        }
        if named
            && (t.starts_with("Enable tracemalloc to get traceback where the object was allocated")
                || (t.starts_with("See https://docs.pytest.org/") && t.contains("warnings")))
        {
            // pytest's warnings summary ends a warning with these two lines.
            return true;
        }
        (named
            && (t.starts_with("Coroutine created at (most recent call last)")
                || t.starts_with("Coroutine object created at (most recent call last")
                || t.starts_with("Object allocated at (most recent call last)")))
            || (is_indented(line) && !t.is_empty())
    }

    fn offer_handler(&mut self, line: &str, hit: bool) -> Offer {
        let t = crate::text::trim_start(line);
        if t.is_empty() {
            // At most one blank line in a row belongs to a record (between a
            // message and its keys, or before a chained traceback).
            if self.held_blanks >= 1 || self.unbalanced > 0 {
                return Offer::Reject;
            }
            self.held_blanks += 1;
            return Offer::Hold;
        }
        if self.unbalanced > 0 && self.wrap_budget > 0 && !hit {
            // The rest of a `key: <…>` repr that a paste wrapped.
            self.wrap_budget -= 1;
            self.unbalanced += angle_balance(t);
            self.push_joined(line);
            return Offer::Accept;
        }
        self.unbalanced = 0;
        // The chain and traceback headers begin with `D`, `T` or `E`: most
        // lines (frames, source lines) are told apart by their first byte.
        let header = matches!(t.as_bytes()[0], b'D' | b'T' | b'E');
        let accept = if header
            && (t.starts_with("During handling of the above exception")
                || t.starts_with("The above exception was the direct cause"))
        {
            self.phase = Phase::Keys;
            true
        } else if self.held_blanks > 0 && self.phase != Phase::Keys {
            false
        } else if header
            && (t.starts_with("Traceback (most recent call last):")
                || t.starts_with("Exception Group Traceback (most recent call last):"))
        {
            self.phase = Phase::Frames;
            true
        } else if self.phase == Phase::AfterException || self.phase == Phase::Done {
            false
        } else if is_indented(line) {
            !hit || t.starts_with("File \"")
        } else if self.phase == Phase::Keys && is_key_line(t) {
            let balance = angle_balance(t);
            if balance > 0 {
                self.unbalanced = balance;
                self.wrap_budget = 4;
            }
            true
        } else if is_exception_line(t) && !hit {
            self.phase = Phase::AfterException;
            true
        } else {
            false
        };
        if accept {
            self.push(line);
            Offer::Accept
        } else {
            Offer::Reject
        }
    }

    fn push_joined(&mut self, line: &str) {
        self.rec.line_count += 1;
        self.rec.text.push(' ');
        self.rec.text.push_str(line.trim());
    }

    /// Counts `n` more physical lines in the record: the parts of a line
    /// that a log collector split and the wrapper grammar joined.
    pub fn add_lines(&mut self, n: u64) {
        self.rec.line_count += n;
    }

    /// The record so far, and the held blank lines that turned out not to be
    /// part of it.
    pub fn finish(self) -> (Record, u64) {
        (self.rec, self.held_blanks)
    }

    /// The line number of the first line.
    pub fn line_no(&self) -> u64 {
        self.rec.line_no
    }

    /// Whether no further line can belong to the record: a slow-callback
    /// line that ends with its duration, a warning closed by its
    /// `Enable tracemalloc` line. Such a record can be emitted at once
    /// Whether the record is an exception line whose traceback was printed
    /// before it ([`Shape::EndsTraceback`]): the caller prepends the lines
    /// it looked back on.
    pub fn ends_traceback(&self) -> bool {
        self.shape == Shape::EndsTraceback
    }

    /// instead of waiting for the next line.
    pub fn is_complete(&self) -> bool {
        match self.shape {
            Shape::Slow => self.wrap_budget == 0,
            Shape::Warning => self.phase == Phase::Done,
            Shape::Handler => false,
            Shape::EndsTraceback | Shape::OneLine => true,
        }
    }

    /// Sets how many occurrences the record stands for.
    pub fn set_repeat(&mut self, n: u64) {
        self.rec.repeat = n.max(1);
    }

    /// Puts lines read before the record's first line in front of its text
    /// (the traceback above an exception line). They were counted when
    /// they were read; the record's line count does not change.
    pub fn prepend(&mut self, lines: &[String]) {
        if lines.is_empty() {
            return;
        }
        let mut text = lines.join("\n");
        text.push('\n');
        text.push_str(&self.rec.text);
        self.rec.text = text;
    }
}

/// Whether a line that holds a scan marker ends any open record and starts
/// its own: a new logging record, or a message that no record shape accepts
/// as a continuation (not indented, not a `key: value` line), and whose own
/// record takes no line from before it. A file split just before such a
/// line is analyzed in parts exactly as in one piece.
/// Never a line whose wrapper names a source or splits it: records of other
/// sources may be open across it.
pub fn hit_line_always_starts_record(framed: &Framed<'_>, grammars: &Grammars) -> bool {
    let m = framed.message;
    // An exception line whose record is the traceback before it
    // (`Shape::EndsTraceback`) takes lines from before the cut; a record of
    // a loop step, or of an object, may be joined with the one before it
    // (`crate::kinds::KindSpec::STEP`, `JOINS_BY_OBJECT`).
    if framed.stream.is_some()
        || framed.partial
        || Shape::of(m) == Shape::EndsTraceback
        || may_be_joined(m)
    {
        return false;
    }
    framed.starts_record(grammars)
        || !(m.starts_with([' ', '\t']) || m.is_empty() || is_key_line(m))
}

/// Whether a line holds the marker of a kind whose records may be joined
/// with the one before: a loop step's, an object's.
fn may_be_joined(msg: &str) -> bool {
    crate::kinds::Kind::ALL
        .iter()
        .filter(|k| k.step().is_some() || k.joins_by_object())
        .any(|k| k.markers().iter().any(|m| msg.contains(m)))
}

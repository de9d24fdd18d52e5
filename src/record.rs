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

use crate::grammar::{Framed, Grammars};

/// At most this many lines in one record; a longer one is closed.
pub const MAX_RECORD_LINES: u64 = 10_000;
/// At most this many bytes of text in one record.
pub const MAX_RECORD_BYTES: usize = 8 << 20;

/// One reassembled record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based line number of the first line in its input.
    pub line_no: u64,
    /// Physical lines the record spans.
    pub line_count: u64,
    /// The first line's timestamp, ISO 8601 when it could be read.
    pub timestamp: Option<String>,
    /// The first line's level.
    pub level: Option<String>,
    /// The first line's logger.
    pub logger: Option<String>,
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
    /// One line: one of debug mode's DEBUG/INFO lines.
    OneLine,
}

impl Shape {
    /// The shape of a record whose first line's message is `msg`.
    pub fn of(msg: &str) -> Shape {
        if crate::event::is_debug_line(msg) {
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
                level: framed.level.map(str::to_string),
                logger: framed.logger.map(str::to_string),
                pid: framed.pid.map(str::to_string),
                text: msg.trim_end().to_string(),
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
        self.rec.text.push_str(line.trim_end());
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
        let t = line.trim_start();
        if t.starts_with("RuntimeWarning: Enable tracemalloc")
            || t.starts_with("ResourceWarning: Enable tracemalloc")
        {
            self.phase = Phase::Done;
            return true;
        }
        if t.starts_with("Enable tracemalloc to get traceback where the object was allocated")
            || (t.starts_with("See https://docs.pytest.org/") && t.contains("warnings"))
        {
            // pytest's warnings summary ends a warning with these two lines.
            return true;
        }
        t.starts_with("Coroutine created at (most recent call last)")
            || t.starts_with("Coroutine object created at (most recent call last")
            || t.starts_with("Object allocated at (most recent call last)")
            || (is_indented(line) && !t.is_empty())
    }

    fn offer_handler(&mut self, line: &str, hit: bool) -> Offer {
        let t = line.trim_start();
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
        let accept = if t.starts_with("During handling of the above exception")
            || t.starts_with("The above exception was the direct cause")
        {
            self.phase = Phase::Keys;
            true
        } else if self.held_blanks > 0 && self.phase != Phase::Keys {
            false
        } else if t.starts_with("Traceback (most recent call last):")
            || t.starts_with("Exception Group Traceback (most recent call last):")
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

/// At most this many lines are looked back for a traceback.
pub const MAX_LOOKBACK: usize = 200;

/// The traceback that ends just before an exception line, from the lines
/// before it, nearest first: indented lines (frames, source lines, carets)
/// up to `Traceback (most recent call last):`, and the `Exception in
/// thread NAME:` line above it when there is one. Returned in reading
/// order; empty when the lines before are not a traceback.
pub fn traceback_before<'a>(nearest_first: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<&str> = Vec::new();
    let mut found = false;
    let mut it = nearest_first.take(MAX_LOOKBACK);
    for line in it.by_ref() {
        let t = line.trim_start();
        if t.starts_with("Traceback (most recent call last):") {
            v.push(line);
            found = true;
            break;
        }
        if !is_indented(line) || t.is_empty() {
            break;
        }
        v.push(line);
    }
    if !found {
        return Vec::new();
    }
    if let Some(prev) = it.next() {
        // It may follow a partial line of stdout on the same line.
        if let Some(i) = prev.find("Exception in thread ") {
            v.push(&prev[i..]);
        }
    }
    v.into_iter().rev().map(str::to_string).collect()
}

/// How many occurrences pytest's warnings summary counts for the warning
/// below the lines given (nearest first): pytest prints each distinct
/// warning once, indented by two spaces, under the tests that raised it,
/// one test id per line (`test_orders.py::test_one`), or a count per module
/// when there are many (`test_many.py: 12 warnings`). `None` when the lines
/// above are not such a list.
pub fn pytest_summary_count<'a>(nearest_first: impl Iterator<Item = &'a str>) -> Option<u64> {
    let mut n = 0u64;
    for line in nearest_first.take(MAX_LOOKBACK) {
        let t = line.trim_end();
        if t.is_empty() || t.starts_with(' ') || t.starts_with('\t') {
            break;
        }
        if let Some(count) = t
            .strip_suffix(" warnings")
            .or_else(|| t.strip_suffix(" warning"))
            .and_then(|r| r.rsplit_once(": "))
            .and_then(|(_, c)| c.parse::<u64>().ok())
        {
            n += count;
        } else if t.contains("::") && !t.contains(' ') {
            n += 1;
        } else {
            break;
        }
    }
    (n > 0).then_some(n)
}

/// Whether a record's first line is a warning as pytest's warnings summary
/// prints it: `  path:N: Category: message`, indented by two spaces.
pub fn is_pytest_summary_warning(line: &str) -> bool {
    line.starts_with("  ") && !line.starts_with("   ") && line.contains("Warning: ")
}

/// Whether a line that holds a scan marker ends any open record and starts
/// its own: a new logging record, or a message that no record shape accepts
/// as a continuation (not indented, not a `key: value` line). A file split
/// just before such a line is analyzed in parts exactly as in one piece.
/// Never a line whose wrapper names a source or splits it: records of other
/// sources may be open across it.
pub fn hit_line_always_starts_record(framed: &Framed<'_>, grammars: &Grammars) -> bool {
    let m = framed.message;
    if framed.stream.is_some() || framed.partial {
        return false;
    }
    framed.starts_record(grammars)
        || !(m.starts_with([' ', '\t']) || m.is_empty() || is_key_line(m))
}

fn strip_indent(s: &str, n: usize) -> &str {
    let ws = s.len() - s.trim_start_matches([' ', '\t']).len();
    &s[ws.min(n)..]
}

fn is_indented(line: &str) -> bool {
    line.starts_with("  ") || line.starts_with('\t')
}

/// ` took 0.123 seconds` at the end.
pub fn is_slow_complete(s: &str) -> bool {
    let s = s.trim_end();
    let Some(rest) = s.strip_suffix(" seconds") else {
        return false;
    };
    // Just after the last character that is not part of the number (which
    // may be a multi-byte one).
    let num_start = rest
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    num_start < rest.len() && rest[..num_start].ends_with("took ")
}

/// `task: <…>`, `source_traceback: Object created at …`: a lowercase key at
/// the start of the line.
fn is_key_line(t: &str) -> bool {
    let Some(colon) = t.find(": ") else {
        return false;
    };
    CONTEXT_KEYS.contains(&&t[..colon])
}

/// The keys of the context dicts that asyncio's default exception handler
/// prints (FORMATS.md §3.2), and those aiohttp's messages add. Only these
/// continue a record: an application line such as `service: stopping` must
/// not be swallowed.
const CONTEXT_KEYS: &[&str] = &[
    "task",
    "future",
    "handle",
    "source_traceback",
    "handle_traceback",
    "protocol",
    "transport",
    "context",
    "asyncgen",
    "socket",
    "sock",
    "exception",
    "message",
    "client_session",
    "connector",
    "connections",
    "client_connection",
];

/// `ValueError: text`, `asyncio.exceptions.CancelledError`,
/// `concurrent.futures._base.CancelledError`: a dotted class name whose last
/// part names an exception, optionally followed by `: text`.
pub fn is_exception_line(t: &str) -> bool {
    let name = t.split_once(':').map_or(t, |(n, _)| n);
    if name.is_empty() || name.contains(' ') {
        return false;
    }
    let last = name.rsplit('.').next().unwrap_or(name);
    let valid = name.split('.').all(|part| {
        !part.is_empty()
            && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !part.as_bytes()[0].is_ascii_digit()
    });
    valid
        && last.as_bytes()[0].is_ascii_uppercase()
        && [
            "Error",
            "Exception",
            "Warning",
            "Exit",
            "Interrupt",
            "Group",
            "Cancelled",
            "Timeout",
            "Iteration",
        ]
        .iter()
        .any(|s| last.ends_with(s))
}

/// Opening minus closing angle brackets.
fn angle_balance(s: &str) -> i32 {
    s.bytes().fold(0, |n, b| match b {
        b'<' => n + 1,
        b'>' => n - 1,
        _ => n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceback_before_an_exception_line() {
        let before = [
            "    raise RuntimeError(",
            "  File \"/x/base_events.py\", line 800, in _check_thread",
            "    loop.call_soon(f)",
            "  File \"/app/w.py\", line 3, in work",
            "Traceback (most recent call last):",
            "done 1Exception in thread worker:",
            "earlier",
        ];
        let tb = traceback_before(before.iter().copied());
        assert_eq!(tb.len(), 6);
        assert_eq!(tb[0], "Exception in thread worker:");
        assert_eq!(tb[1], "Traceback (most recent call last):");
        assert_eq!(tb[5], "    raise RuntimeError(");
        // Not a traceback: an application line comes first.
        assert!(
            traceback_before(["GET / 200", "Traceback (most recent call last):"].into_iter())
                .is_empty()
        );
        // No header within reach.
        assert!(traceback_before(["  File \"/app/w.py\", line 3, in f"].into_iter()).is_empty());
    }

    #[test]
    fn slow_completion() {
        assert!(is_slow_complete(
            "Executing <Handle f()> took 0.150 seconds"
        ));
        assert!(is_slow_complete("took 1.001 seconds"));
        assert!(!is_slow_complete(
            "Executing Handle(<function f at 0x1>, ()) "
        ));
        assert!(!is_slow_complete("it took seconds"));
        // A multi-byte character right before the number (found by fuzzing).
        assert!(!is_slow_complete("took i1\u{fffd}001 seconds"));
        assert!(is_slow_complete(
            "Executing <Handle é()> took 1.001 seconds"
        ));
    }

    #[test]
    fn exception_lines() {
        assert!(is_exception_line(
            "ConnectionError: inventory service unreachable"
        ));
        assert!(is_exception_line("concurrent.futures._base.CancelledError"));
        assert!(is_exception_line(
            "KeyError: <QSelectorEventLoop running=True>"
        ));
        assert!(!is_exception_line("request 0 done"));
        assert!(!is_exception_line("Done"));
        assert!(!is_exception_line("GET /orders: Error"));
    }

    #[test]
    fn key_lines() {
        assert!(is_key_line("task: <Task pending name='Task-2'>"));
        assert!(is_key_line(
            "source_traceback: Object created at (most recent call last):"
        ));
        assert!(!is_key_line("Task: x"));
        assert!(!is_key_line("service: stopping"));
        assert!(!is_key_line("no colon"));
    }
}

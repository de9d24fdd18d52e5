//! Stage 4, events: turn a record's text into a typed [`Event`].
//!
//! # Brief overview
//! Each kind of finding parses its own records ([`crate::kinds`]); this
//! module holds what they share: the repr and frame grammar (module
//! [`repr`], nom), the types a record's parts become ([`Location`],
//! [`Frame`], [`TaskRepr`], …), the helpers that find a record's frame
//! blocks and key lines, debug mode's DEBUG/INFO lines, and the dispatcher
//! [`parse_record`], which asks the kinds in registry order.
//!
//! [`parse_record`] never panics and never guesses: a record that holds an
//! asyncio marker but does not parse comes back as [`Unrecognized`] with
//! the reason, and the pipeline counts it and keeps a sample.
//!
//! # Example
//! ```
//! use aiolog::event::{parse_record, Parsed};
//! let Ok(Parsed::Event(ev)) = parse_record(
//!     "Executing <Handle flush() at /app/m.py:12 created at /app/m.py:18> took 0.150 seconds",
//! ) else { panic!() };
//! assert_eq!(ev.subject().as_deref(), Some("flush"));
//! assert_eq!(ev.duration_seconds(), Some(0.15));
//! ```

pub mod repr;

use serde::Serialize;
use std::fmt;

use crate::kinds::{Event, Kind};
use crate::record::is_exception_line;

/// `path:line` as the log printed it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// The path, unchanged.
    pub path: String,
    /// The line number.
    pub line: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path, self.line)
    }
}

/// One frame of a traceback-like block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Frame {
    /// The file.
    pub path: String,
    /// The line.
    pub line: u32,
    /// The function (`in f`); tracemalloc frames have none.
    pub function: Option<String>,
}

impl Frame {
    /// Whether `other` is at the same `path:line`.
    pub fn same_line(&self, other: &Frame) -> bool {
        self.path == other.path && self.line == other.line
    }

    /// The frame's `path:line`.
    pub fn location(&self) -> Location {
        Location {
            path: self.path.clone(),
            line: self.line,
        }
    }
}

/// How a coroutine repr places itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoroState {
    /// `running at`: the line where it is suspended.
    Running,
    /// `done, defined at`: its frame is gone; the line of its `def`.
    Done,
    /// `running, defined at`: a 3.8–3.10 CoroWrapper.
    RunningDefined,
    /// No location printed (native or Cython coroutines).
    Unknown,
}

/// `coro=<f() running at p.py:12>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoroRepr {
    /// `__qualname__` as printed.
    pub qualname: String,
    /// How the location is to be read.
    pub state: CoroState,
    /// The location, when printed.
    pub location: Option<Location>,
}

/// A Task (or Future) repr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRepr {
    /// `Task`, `_GatheringFuture`, a subclass name (the usual ones not
    /// copied: see [`repr::word`]).
    pub class: std::borrow::Cow<'static, str>,
    /// `pending`, `cancelling`, `cancelled`, `finished`.
    pub state: std::borrow::Cow<'static, str>,
    /// The name literal's contents, escapes as printed.
    pub name: Option<String>,
    /// The coroutine.
    pub coro: Option<CoroRepr>,
    /// The task's own `created at` (debug mode).
    pub created_at: Option<Location>,
}

/// A Handle or TimerHandle repr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleRepr {
    /// `Handle`, `TimerHandle`, `_ThreadSafeHandle`.
    pub class: std::borrow::Cow<'static, str>,
    /// The callback's name.
    pub callback: String,
    /// The callback's definition (` at path:N`).
    pub location: Option<Location>,
    /// Where it was scheduled (` created at path:N`).
    pub created_at: Option<Location>,
}

/// What an exception-handler record says of a failed task (`Task
/// exception was never retrieved`, `unhandled exception during
/// asyncio.run() shutdown`, …): its repr, where it was created, and the
/// exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailure {
    /// The task's repr (the `future:` or `task:` key), when it parses.
    pub task: Option<TaskRepr>,
    /// `source_traceback` frames.
    pub source_traceback: Vec<Frame>,
    /// The exception's traceback frames (the last traceback of a chain).
    pub traceback: Vec<Frame>,
    /// The exception line (`ValueError: …`).
    pub exception: Option<String>,
}

impl TaskFailure {
    /// Reads a record whose task repr is under `key`.
    pub fn read(text: &str, key: &str) -> TaskFailure {
        let (mut blocks, task) = frame_blocks_and(text, Some(key));
        TaskFailure {
            task: task.and_then(repr::task_repr),
            source_traceback: blocks.remove("source_traceback").unwrap_or_default(),
            traceback: blocks.remove("traceback").unwrap_or_default(),
            exception: last_exception_line(text),
        }
    }

    /// The task's coroutine, by qualname.
    pub fn qualname(&self) -> Option<String> {
        self.task
            .as_ref()?
            .coro
            .as_ref()
            .map(|c| c.qualname.clone())
    }

    /// The task's coroutine's line.
    pub fn location(&self) -> Option<Location> {
        self.task.as_ref()?.coro.as_ref()?.location.clone()
    }

    /// Where the task was created, as its repr says.
    pub fn created_at(&self) -> Option<Location> {
        self.task.as_ref()?.created_at.clone()
    }
}

/// A record that holds an asyncio marker but that aiolog cannot read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrecognized {
    /// Why, in a few words.
    pub reason: String,
    /// The marker matched an application's own text, not asyncio's (a
    /// marker shared with ordinary words, such as `poll took`): the lines
    /// are application lines, not an unreadable asyncio record.
    pub not_asyncio: bool,
}

/// What a record is.
// One per record, consumed at once: boxing the event would only add an
// allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// A finding's event.
    Event(Event),
    /// One of debug mode's DEBUG/INFO lines (`Using selector: …`, `Get
    /// address info …`, `Close <…>`): recognized and counted, not a
    /// finding. The text is the marker that matched.
    DebugLine(String),
}

impl Unrecognized {
    /// An asyncio record that does not parse, for `reason`.
    pub fn new(reason: &str) -> Unrecognized {
        Unrecognized {
            reason: reason.to_string(),
            not_asyncio: false,
        }
    }
}

/// Parses a record's text (message and continuation lines, prefixes
/// removed): the kinds that read a first line, in registry order, then
/// debug mode's lines, then the kinds that read the whole record.
pub fn parse_record(text: &str) -> Result<Parsed, Unrecognized> {
    let first = crate::text::lines(text).next().unwrap_or("");
    if let Some(r) = Kind::parse(first, text, false) {
        return r.map(Parsed::Event);
    }
    if let Some(r) = crate::kinds::debug_lines::parse(first) {
        return r.map(Parsed::DebugLine);
    }
    if let Some(r) = Kind::parse(first, text, true) {
        return r.map(Parsed::Event);
    }
    Err(Unrecognized::new(
        "asyncio marker in a record of unknown shape",
    ))
}

/// The `path:N` of a warnings-module prefix, from the text before
/// `: Category:`. Output printed before it on the same line (`… [OK]`) is
/// left out: an absolute path may hold spaces; otherwise the path is the last
/// word, after any closing bracket.
pub fn warning_path(before: &str) -> Option<Location> {
    let t = before.trim();
    if let Some(l) =
        repr::location(t).filter(|l| l.path.starts_with('/') || l.path.get(1..3) == Some(":\\"))
    {
        return Some(l);
    }
    let word = t.rsplit(' ').next().unwrap_or(t);
    let word = word.rsplit(']').next().unwrap_or(word);
    repr::location(word)
}

/// The frame lists of a record, by the header above them: `coroutine`
/// (`Coroutine created at`), `allocated` (tracemalloc), `source_traceback`,
/// `handle_traceback`, `traceback` (the last `Traceback` of a chain).
pub fn frame_blocks(text: &str) -> FrameBlocks {
    frame_blocks_and(text, None).0
}

/// [`frame_blocks`], and with `key` the value [`key_value`] gives for it,
/// read in the same pass over the record's lines.
pub fn frame_blocks_and<'t>(text: &'t str, key: Option<&str>) -> (FrameBlocks, Option<&'t str>) {
    let mut blocks = FrameBlocks::default();
    let mut current: Option<&'static str> = None;
    let mut value = None;
    for line in crate::text::lines(text).skip(1) {
        let t = crate::text::trim_start(line);
        if let (Some(k), None) = (key, value) {
            value = t.strip_prefix(k).and_then(|v| v.strip_prefix(": "));
        }
        if let Ok((_, frame)) = repr::frame_ref(t) {
            // A frame outside a block is read and dropped: not owned.
            if let Some(c) = current {
                blocks.push(c, frame.into_frame());
            }
            continue;
        }
        // By the first byte: most lines here are source lines, which no
        // header can begin.
        let header = match t.as_bytes().first() {
            Some(b'C')
                if t.starts_with("Coroutine created at")
                    || t.starts_with("Coroutine object created at") =>
            {
                Some("coroutine")
            }
            Some(b'O') if t.starts_with("Object allocated at") => Some("allocated"),
            Some(b's') if t.starts_with("source_traceback:") => Some("source_traceback"),
            Some(b'h') if t.starts_with("handle_traceback:") => Some("handle_traceback"),
            Some(b'T') if t.starts_with("Traceback (most recent call last)") => {
                blocks.remove("traceback");
                Some("traceback")
            }
            _ => None,
        };
        if header.is_some() {
            current = header;
        } else if !line.starts_with(' ') && !line.starts_with('\t') {
            // Any other unindented line ends a frame list (a key line, the
            // exception line, the tracemalloc hint).
            current = None;
        }
    }
    (blocks, value)
}

/// A record's frame lists by header (see [`frame_blocks`]): a few, so a
/// list rather than a table.
#[derive(Debug, Default)]
pub struct FrameBlocks(Vec<(&'static str, Vec<Frame>)>);

impl FrameBlocks {
    /// The list under `header`, taken out.
    pub fn remove(&mut self, header: &str) -> Option<Vec<Frame>> {
        let i = self.0.iter().position(|(h, _)| *h == header)?;
        Some(self.0.swap_remove(i).1)
    }

    /// The list under `header`.
    pub fn get(&self, header: &str) -> Option<&Vec<Frame>> {
        self.0.iter().find(|(h, _)| *h == header).map(|(_, f)| f)
    }

    fn push(&mut self, header: &'static str, frame: Frame) {
        match self.0.iter_mut().find(|(h, _)| *h == header) {
            Some((_, frames)) => frames.push(frame),
            None => {
                // A creation traceback has about seven frames: grown once
                // at most.
                let mut frames = Vec::with_capacity(8);
                frames.push(frame);
                self.0.push((header, frames));
            }
        }
    }
}

/// The record's last exception line (`ValueError: …`): the final exception
/// of a chained traceback.
pub fn last_exception_line(text: &str) -> Option<String> {
    // From the end: the exception line is usually the last.
    let first_end = text.find('\n')?;
    text[first_end + 1..]
        .rsplit('\n')
        .map(str::trim)
        .find(|l| is_exception_line(l))
        .map(str::to_string)
}

/// The value of the first `key: value` line for `key`.
pub fn key_value<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    crate::text::lines(text).skip(1).find_map(|l| {
        let t = crate::text::trim_start(l);
        t.strip_prefix(key)?.strip_prefix(": ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_debug_template_is_a_debug_line() {
        // One line per FORMATS.md §3.6 template that the scan searches for
        // (crate::kinds::debug_lines::MARKERS), its %r and %s filled in as CPython
        // would: derived from the templates, not captured, except the
        // first three (samples/transport_error.log) and the last.
        for line in [
            "Using selector: EpollSelector",
            "Get address info localhost:80",
            "Close <_UnixSelectorEventLoop running=False closed=False debug=True>",
            "<asyncio.TransportSocket fd=7, family=2, type=1, proto=6, laddr=('127.0.0.1', 8080)> got a new connection from ('127.0.0.1', 51000): <socket.socket fd=8>",
            "Datagram endpoint local_addr=('127.0.0.1', 9999) remote_addr=None created: (<_SelectorDatagramTransport fd=9>, <P object at 0x7f1>)",
            "<asyncio.sslproto.SSLProtocol object at 0x7f2>: SSL handshake took 12.3 ms",
            "execute program 'ls' stdin=<pipe> stdout=<pipe> stderr=<pipe>",
            "<_UnixSubprocessTransport pid=4242 running stdin=<_UnixWritePipeTransport fd=10 idle bufsize=0>> exited with return code 0",
            "process 4242 exited with returncode 0",
            // Python 3.7 (nokia/moler's examples, see tests/frameworks/).
            "poll took 0.486 ms: 1 events",
        ] {
            assert!(
                matches!(parse_record(line), Ok(Parsed::DebugLine(_))),
                "{line}: {:?}",
                parse_record(line)
            );
            assert!(crate::scan::Scanner::new().is_hit(line.as_bytes()), "{line}");
        }
    }

    #[test]
    fn poll_took_lookalikes_are_application_lines() {
        for line in [
            "long poll took 3 s: 2 events queued",
            "poll took forever: events",
        ] {
            let e = parse_record(line).unwrap_err();
            assert!(e.not_asyncio, "{line}");
        }
        assert!(matches!(
            parse_record("poll 10.001 ms took 10.094 ms: 0 events"),
            Ok(Parsed::DebugLine(_))
        ));
    }

    #[test]
    fn unknown_shapes_are_unrecognized_not_panics() {
        for text in [
            "Executing <garbage",
            "Executing <Task pending> took x seconds",
            "coroutine 'x was never awaited",
            "RuntimeError: Non-thread-safe operation",
            "",
        ] {
            assert!(parse_record(text).is_err(), "{text}");
        }
        // The whole exception line without its traceback is the kind's
        // one-line form (a framework's report), with no frame to place it.
        let Ok(Parsed::Event(Event::NonThreadsafeCall(n))) = parse_record(
            "RuntimeError: Non-thread-safe operation invoked on an event loop other than the current one",
        ) else {
            panic!()
        };
        assert!(n.traceback.is_empty() && n.report.is_none());
    }

    #[test]
    fn frame_lists_and_a_key_read_in_one_pass_are_what_each_reads() {
        // Records of the project's logs' lines, a dozen at a time, and the
        // keys the kinds ask for, with one that ends a frame list.
        let lines = crate::text::project_lines();
        let mut with_value = 0;
        for chunk in lines.chunks(12) {
            let text = chunk.join("\n");
            for key in [
                "task",
                "handle",
                "protocol",
                "source_traceback",
                "exception",
                "x",
            ] {
                let (blocks, value) = frame_blocks_and(&text, Some(key));
                assert_eq!(value, key_value(&text, key), "{key} in {text}");
                assert_eq!(format!("{blocks:?}"), format!("{:?}", frame_blocks(&text)));
                with_value += usize::from(value.is_some());
            }
        }
        assert!(with_value >= 20, "{with_value}");
    }
}

//! Stage 4, events: turn a record's text into a typed [`Event`].
//!
//! # Brief overview
//! One variant per kind of asyncio warning, each parsed with nom (module
//! [`repr`] holds the repr and frame grammar). [`parse_record`] never panics
//! and never guesses: a record that holds an asyncio marker but does not
//! parse comes back as [`Unrecognized`] with the reason, and the pipeline
//! counts it and keeps a sample.
//!
//! # Example
//! ```
//! use aiolog::event::{parse_record, Event};
//! let ev = parse_record(
//!     "Executing <Handle flush() at /app/m.py:12 created at /app/m.py:18> took 0.150 seconds",
//! ).unwrap();
//! assert_eq!(ev.subject().as_deref(), Some("flush"));
//! assert_eq!(ev.duration_seconds(), Some(0.15));
//! ```

pub mod repr;

use serde::Serialize;
use std::fmt;

use crate::record::is_exception_line;

/// The kinds of finding, in the order reports list them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `Executing <…> took N seconds`: a callback or task step blocked the loop.
    SlowCallback,
    /// `coroutine '…' was never awaited`.
    NeverAwaited,
    /// `Task was destroyed but it is pending!`.
    TaskDestroyedPending,
    /// `Task exception was never retrieved`.
    ExceptionNeverRetrieved,
    /// `Exception in callback …`: a callback raised.
    ExceptionInCallback,
    /// `ResourceWarning: unclosed …` and aiohttp's `Unclosed client session`.
    ResourceWarning,
    /// `Fatal error: protocol.data_received() call failed.` and the other
    /// fatal transport errors.
    FatalTransportError,
    /// `RuntimeError: Non-thread-safe operation invoked on an event loop
    /// other than the current one`: a loop method called from another thread.
    NonThreadsafeCall,
    /// `Getting address info HOST:PORT took N ms`: a name lookup at least as
    /// slow as the slow-callback threshold.
    SlowGetaddrinfo,
    /// A framework's own detector saw a blocking call in the event loop
    /// (Home Assistant's `Detected blocking call to open inside the event
    /// loop by integration '…' at PATH, line N: …`).
    BlockingCallDetected,
    /// Another error asyncio's default exception handler reported: an
    /// exception during `asyncio.run()` shutdown, an async generator whose
    /// cleanup raised, a failed `client_connected_cb`, …
    LoopException,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 11] = [
        Kind::SlowCallback,
        Kind::NeverAwaited,
        Kind::TaskDestroyedPending,
        Kind::ExceptionNeverRetrieved,
        Kind::ExceptionInCallback,
        Kind::ResourceWarning,
        Kind::FatalTransportError,
        Kind::NonThreadsafeCall,
        Kind::SlowGetaddrinfo,
        Kind::BlockingCallDetected,
        Kind::LoopException,
    ];

    /// The snake_case name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::SlowCallback => "slow_callback",
            Kind::NeverAwaited => "never_awaited",
            Kind::TaskDestroyedPending => "task_destroyed_pending",
            Kind::ExceptionNeverRetrieved => "exception_never_retrieved",
            Kind::ExceptionInCallback => "exception_in_callback",
            Kind::ResourceWarning => "resource_warning",
            Kind::FatalTransportError => "fatal_transport_error",
            Kind::NonThreadsafeCall => "non_threadsafe_call",
            Kind::SlowGetaddrinfo => "slow_getaddrinfo",
            Kind::BlockingCallDetected => "blocking_call_detected",
            Kind::LoopException => "loop_exception",
        }
    }

    /// A heading for people.
    pub fn title(self) -> &'static str {
        match self {
            Kind::SlowCallback => "Blocking calls (slow callbacks and task steps)",
            Kind::NeverAwaited => "Coroutines never awaited",
            Kind::TaskDestroyedPending => "Tasks destroyed while pending",
            Kind::ExceptionNeverRetrieved => "Task exceptions never retrieved",
            Kind::ExceptionInCallback => "Exceptions in callbacks",
            Kind::ResourceWarning => "Resources never closed",
            Kind::FatalTransportError => "Fatal transport errors",
            Kind::NonThreadsafeCall => "Loop methods called from other threads",
            Kind::SlowGetaddrinfo => "Slow name lookups",
            Kind::BlockingCallDetected => "Blocking calls a framework detected",
            Kind::LoopException => "Other errors the event loop reported",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The file.
    pub path: String,
    /// The line.
    pub line: u32,
    /// The function (`in f`); tracemalloc frames have none.
    pub function: Option<String>,
}

impl Frame {
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
    /// `Task`, `_GatheringFuture`, a subclass name.
    pub class: String,
    /// `pending`, `cancelling`, `cancelled`, `finished`.
    pub state: String,
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
    pub class: String,
    /// The callback's name.
    pub callback: String,
    /// The callback's definition (` at path:N`).
    pub location: Option<Location>,
    /// Where it was scheduled (` created at path:N`).
    pub created_at: Option<Location>,
}

/// What ran too long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A task step.
    Task(TaskRepr),
    /// A plain callback.
    Handle(HandleRepr),
}

/// `Executing <…> took N seconds`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlowCallback {
    /// The task or handle.
    pub target: Target,
    /// How long it blocked the loop.
    pub seconds: f64,
}

/// `Task was destroyed but it is pending!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDestroyed {
    /// The `task:` line, when printed.
    pub task: Option<TaskRepr>,
    /// `source_traceback: Object created at …` frames (debug mode).
    pub source_traceback: Vec<Frame>,
}

/// `coroutine '…' was never awaited` (or a pre-3.7 CoroWrapper's `was never
/// yielded from`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeverAwaited {
    /// The coroutine's qualname.
    pub qualname: String,
    /// The warning's own `path:N:` (where the coroutine was finalized).
    pub location: Option<Location>,
    /// `Coroutine created at (most recent call last)` frames.
    pub origin: Vec<Frame>,
    /// tracemalloc's `Object allocated at` frames.
    pub allocated: Vec<Frame>,
    /// A CoroWrapper's ` created at`.
    pub wrapper_created_at: Option<Location>,
}

/// `Task exception was never retrieved` (or `Future …`, `_GatheringFuture …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionNeverRetrieved {
    /// The class named in the message.
    pub class: String,
    /// The `future:` repr, when it parses.
    pub task: Option<TaskRepr>,
    /// `source_traceback` frames.
    pub source_traceback: Vec<Frame>,
    /// The exception's traceback frames (the last traceback of a chain).
    pub traceback: Vec<Frame>,
    /// The exception line (`ValueError: …`).
    pub exception: Option<String>,
}

/// `Exception in callback f() at p.py:3` with `handle:` and a traceback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionInCallback {
    /// The callback's name.
    pub callback: String,
    /// The callback's definition (` at path:N` after it), when printed.
    pub location: Option<Location>,
    /// The handle's ` created at` (where it was scheduled).
    pub created_at: Option<Location>,
    /// `source_traceback`/`handle_traceback` frames.
    pub source_traceback: Vec<Frame>,
    /// The traceback frames.
    pub traceback: Vec<Frame>,
    /// The exception line.
    pub exception: Option<String>,
}

/// An unclosed resource: the warnings module's `path:N: ResourceWarning:
/// unclosed <…>`, or aiohttp's `Unclosed client session` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceWarning {
    /// The resource's type as printed (`_UnixSelectorEventLoop`,
    /// `socket.socket`, `aiohttp.client.ClientSession`).
    pub resource: Option<String>,
    /// The warning's `path:N:` (the frame that raised it).
    pub location: Option<Location>,
    /// tracemalloc's `Object allocated at` frames.
    pub allocated: Vec<Frame>,
}

/// `Fatal error: protocol.data_received() call failed.` (and `Fatal error on
/// transport`, `Fatal read error on socket transport`, …) with `protocol:`,
/// `transport:` and a traceback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FatalTransportError {
    /// The message.
    pub message: String,
    /// The protocol's class, from its repr.
    pub protocol: Option<String>,
    /// The traceback frames.
    pub traceback: Vec<Frame>,
    /// The exception line.
    pub exception: Option<String>,
}

/// A loop method called from a thread other than the loop's (debug mode
/// raises `RuntimeError: Non-thread-safe operation …`), read from the
/// traceback printed before the exception line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonThreadsafeCall {
    /// The loop method that raised (`call_soon`, `call_later`,
    /// `create_task`): the function of the frame that calls `_check_thread`.
    pub method: Option<String>,
    /// The thread, from threading's `Exception in thread NAME:` line.
    pub thread: Option<String>,
    /// The traceback frames, outermost first.
    pub traceback: Vec<Frame>,
}

/// `Getting address info HOST:PORT[, …] took N.NNNms: …` at INFO level: a
/// `loop.getaddrinfo()` at least as slow as `slow_callback_duration`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlowGetaddrinfo {
    /// `host:port` as printed.
    pub address: String,
    /// Milliseconds the lookup took.
    pub millis: f64,
}

/// A blocking call that a framework's detector reported from inside the
/// event loop (Home Assistant's `homeassistant.util.loop`, formerly
/// `util.async_`), in any of its wordings:
///
/// * `Detected blocking call to FUNC inside the event loop by [custom
///   ]integration 'NAME' at PATH, line N: CODE (offender: PATH, line N:
///   CODE), please …` (2024.5+),
/// * the same without `(offender: …)` (2023–2024),
/// * `Detected blocking call inside the event loop. This is causing
///   stability issues. Please report issue[ to the custom component author]
///   for NAME doing blocking calls at PATH, line N: CODE` (2021–2022).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockingCallDetected {
    /// The blocking function (`open`, `sleep`, `import_module`), when named.
    pub function: Option<String>,
    /// The integration whose code made the call.
    pub integration: Option<String>,
    /// The integration's line (`PATH, line N`), relative to the config
    /// directory as printed.
    pub location: Option<Location>,
    /// The code on that line.
    pub code: Option<String>,
    /// Where the blocking call itself ran (`offender:`), when printed.
    pub offender: Option<Location>,
}

/// One of the default exception handler's other messages (FORMATS.md §3.2,
/// [`crate::scan::LOOP_EXCEPTION_TEXTS`]) with its `task:`/`asyncgen:`
/// keys, creation traceback and exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopException {
    /// The message (up to the end of its line, addresses included).
    pub message: String,
    /// The `task:` repr, when there is one and it parses.
    pub task: Option<TaskRepr>,
    /// The async generator's name, from `asyncgen: <async_generator object
    /// NAME at 0x…>`.
    pub asyncgen: Option<String>,
    /// `source_traceback` frames.
    pub source_traceback: Vec<Frame>,
    /// The exception's traceback frames (the last traceback of a chain).
    pub traceback: Vec<Frame>,
    /// The exception line.
    pub exception: Option<String>,
}

/// A parsed record.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// See [`SlowCallback`].
    SlowCallback(SlowCallback),
    /// See [`TaskDestroyed`].
    TaskDestroyedPending(TaskDestroyed),
    /// See [`NeverAwaited`].
    NeverAwaited(NeverAwaited),
    /// See [`ExceptionNeverRetrieved`].
    ExceptionNeverRetrieved(ExceptionNeverRetrieved),
    /// See [`ExceptionInCallback`].
    ExceptionInCallback(ExceptionInCallback),
    /// See [`ResourceWarning`].
    ResourceWarning(ResourceWarning),
    /// See [`FatalTransportError`].
    FatalTransportError(FatalTransportError),
    /// See [`NonThreadsafeCall`].
    NonThreadsafeCall(NonThreadsafeCall),
    /// See [`SlowGetaddrinfo`].
    SlowGetaddrinfo(SlowGetaddrinfo),
    /// See [`BlockingCallDetected`].
    BlockingCallDetected(BlockingCallDetected),
    /// See [`LoopException`].
    LoopException(LoopException),
    /// One of debug mode's DEBUG/INFO lines (`Using selector: …`, `Get
    /// address info …`, `Close <…>`): recognized and counted, not a finding.
    DebugLine(String),
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

impl Event {
    /// The kind.
    pub fn kind(&self) -> Kind {
        match self {
            Event::SlowCallback(_) => Kind::SlowCallback,
            Event::TaskDestroyedPending(_) => Kind::TaskDestroyedPending,
            Event::NeverAwaited(_) => Kind::NeverAwaited,
            Event::ExceptionNeverRetrieved(_) => Kind::ExceptionNeverRetrieved,
            Event::ExceptionInCallback(_) => Kind::ExceptionInCallback,
            Event::ResourceWarning(_) => Kind::ResourceWarning,
            Event::FatalTransportError(_) | Event::DebugLine(_) => Kind::FatalTransportError,
            Event::NonThreadsafeCall(_) => Kind::NonThreadsafeCall,
            Event::SlowGetaddrinfo(_) => Kind::SlowGetaddrinfo,
            Event::BlockingCallDetected(_) => Kind::BlockingCallDetected,
            Event::LoopException(_) => Kind::LoopException,
        }
    }

    /// The coroutine or callback qualname as printed.
    pub fn subject(&self) -> Option<String> {
        let coro_name = |t: &Option<TaskRepr>| {
            t.as_ref()
                .and_then(|t| t.coro.as_ref())
                .map(|c| c.qualname.clone())
        };
        match self {
            Event::SlowCallback(s) => match &s.target {
                Target::Task(t) => t.coro.as_ref().map(|c| c.qualname.clone()),
                Target::Handle(h) => Some(h.callback.clone()),
            },
            Event::TaskDestroyedPending(d) => coro_name(&d.task),
            Event::NeverAwaited(n) => Some(n.qualname.clone()),
            Event::ExceptionNeverRetrieved(e) => coro_name(&e.task),
            Event::ExceptionInCallback(e) => Some(e.callback.clone()),
            Event::ResourceWarning(r) => r.resource.clone(),
            Event::FatalTransportError(f) => f.protocol.clone(),
            Event::NonThreadsafeCall(n) => n.method.clone(),
            Event::SlowGetaddrinfo(g) => Some(g.address.clone()),
            Event::BlockingCallDetected(b) => b.function.clone(),
            Event::LoopException(l) => coro_name(&l.task).or_else(|| l.asyncgen.clone()),
            Event::DebugLine(_) => None,
        }
    }

    /// The `path:line` the warning itself prints: a task's `running at` or
    /// `done, defined at`, a handle's `at`, the warnings-module prefix.
    pub fn location(&self) -> Option<Location> {
        let coro_loc = |t: &Option<TaskRepr>| {
            t.as_ref()
                .and_then(|t| t.coro.as_ref())
                .and_then(|c| c.location.clone())
        };
        match self {
            Event::SlowCallback(s) => match &s.target {
                Target::Task(t) => t.coro.as_ref().and_then(|c| c.location.clone()),
                Target::Handle(h) => h.location.clone(),
            },
            Event::TaskDestroyedPending(d) => coro_loc(&d.task),
            Event::NeverAwaited(n) => n.location.clone(),
            Event::ExceptionNeverRetrieved(e) => coro_loc(&e.task),
            Event::ExceptionInCallback(e) => e.location.clone(),
            Event::ResourceWarning(r) => r.location.clone(),
            Event::BlockingCallDetected(b) => b.location.clone(),
            Event::LoopException(l) => coro_loc(&l.task),
            Event::FatalTransportError(_)
            | Event::NonThreadsafeCall(_)
            | Event::SlowGetaddrinfo(_)
            | Event::DebugLine(_) => None,
        }
    }

    /// The traceback of the exception the record reports (empty when it
    /// reports none).
    pub fn traceback(&self) -> &[Frame] {
        match self {
            Event::ExceptionNeverRetrieved(e) => &e.traceback,
            Event::ExceptionInCallback(e) => &e.traceback,
            Event::FatalTransportError(f) => &f.traceback,
            Event::NonThreadsafeCall(n) => &n.traceback,
            Event::LoopException(l) => &l.traceback,
            _ => &[],
        }
    }

    /// The object's own creation site when printed: a task's or handle's
    /// `created at`, a CoroWrapper's `created at`, tracemalloc's allocation
    /// frame or the last frame of `Coroutine created at`.
    pub fn created_at(&self) -> Option<Location> {
        let task_created = |t: &Option<TaskRepr>| t.as_ref().and_then(|t| t.created_at.clone());
        match self {
            Event::SlowCallback(s) => match &s.target {
                Target::Task(t) => t.created_at.clone(),
                Target::Handle(h) => h.created_at.clone(),
            },
            Event::TaskDestroyedPending(d) => task_created(&d.task),
            Event::NeverAwaited(n) => n
                .wrapper_created_at
                .clone()
                .or_else(|| n.allocated.last().map(Frame::location))
                .or_else(|| n.origin.last().map(Frame::location)),
            Event::ExceptionNeverRetrieved(e) => task_created(&e.task),
            Event::ExceptionInCallback(e) => e.created_at.clone(),
            Event::ResourceWarning(r) => r.allocated.last().map(Frame::location),
            Event::LoopException(l) => task_created(&l.task),
            Event::FatalTransportError(_)
            | Event::NonThreadsafeCall(_)
            | Event::SlowGetaddrinfo(_)
            | Event::BlockingCallDetected(_)
            | Event::DebugLine(_) => None,
        }
    }

    /// Seconds the loop was blocked (slow callbacks only).
    pub fn duration_seconds(&self) -> Option<f64> {
        match self {
            Event::SlowCallback(s) => Some(s.seconds),
            _ => None,
        }
    }
}

/// Parses a record's text (message and continuation lines, prefixes
/// removed).
pub fn parse_record(text: &str) -> Result<Event, Unrecognized> {
    let first = text.lines().next().unwrap_or("");
    let fail = |reason: &str| Unrecognized {
        reason: reason.to_string(),
        not_asyncio: false,
    };
    if first.contains("Executing ") {
        return slow_callback(text)
            .map(Event::SlowCallback)
            .ok_or_else(|| fail("slow callback whose repr or duration does not parse"));
    }
    if first.contains("was never yielded from") {
        return coro_wrapper(text)
            .map(Event::NeverAwaited)
            .ok_or_else(|| fail("CoroWrapper message that does not parse"));
    }
    if first.contains("was never awaited") {
        return never_awaited(text)
            .map(Event::NeverAwaited)
            .ok_or_else(|| fail("never-awaited warning that does not parse"));
    }
    if first.contains("was destroyed but it is pending") {
        return Ok(Event::TaskDestroyedPending(task_destroyed(text)));
    }
    if first.contains("exception was never retrieved") {
        return Ok(Event::ExceptionNeverRetrieved(exception_never_retrieved(
            text,
        )));
    }
    if first.contains("xception in callback ") {
        return exception_in_callback(text)
            .map(Event::ExceptionInCallback)
            .ok_or_else(|| fail("`Exception in callback` record that does not parse"));
    }
    if first.contains("ResourceWarning: unclosed") || first.contains("Unclosed ") {
        return resource_warning(text)
            .map(Event::ResourceWarning)
            .ok_or_else(|| fail("ResourceWarning that does not parse"));
    }
    for m in [
        "Fatal error: protocol.",
        "Fatal error on ",
        "Fatal read error on ",
        "Fatal write error on ",
    ] {
        if let Some(i) = first.find(m) {
            let mut blocks = frame_blocks(text);
            let protocol = key_value(text, "protocol").map(|v| {
                let v = v.trim().trim_start_matches('<');
                v[..v.find([' ', '>']).unwrap_or(v.len())].to_string()
            });
            return Ok(Event::FatalTransportError(FatalTransportError {
                message: first[i..].trim().to_string(),
                protocol,
                traceback: blocks.remove("traceback").unwrap_or_default(),
                exception: last_exception_line(text),
            }));
        }
    }
    if let Some(m) = crate::scan::LOOP_EXCEPTION_TEXTS
        .iter()
        .find(|m| first.contains(*m))
    {
        return Ok(Event::LoopException(loop_exception(text, m)));
    }
    if first.contains("Detected blocking call ") {
        return blocking_call_detected(first)
            .map(Event::BlockingCallDetected)
            .ok_or_else(|| fail("`Detected blocking call` line without `at PATH, line N`"));
    }
    if let Some(i) = first.find("poll ") {
        if first[i..].contains(" took ") && first.contains(" events") {
            return if is_poll_took(&first[i..]) {
                Ok(Event::DebugLine("poll took".into()))
            } else {
                Err(Unrecognized {
                    reason: "not asyncio's `poll took` line".into(),
                    not_asyncio: true,
                })
            };
        }
    }
    if let Some(ev) = slow_getaddrinfo(first) {
        return Ok(Event::SlowGetaddrinfo(ev));
    }
    for m in DEBUG_MARKERS {
        if first.contains(m) {
            return Ok(Event::DebugLine(m.trim().to_string()));
        }
    }
    if text.contains(crate::scan::NON_THREADSAFE) {
        return non_threadsafe_call(text)
            .map(Event::NonThreadsafeCall)
            .ok_or_else(|| fail("`Non-thread-safe operation` without the traceback before it"));
    }
    if crate::scan::LOOP_EXCEPTION_MESSAGES
        .iter()
        .any(|m| first.contains(m))
    {
        // A part of an exception-handler message in an application's text.
        return Err(Unrecognized {
            reason: "not an exception-handler message".into(),
            not_asyncio: true,
        });
    }
    Err(fail("asyncio marker in a record of unknown shape"))
}

/// The slow-callback threshold asyncio uses unless the program changes it
/// (`loop.slow_callback_duration`), in milliseconds: a name lookup this slow
/// is logged at INFO instead of DEBUG.
pub const SLOW_LOOKUP_MS: f64 = 100.0;

/// `Getting address info localhost:8080 took 152.542ms: [...]`, when the
/// lookup took at least [`SLOW_LOOKUP_MS`]. The line has the same text at
/// DEBUG (fast) and INFO (slow) level; the duration tells them apart without
/// the level, which not every log keeps.
fn slow_getaddrinfo(first: &str) -> Option<SlowGetaddrinfo> {
    let rest = &first[first.find("Getting address info ")? + "Getting address info ".len()..];
    let took = rest.find(" took ")?;
    let after = &rest[took + " took ".len()..];
    let ms_end = after.find("ms")?;
    let millis: f64 = after[..ms_end].trim().parse().ok()?;
    if millis < SLOW_LOOKUP_MS {
        return None;
    }
    // `host:port, family=…, type=…`: the address is what comes before the
    // first `, `.
    let address = rest[..took].split(", ").next()?.to_string();
    Some(SlowGetaddrinfo { address, millis })
}

/// Python 3.7's `poll took %.3f ms: %s events` (DEBUG) and `poll %.3f ms
/// took %.3f ms: %s events` (INFO), removed in 3.8 (FORMATS.md §1).
fn is_poll_took(s: &str) -> bool {
    fn millis(s: &str) -> Option<&str> {
        let n = s
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        (n > 0).then(|| &s[n..])?.strip_prefix(" ms")
    }
    let rest = match s.strip_prefix("poll took ") {
        Some(r) => millis(r),
        None => s
            .strip_prefix("poll ")
            .and_then(millis)
            .and_then(|r| r.strip_prefix(" took "))
            .and_then(millis),
    };
    rest.and_then(|r| r.strip_prefix(": "))
        .and_then(|r| r.trim_end().strip_suffix(" events"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `PATH, line N` at the start of `s`: the location and the rest after it.
fn path_comma_line(s: &str) -> Option<(Location, &str)> {
    let i = s.find(", line ")?;
    let rest = &s[i + ", line ".len()..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let line: u32 = rest[..digits].parse().ok()?;
    Some((
        Location {
            path: s[..i].trim().to_string(),
            line,
        },
        &rest[digits..],
    ))
}

/// See [`BlockingCallDetected`].
fn blocking_call_detected(first: &str) -> Option<BlockingCallDetected> {
    let msg = &first[first.find("Detected blocking call ")?..];
    let function = msg
        .strip_prefix("Detected blocking call to ")
        .and_then(|r| r.split(' ').next())
        .map(str::to_string);
    let integration = msg
        .find("integration '")
        .map(|i| &msg[i + "integration '".len()..])
        .and_then(|r| r.split('\'').next())
        .or_else(|| {
            // The older wording: `… for NAME doing blocking calls at …`.
            let i = msg.find(" for ")?;
            let r = &msg[i + " for ".len()..];
            Some(&r[..r.find(" doing blocking calls")?])
        })
        .map(str::to_string);
    let at = msg.find("' at ").map(|i| i + "' at ".len()).or_else(|| {
        msg.find("blocking calls at ")
            .map(|i| i + "blocking calls at ".len())
    })?;
    let (location, rest) = path_comma_line(&msg[at..])?;
    let rest = rest.strip_prefix(": ").unwrap_or(rest);
    let (code, offender) = match rest.find(" (offender: ") {
        Some(i) => (
            &rest[..i],
            path_comma_line(&rest[i + " (offender: ".len()..]).map(|(l, _)| l),
        ),
        None => (rest.split(", please ").next().unwrap_or(rest), None),
    };
    Some(BlockingCallDetected {
        function,
        integration,
        location: Some(location),
        code: Some(code.trim().to_string()).filter(|c| !c.is_empty()),
        offender,
    })
}

/// The traceback before a `RuntimeError: Non-thread-safe operation …` line,
/// as the record stage joined it (an optional `Exception in thread NAME:`,
/// `Traceback (most recent call last):`, frames, the exception line).
fn non_threadsafe_call(text: &str) -> Option<NonThreadsafeCall> {
    let mut frames = Vec::new();
    let mut thread = None;
    let mut in_traceback = false;
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(name) = t
            .find("Exception in thread ")
            .and_then(|i| t[i + "Exception in thread ".len()..].strip_suffix(':'))
        {
            thread = Some(name.to_string());
        } else if t.starts_with("Traceback (most recent call last)") {
            in_traceback = true;
            frames.clear();
        } else if in_traceback {
            if let Ok((_, f)) = repr::frame_line(t) {
                frames.push(f);
            }
        }
    }
    if frames.is_empty() {
        return None;
    }
    // The method is the frame that called `_check_thread` (3.8–3.14).
    let method = frames
        .iter()
        .rposition(|f| f.function.as_deref() == Some("_check_thread"))
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| frames[i].function.clone());
    Some(NonThreadsafeCall {
        method,
        thread,
        traceback: frames,
    })
}

pub use crate::scan::DEBUG_MARKERS;

/// `Exception in callback f(args) at p.py:3` (the first letter may be lost
/// in a paste), `handle: <Handle …>`, traceback.
fn exception_in_callback(text: &str) -> Option<ExceptionInCallback> {
    let first = text.lines().next()?;
    let start = first.find("xception in callback ")? + "xception in callback ".len();
    let rest = first[start..].trim();
    let (cb, location) = match rest.rfind(") at ") {
        Some(i) => match repr::location(&rest[i + ") at ".len()..]) {
            Some(l) => (&rest[..i + 1], Some(l)),
            None => (rest, None),
        },
        None => (rest, None),
    };
    let handle = key_value(text, "handle").and_then(repr::handle_repr);
    let callback =
        repr::callback_name_of(cb).or_else(|| handle.as_ref().map(|h| h.callback.clone()))?;
    let mut blocks = frame_blocks(text);
    let exception = last_exception_line(text);
    let mut source = blocks.remove("source_traceback").unwrap_or_default();
    if source.is_empty() {
        source = blocks.remove("handle_traceback").unwrap_or_default();
    }
    Some(ExceptionInCallback {
        callback,
        location: location.or_else(|| handle.as_ref().and_then(|h| h.location.clone())),
        created_at: handle.and_then(|h| h.created_at),
        source_traceback: source,
        traceback: blocks.remove("traceback").unwrap_or_default(),
        exception,
    })
}

/// `path:N: ResourceWarning: unclosed <…>` or aiohttp's `Unclosed client
/// session` / `Unclosed connector` / `Unclosed connection` records.
fn resource_warning(text: &str) -> Option<ResourceWarning> {
    let first = text.lines().next()?;
    let blocks = frame_blocks(text);
    if let Some(i) = first.find(": ResourceWarning: unclosed") {
        let what = first[i + ": ResourceWarning: unclosed".len()..].trim();
        let resource = what.find('<').map(|lt| {
            let inner = &what[lt + 1..];
            let end = inner.find([' ', '>']).unwrap_or(inner.len());
            inner[..end].to_string()
        });
        return Some(ResourceWarning {
            resource,
            location: warning_path(&first[..i]),
            allocated: blocks.get("allocated").cloned().unwrap_or_default(),
        });
    }
    if first.contains("Unclosed ") {
        // The object is in the record's key line: `client_session: <aiohttp.client.ClientSession object at 0x…>`,
        // `connector: <aiohttp.connector.TCPConnector object at 0x…>`, `client_connection: Connection<…>`.
        let resource = text.lines().skip(1).find_map(|l| {
            let (key, value) = l.trim().split_once(": ")?;
            if key == "connections" {
                return None;
            }
            let v = value.trim();
            let name_end = v.find(['<', ' ']).unwrap_or(v.len());
            if name_end > 0 {
                return Some(v[..name_end].to_string());
            }
            let inner = v.strip_prefix('<')?;
            Some(inner[..inner.find([' ', '>']).unwrap_or(inner.len())].to_string())
        });
        return Some(ResourceWarning {
            resource,
            location: None,
            allocated: Vec::new(),
        });
    }
    None
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

/// `Executing <Task …|Handle …|TimerHandle …> took 0.123 seconds`.
fn slow_callback(text: &str) -> Option<SlowCallback> {
    // A paste wrapped at spaces: the record keeps its lines without the
    // trailing space, so they are joined with one.
    let joined = text.replace('\n', " ");
    let start = joined
        .find("Executing <")
        .or_else(|| joined.find("Executing Handle("))?;
    let body = joined[start + "Executing ".len()..].trim_end();
    let body = body.strip_suffix(" seconds")?;
    let (repr_text, secs) = body.rsplit_once(" took ")?;
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let seconds: f64 = secs.parse().ok()?;
    let repr_text = repr_text.trim();
    let target = if let Some(h) = repr::handle_repr(repr_text) {
        Target::Handle(h)
    } else {
        Target::Task(repr::task_repr(repr_text)?)
    };
    Some(SlowCallback { target, seconds })
}

/// `path:N: RuntimeWarning: coroutine 'f' was never awaited` and its blocks.
fn never_awaited(text: &str) -> Option<NeverAwaited> {
    let first = text.lines().next()?;
    let q_start = first.find("coroutine '")? + "coroutine '".len();
    let q_len = first[q_start..].find("' was never awaited")?;
    let qualname = first[q_start..q_start + q_len].to_string();
    let location = first[..q_start]
        .rfind(": RuntimeWarning: ")
        .and_then(|i| warning_path(&first[..i]));
    let blocks = frame_blocks(text);
    Some(NeverAwaited {
        qualname,
        location,
        origin: blocks.get("coroutine").cloned().unwrap_or_default(),
        allocated: blocks.get("allocated").cloned().unwrap_or_default(),
        wrapper_created_at: None,
    })
}

/// `<CoroWrapper f() running at p.py:3, created at p.py:9> was never yielded from`
/// (Python 3.4–3.6 debug mode).
fn coro_wrapper(text: &str) -> Option<NeverAwaited> {
    let first = text.lines().next()?;
    let s = &first[first.find("<CoroWrapper ")? + "<CoroWrapper ".len()..];
    let s = &s[..s.rfind("> was never yielded from")?];
    let (qualname, rest) = s.split_once("()")?;
    let (running, created) = match rest.rsplit_once(", created at ") {
        Some((r, c)) => (r, repr::location(c)),
        None => (rest, None),
    };
    let location = running
        .strip_prefix(" running at ")
        .or_else(|| running.strip_prefix(" running, defined at "))
        .and_then(repr::location);
    Some(NeverAwaited {
        qualname: qualname.to_string(),
        location,
        origin: frame_blocks(text)
            .get("coroutine")
            .cloned()
            .unwrap_or_default(),
        allocated: Vec::new(),
        wrapper_created_at: created,
    })
}

/// The frame lists of a record, by the header above them: `coroutine`
/// (`Coroutine created at`), `allocated` (tracemalloc), `source_traceback`,
/// `handle_traceback`, `traceback` (the last `Traceback` of a chain).
fn frame_blocks(text: &str) -> std::collections::HashMap<&'static str, Vec<Frame>> {
    let mut blocks: std::collections::HashMap<&'static str, Vec<Frame>> = Default::default();
    let mut current: Option<&'static str> = None;
    for line in text.lines().skip(1) {
        let t = line.trim_start();
        if let Ok((_, frame)) = repr::frame_line(t) {
            if let Some(c) = current {
                blocks.entry(c).or_default().push(frame);
            }
            continue;
        }
        let header = if t.starts_with("Coroutine created at")
            || t.starts_with("Coroutine object created at")
        {
            Some("coroutine")
        } else if t.starts_with("Object allocated at") {
            Some("allocated")
        } else if t.starts_with("source_traceback:") {
            Some("source_traceback")
        } else if t.starts_with("handle_traceback:") {
            Some("handle_traceback")
        } else if t.starts_with("Traceback (most recent call last)") {
            blocks.remove("traceback");
            Some("traceback")
        } else {
            None
        };
        if header.is_some() {
            current = header;
        } else if !line.starts_with(' ') && !line.starts_with('\t') {
            // Any other unindented line ends a frame list (a key line, the
            // exception line, the tracemalloc hint).
            current = None;
        }
    }
    blocks
}

/// The record's last exception line (`ValueError: …`): the final exception
/// of a chained traceback.
fn last_exception_line(text: &str) -> Option<String> {
    text.lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| is_exception_line(l))
        .last()
        .map(str::to_string)
}

/// The value of the first `key: value` line for `key`.
fn key_value<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    text.lines().skip(1).find_map(|l| {
        let t = l.trim_start();
        t.strip_prefix(key)?.strip_prefix(": ")
    })
}

fn loop_exception(text: &str, marker: &str) -> LoopException {
    let first = text.lines().next().unwrap_or("");
    // `Task <…> has errored out …` starts before its marker.
    let start = if marker.starts_with("has errored out") {
        first.find("Task <").unwrap_or(0)
    } else {
        first.find(marker).unwrap_or(0)
    };
    let mut blocks = frame_blocks(text);
    let asyncgen = key_value(text, "asyncgen").and_then(|v| {
        let rest = v.trim().strip_prefix("<async_generator object ")?;
        Some(rest.split(' ').next()?.to_string())
    });
    LoopException {
        message: first[start..].trim().to_string(),
        task: key_value(text, "task").and_then(repr::task_repr),
        asyncgen,
        source_traceback: blocks.remove("source_traceback").unwrap_or_default(),
        traceback: blocks.remove("traceback").unwrap_or_default(),
        exception: last_exception_line(text),
    }
}

fn task_destroyed(text: &str) -> TaskDestroyed {
    let mut blocks = frame_blocks(text);
    TaskDestroyed {
        task: key_value(text, "task").and_then(repr::task_repr),
        source_traceback: blocks.remove("source_traceback").unwrap_or_default(),
    }
}

fn exception_never_retrieved(text: &str) -> ExceptionNeverRetrieved {
    let first = text.lines().next().unwrap_or("");
    let class = first
        .find(" exception was never retrieved")
        .map(|i| first[..i].rsplit(' ').next().unwrap_or("").to_string())
        .unwrap_or_default();
    let mut blocks = frame_blocks(text);
    let exception = last_exception_line(text);
    ExceptionNeverRetrieved {
        class,
        task: key_value(text, "future").and_then(repr::task_repr),
        source_traceback: blocks.remove("source_traceback").unwrap_or_default(),
        traceback: blocks.remove("traceback").unwrap_or_default(),
        exception,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_task_step() {
        let ev = parse_record(
            "Executing <Task pending name='Task-2' coro=<handle_request() running at /app/b.py:18> \
             cb=[Task.task_wakeup()] created at /usr/local/lib/python3.11/asyncio/tasks.py:384> took 0.251 seconds",
        )
        .unwrap();
        assert_eq!(ev.kind(), Kind::SlowCallback);
        assert_eq!(ev.subject().as_deref(), Some("handle_request"));
        assert_eq!(ev.location().unwrap().to_string(), "/app/b.py:18");
        assert_eq!(ev.created_at().unwrap().line, 384);
        assert_eq!(ev.duration_seconds(), Some(0.251));
    }

    #[test]
    fn slow_line_mid_line_after_partial_output() {
        let ev = parse_record(
            "[partial GET /b] Executing <Handle f() at /app/a.py:3> took 1.500 seconds",
        )
        .unwrap();
        assert_eq!(ev.subject().as_deref(), Some("f"));
    }

    #[test]
    fn wrapped_prototype_slow_handle() {
        let ev = parse_record("Executing Handle(<bound method Task._step of \nTask(<coro>)<result=None>>, ()) took 1.001 seconds")
            .unwrap();
        assert_eq!(ev.subject().as_deref(), Some("Task._step"));
        assert_eq!(ev.location(), None);
    }

    #[test]
    fn never_awaited_with_origin() {
        let text = "/app/m.py:13: RuntimeWarning: coroutine 'Repo.save' was never awaited\n\
                    Coroutine created at (most recent call last)\n\
                    \x20 File \"/usr/local/lib/python3.11/asyncio/events.py\", line 80, in _run\n\
                    \x20   self._context.run(self._callback, *self._args)\n\
                    \x20 File \"/app/m.py\", line 13, in handle\n\
                    \x20   self.save(item)\n\
                    \x20 self.save(item)\n\
                    RuntimeWarning: Enable tracemalloc to get the object allocation traceback";
        let Event::NeverAwaited(n) = parse_record(text).unwrap() else {
            panic!()
        };
        assert_eq!(n.qualname, "Repo.save");
        assert_eq!(n.location.unwrap().to_string(), "/app/m.py:13");
        assert_eq!(n.origin.len(), 2);
        assert_eq!(n.origin[1].function.as_deref(), Some("handle"));
    }

    #[test]
    fn destroyed_with_source_traceback() {
        let text = "Task was destroyed but it is pending!\n\
                    source_traceback: Object created at (most recent call last):\n\
                    \x20 File \"/app/f.py\", line 18, in main\n\
                    \x20   asyncio.ensure_future(listen())\n\
                    task: <Task pending name='Task-2' coro=<listen() done, defined at /app/f.py:13> created at /x/tasks.py:680>";
        let Event::TaskDestroyedPending(d) = parse_record(text).unwrap() else {
            panic!()
        };
        assert_eq!(d.source_traceback.len(), 1);
        assert_eq!(d.task.unwrap().coro.unwrap().qualname, "listen");
    }

    #[test]
    fn non_threadsafe_call_from_the_traceback_before_it() {
        // CPython 3.13.0 (samples/versions/3.13.0/non_threadsafe_call.log).
        let text = r#"Exception in thread progress:
Traceback (most recent call last):
  File "/usr/local/lib/python3.13/threading.py", line 992, in run
    self._target(*self._args, **self._kwargs)
    ~~~~~~~~~~~~^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/app/non_threadsafe_call.py", line 15, in publish_progress
    loop.call_soon(progress.append, 50)
  File "/usr/local/lib/python3.13/asyncio/base_events.py", line 831, in call_soon
    self._check_thread()
  File "/usr/local/lib/python3.13/asyncio/base_events.py", line 868, in _check_thread
    raise RuntimeError(
        "Non-thread-safe operation invoked on an event loop other "
        "than the current one")
RuntimeError: Non-thread-safe operation invoked on an event loop other than the current one"#;
        let Ok(Event::NonThreadsafeCall(n)) = parse_record(text) else {
            panic!("{:?}", parse_record(text))
        };
        assert_eq!(n.method.as_deref(), Some("call_soon"));
        assert_eq!(n.thread.as_deref(), Some("progress"));
        assert_eq!(n.traceback.len(), 4);
        assert_eq!(n.traceback[1].line, 15);
    }

    #[test]
    fn getaddrinfo_is_a_finding_only_when_slow() {
        let slow = "Getting address info localhost:8080, type=<SocketKind.SOCK_STREAM: 1> took 152.542ms: [(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('127.0.0.1', 8080))]";
        let Ok(Event::SlowGetaddrinfo(g)) = parse_record(slow) else {
            panic!("{:?}", parse_record(slow))
        };
        assert_eq!(g.address, "localhost:8080");
        assert!((g.millis - 152.542).abs() < 1e-9);
        let fast = "Getting address info localhost:8080 took 0.412ms: []";
        assert!(matches!(parse_record(fast), Ok(Event::DebugLine(_))));
        assert!(matches!(
            parse_record("Get address info localhost:8080"),
            Ok(Event::DebugLine(_))
        ));
    }

    #[test]
    fn every_debug_template_is_a_debug_line() {
        // One line per FORMATS.md §3.6 template that the scan searches for
        // (crate::scan::DEBUG_MARKERS), its %r and %s filled in as CPython
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
                matches!(parse_record(line), Ok(Event::DebugLine(_))),
                "{line}: {:?}",
                parse_record(line)
            );
            assert!(crate::scan::Scanner::new().is_hit(line.as_bytes()), "{line}");
        }
    }

    #[test]
    fn other_exception_handler_messages_are_loop_exceptions() {
        // CPython 3.12.1 (samples/versions/3.12.1/shutdown_errors.log).
        let text = r#"an error occurred during closing of asynchronous generator <async_generator object ticker at 0x7f9565506810>
asyncgen: <async_generator object ticker at 0x7f9565506810>
Traceback (most recent call last):
  File "/app/shutdown_errors.py", line 27, in ticker
    raise ValueError("ticker cleanup failed")
ValueError: ticker cleanup failed"#;
        let Ok(Event::LoopException(l)) = parse_record(text) else {
            panic!("{:?}", parse_record(text))
        };
        assert_eq!(l.asyncgen.as_deref(), Some("ticker"));
        assert_eq!(l.traceback.len(), 1);
        assert_eq!(
            l.exception.as_deref(),
            Some("ValueError: ticker cleanup failed")
        );
        for m in crate::scan::LOOP_EXCEPTION_TEXTS {
            let Ok(Event::LoopException(l)) = parse_record(m) else {
                panic!("{m}")
            };
            assert!(
                l.message.contains(m.trim_start_matches("has errored out")) || m.starts_with("has")
            );
        }
    }

    #[test]
    fn exception_handler_lookalikes_are_application_lines() {
        let e = parse_record("INFO pool: recycling 3 asynchronous generator workers").unwrap_err();
        assert!(e.not_asyncio);
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
            Ok(Event::DebugLine(_))
        ));
    }

    #[test]
    fn unknown_shapes_are_unrecognized_not_panics() {
        for text in [
            "Executing <garbage",
            "Executing <Task pending> took x seconds",
            "coroutine 'x was never awaited",
            "RuntimeError: Non-thread-safe operation invoked on an event loop other than the current one",
            "",
        ] {
            assert!(parse_record(text).is_err(), "{text}");
        }
    }
}

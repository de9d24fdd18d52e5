//! Stage 5, correlation: tie each event to one site in the user's code.
//!
//! # Brief overview
//! asyncio prints many `path:line` pairs per warning, most of them inside the
//! standard library (`tasks.py`, `runners.py`) or third-party packages. The
//! site is the line a developer should open. Each kind chooses it
//! ([`crate::kinds::KindSpec::site`]) with the helpers here; for example:
//!
//! | event | site |
//! |---|---|
//! | slow task step | the coroutine's reported line (`running at`: where it suspended *after* the slow step; `done, defined at`: its `def`) |
//! | slow plain callback | the callback's definition (`at`), else where it was scheduled |
//! | task destroyed while pending | the innermost user frame of its creation traceback, else its coroutine's line |
//! | coroutine never awaited | the innermost user frame of `Coroutine created at` (or tracemalloc's block), else the warning's own line |
//! | task exception never retrieved | the innermost user frame of the traceback, else of the creation traceback, else the coroutine's line |
//!
//! "User" means neither the standard library nor site-packages/dist-packages
//! ([`classify`]). Every finding also says how its site was chosen
//! ([`Basis`]), because the line asyncio reports for a slow task step is not
//! the blocking call itself.

use serde::Serialize;

use crate::event::{Frame, Location, TaskFailure, TaskRepr};
use crate::kinds::{Event, Kind, Placed};

/// Where a path lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathClass {
    /// The application's own code.
    User,
    /// A third-party package (site-packages, dist-packages).
    Library,
    /// The standard library.
    Stdlib,
    /// Not a file: `sys`, `<sys>`, `<frozen …>`.
    Pseudo,
}

/// The third-party package a path is in (`fastapi` for
/// `…/site-packages/fastapi/routing.py`), if it is in one.
pub fn package(path: &str) -> Option<String> {
    let p = forward_slashes(path);
    if classify(&p) != PathClass::Library {
        return None;
    }
    let i = p.find("-packages/")? + "-packages/".len();
    let rest = &p[i..];
    let name = rest.split('/').next().unwrap_or(rest);
    Some(name.trim_end_matches(".py").to_string())
}

/// Classifies a path as printed in a log (POSIX or Windows).
///
/// A log names the same few files over and over (each record's frames), so
/// each thread remembers the classes it has worked out.
pub fn classify(path: &str) -> PathClass {
    /// Paths remembered per thread before the memory is cleared.
    const REMEMBERED: usize = 4096;
    thread_local! {
        static SEEN: std::cell::RefCell<std::collections::HashMap<Box<str>, PathClass, crate::hash::FxBuild>> =
            Default::default();
    }
    SEEN.with(|seen| {
        if let Some(&c) = seen.borrow().get(path) {
            return c;
        }
        let c = classify_uncached(path);
        let mut seen = seen.borrow_mut();
        if seen.len() >= REMEMBERED {
            seen.clear();
        }
        seen.insert(path.into(), c);
        c
    })
}

/// `path` with Windows separators made `/` (borrowed when it has none).
fn forward_slashes(path: &str) -> std::borrow::Cow<'_, str> {
    if path.contains('\\') {
        path.replace('\\', "/").into()
    } else {
        path.into()
    }
}

fn classify_uncached(path: &str) -> PathClass {
    let p = forward_slashes(path);
    let lower = p.to_ascii_lowercase();
    if lower.contains("/site-packages/")
        || lower.contains("/dist-packages/")
        || lower.starts_with("site-packages/")
    {
        return PathClass::Library;
    }
    if p == "sys" || p == "<sys>" || p.starts_with("<frozen ") {
        return PathClass::Pseudo;
    }
    if is_stdlib(&lower) {
        return PathClass::Stdlib;
    }
    PathClass::User
}

fn is_stdlib(lower: &str) -> bool {
    // …/lib/python3.11/…, …/lib/python3/…, C:/Python311/Lib/…, python314.zip/…
    // (lib64 on Fedora and SUSE.)
    let lower_norm = lower.replace("/lib64/python", "/lib/python");
    let lower = lower_norm.as_str();
    let bytes = lower.as_bytes();
    let mut from = 0;
    while let Some(i) = lower[from..].find("lib/python") {
        let at = from + i;
        let before_ok = at == 0 || bytes[at - 1] == b'/';
        let rest = &lower[at + "lib/python".len()..];
        let ver = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        if before_ok && ver > 0 && rest[ver..].starts_with('/') {
            return true;
        }
        from = at + 1;
    }
    if lower.contains(".zip/") && lower.contains("python") {
        return true;
    }
    // Windows installs: C:/Python311/Lib/asyncio/…
    if let Some(i) = lower.find("/lib/") {
        let head = &lower[..i];
        let dir = head.rsplit('/').next().unwrap_or("");
        if dir
            .strip_prefix("python")
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        {
            return true;
        }
    }
    // A bare stdlib-relative path, as some log formats print it.
    lower.starts_with("asyncio/") || lower.starts_with("concurrent/futures/")
}

/// A line in the user's code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Site {
    /// The path as the log printed it.
    pub path: String,
    /// The line.
    pub line: u32,
    /// The function or coroutine at that line, when known.
    pub function: Option<String>,
}

impl Site {
    /// `path:line`.
    pub fn location(&self) -> String {
        format!("{}:{}", self.path, self.line)
    }
}

/// How the site was chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A task step's `running at`: where it suspended after the slow step.
    SuspendedAfterSlowStep,
    /// A task step's `done, defined at`: the coroutine finished in the slow step.
    FinishedInSlowStep,
    /// A plain callback's definition.
    CallbackDefinition,
    /// Where a callback was scheduled (its definition is not printed).
    CallbackScheduled,
    /// The innermost user frame of a creation traceback.
    CreationTraceback,
    /// The task's coroutine as printed.
    CoroutineLine,
    /// The warning's own `path:line:`.
    WarningLine,
    /// The innermost user frame of the exception's traceback.
    RaisedAt,
    /// The innermost user frame of the traceback of a loop method called
    /// from another thread.
    CalledFromThread,
    /// The line a framework's blocking-call detector named.
    DetectedAt,
    /// The innermost line of the user's code in the stacks the stall probe
    /// sampled while the loop was blocked.
    SampledDuringStall,
    /// Nothing in the record names a line.
    #[default]
    Unknown,
}

impl Basis {
    /// A few words for a table cell.
    pub fn short(self) -> &'static str {
        match self {
            Basis::SuspendedAfterSlowStep => "the blocking code is before this await",
            Basis::FinishedInSlowStep => "the blocking code is after the last await",
            Basis::CallbackDefinition => "callback defined here",
            Basis::CallbackScheduled => "callback scheduled here",
            Basis::CreationTraceback => "created here",
            Basis::CoroutineLine => "the task's coroutine",
            Basis::WarningLine => "garbage-collected here",
            Basis::RaisedAt => "raised here",
            Basis::CalledFromThread => "called from another thread here",
            Basis::DetectedAt => "the blocking call is here",
            Basis::SampledDuringStall => "sampled while the loop was blocked",
            Basis::Unknown => "the log names no line",
        }
    }

    /// One sentence for people.
    pub fn explain(self) -> &'static str {
        match self {
            Basis::SuspendedAfterSlowStep => {
                "asyncio reports where the task suspended after the slow step: the blocking code ran between the previous await and this line"
            }
            Basis::FinishedInSlowStep => {
                "the coroutine finished during the slow step (line of its def): the blocking code is after its last await"
            }
            Basis::CallbackDefinition => "the callback defined here blocked the event loop",
            Basis::CallbackScheduled => "the callback scheduled here blocked the event loop (its definition is not printed)",
            Basis::CreationTraceback => "created here (innermost frame of your code in its creation traceback)",
            Basis::CoroutineLine => "the task's coroutine as printed; run in debug mode to get its creation traceback",
            Basis::WarningLine => "the warning's own line: where the coroutine was garbage-collected",
            Basis::RaisedAt => "raised here (innermost frame of your code in the traceback)",
            Basis::CalledFromThread => "a loop method was called here from a thread other than the loop's (innermost frame of your code in the traceback)",
            Basis::DetectedAt => "the framework's blocking-call detector names this line of the integration, as it was running in the event loop",
            Basis::SampledDuringStall => "the stall probe sampled the loop's thread while it was blocked: this statement of your code was running in most samples",
            Basis::Unknown => "the log names no line",
        }
    }
}

/// An event tied to a site: what the aggregate stage counts. Boxed: a
/// finding is moved through several queues on its way to the aggregate
/// (the joiner, the hold-back, a chunk's batch), and a move is then one
/// pointer, not its ~440 bytes written into each queue's memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding(Box<FindingFields>);

impl std::ops::Deref for Finding {
    type Target = FindingFields;
    fn deref(&self) -> &FindingFields {
        &self.0
    }
}

impl std::ops::DerefMut for Finding {
    fn deref_mut(&mut self) -> &mut FindingFields {
        &mut self.0
    }
}

impl From<FindingFields> for Finding {
    fn from(f: FindingFields) -> Finding {
        Finding(Box::new(f))
    }
}

impl Finding {
    /// Its fields, owned.
    pub fn into_fields(self) -> FindingFields {
        *self.0
    }
}

/// A [`Finding`]'s fields.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingFields {
    /// The kind.
    pub kind: Kind,
    /// Coroutine or callback qualname as printed.
    pub subject: Option<String>,
    /// The `path:line` the warning prints (see [`Event::location`]).
    pub location: Option<Location>,
    /// The object's own creation site (see [`Event::created_at`]).
    pub created_at: Option<Location>,
    /// Seconds blocked (slow callbacks).
    pub seconds: Option<f64>,
    /// The user-code site.
    pub site: Option<Site>,
    /// How the site was chosen.
    pub basis: Basis,
    /// The record's timestamp, when its grammar gives one.
    pub timestamp: Option<String>,
    /// The input the record came from.
    pub input: std::sync::Arc<str>,
    /// The record's first line in that input.
    pub line_no: u64,
    /// A short detail for live lines (the exception, the task name).
    pub detail: Option<String>,
    /// The rule code (see [`crate::rules`]).
    pub code: &'static str,
    /// The record's text as read (prefix removed), for reports that show
    /// the evidence.
    pub record: String,
    /// Lines of the same input just before the record (`-B`).
    pub context_before: crate::text::Lines,
    /// Application lines just after it (`-A`).
    pub context_after: crate::text::Lines,
    /// A task-lifecycle finding that no application line followed before
    /// the end of the input: it happened while the program shut down.
    pub during_shutdown: bool,
    /// What ran the step, for a record of one step.
    pub step_of: Option<crate::kinds::StepOf>,
    /// The object the record is about ([`crate::kinds::KindSpec::object`]).
    pub object: Option<String>,
    /// The process that wrote it: the pid its log prefix gives, else the
    /// one the record states (the stall probe's).
    pub pid: Option<u64>,
    /// How many times the log says it happened: 1, or the count of a
    /// summary that printed the warning once for several occurrences
    /// (pytest's warnings summary).
    pub occurrences: u64,
    /// The host whose log it came from (`--host`, or the host a fleet's
    /// NDJSON line names); `None` on one machine.
    pub host: Option<String>,
}

/// The innermost frame of the user's code.
pub fn innermost_user(frames: &[Frame]) -> Option<&Frame> {
    frames
        .iter()
        .rev()
        .find(|f| classify(&f.path) == PathClass::User)
}

/// The site of a reported exception: where it was raised (the innermost
/// frame of your code in its traceback), else where its task was created,
/// else the task's coroutine.
pub fn raised_or_created(failure: &TaskFailure) -> Placed {
    let detail = failure.exception.clone();
    if let Some(f) = innermost_user(&failure.traceback) {
        (Some(frame_site(f)), Basis::RaisedAt, detail)
    } else if let Some(f) = innermost_user(&failure.source_traceback) {
        (Some(frame_site(f)), Basis::CreationTraceback, detail)
    } else if let Some(site) = coro_site(failure.task.as_ref()) {
        (Some(site), Basis::CoroutineLine, detail)
    } else {
        (None, Basis::Unknown, detail)
    }
}

/// A frame as a site.
pub fn frame_site(f: &Frame) -> Site {
    Site {
        path: f.path.clone(),
        line: f.line,
        function: f.function.clone(),
    }
}

/// A printed location as a site, unless it is no file (`sys`).
pub fn loc_site(l: &Location, function: Option<String>) -> Option<Site> {
    (classify(&l.path) != PathClass::Pseudo).then(|| Site {
        path: l.path.clone(),
        line: l.line,
        function,
    })
}

/// A task's coroutine line as a site.
pub fn coro_site(t: Option<&TaskRepr>) -> Option<Site> {
    let c = t?.coro.as_ref()?;
    loc_site(c.location.as_ref()?, Some(c.qualname.clone()))
}

/// Where a record was read.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The input's name.
    pub input: &'a std::sync::Arc<str>,
    /// The record's first line.
    pub line_no: u64,
    /// The record's timestamp, when its grammar gives one.
    pub timestamp: Option<&'a str>,
    /// The record's text.
    pub record: &'a str,
    /// The process id its prefix gives (`[%(process)d]`), if any.
    pub pid: Option<&'a str>,
}

/// Chooses the site of an event read at `origin`.
pub fn correlate(ev: &Event, origin: Origin<'_>) -> Finding {
    let (site, basis, detail) = ev.site();
    FindingFields {
        kind: ev.kind(),
        subject: ev.subject(),
        // What the warning prints, else (for an exception) the innermost
        // traceback frame outside the standard library.
        location: ev.location().or_else(|| {
            ev.traceback()
                .iter()
                .rev()
                .find(|f| classify(&f.path) != PathClass::Stdlib)
                .map(Frame::location)
        }),
        created_at: ev.created_at(),
        seconds: ev.duration_seconds(),
        site,
        basis,
        timestamp: origin.timestamp.map(str::to_string),
        input: std::sync::Arc::clone(origin.input),
        line_no: origin.line_no,
        detail,
        code: ev.code(),
        record: origin.record.to_string(),
        context_before: Default::default(),
        context_after: Default::default(),
        during_shutdown: false,
        step_of: ev.step_of(),
        object: ev.object(),
        pid: origin
            .pid
            .and_then(|p| p.trim().parse().ok())
            .or_else(|| ev.process()),
        occurrences: 1,
        host: None,
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_paths() {
        use PathClass::*;
        for (p, want) in [
            ("/usr/local/lib/python3.11/asyncio/tasks.py", Stdlib),
            (
                "/root/.pyenv/versions/3.8.18/lib/python3.8/asyncio/base_events.py",
                Stdlib,
            ),
            ("droidlet_env/lib/python3.7/asyncio/base_events.py", Stdlib),
            ("/lib/python314.zip/asyncio/tasks.py", Stdlib),
            ("/usr/lib64/python3.5/asyncio/tasks.py", Stdlib),
            ("C:\\Python311\\Lib\\asyncio\\tasks.py", Stdlib),
            (
                "C:\\Python311\\Lib\\site-packages\\curl_cffi\\aio.py",
                Library,
            ),
            (
                "/usr/local/lib/python3.9/site-packages/nicegui/timer.py",
                Library,
            ),
            ("/usr/lib/python3/dist-packages/x.py", Library),
            (
                "python3.10/site-packages/apscheduler/executors/base.py",
                Library,
            ),
            ("/app/api.py", User),
            ("/home/me/library/python_tools/x.py", User),
            ("<string>", User),
            ("/home/me/python-app/lib/utils.py", User),
            ("sys", Pseudo),
            ("<sys>", Pseudo),
            ("<frozen runpy>", Pseudo),
        ] {
            assert_eq!(classify(p), want, "{p}");
        }
    }
}

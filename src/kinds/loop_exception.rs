//! The default exception handler's other messages (FORMATS.md §3.2): an
//! exception during `asyncio.run()` shutdown, an async generator whose
//! cleanup raised, a failed `client_connected_cb`, … (AIO404).

use super::{KindSpec, Tally};
use crate::aggregate::{times, Group};
use crate::correlate::Finding;
use crate::event::{key_value, TaskFailure, Unrecognized};
use crate::rules::Rule;

/// The messages, each by a distinctive part (`an error occurred during
/// closing of asynchronous generator` by `asynchronous generator`,
/// `Unhandled exception in client_connected_cb` by `client_connected_cb`),
/// which ordinary text rarely holds: the scan's markers. The record is read
/// only when its first line holds the whole message ([`TEXTS`]); other lines
/// with such a part are application lines.
pub const MESSAGES: &[&str] = &[
    "unhandled exception during asyncio.run() shutdown",
    "asynchronous generator",
    "has errored out but its parent task",
    "garbage collected prior to establishing network connection",
    "client_connected_cb",
    "Unhandled error in exception handler",
    "Exception in default exception handler",
    "socket.accept() out of system resource",
    "transport creation for incoming connection",
    "pause_writing() failed",
    "resume_writing() failed",
    "reading from the event loop self pipe",
    "Accept failed on a socket",
    "SIGCHLD handler",
    "Unhandled exception in event loop",
];

/// The messages [`MESSAGES`] find, whole.
pub const TEXTS: &[&str] = &[
    "unhandled exception during asyncio.run() shutdown",
    "an error occurred during closing of asynchronous generator",
    "has errored out but its parent task",
    "An open stream was garbage collected prior to establishing network connection",
    "Unhandled exception in client_connected_cb",
    "Unhandled error in exception handler",
    "Exception in default exception handler",
    "socket.accept() out of system resource",
    "Error on transport creation for incoming connection",
    "protocol.pause_writing() failed",
    "protocol.resume_writing() failed",
    "Error on reading from the event loop self pipe",
    "Accept failed on a socket",
    "Unknown exception in SIGCHLD handler",
    "Unhandled exception in event loop",
];

/// One of the default exception handler's other messages ([`TEXTS`]) with
/// its `task:`/`asyncgen:` keys, creation traceback and exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopException {
    /// The message (up to the end of its line, addresses included).
    pub message: String,
    /// The async generator's name, from `asyncgen: <async_generator object
    /// NAME at 0x…>`.
    pub asyncgen: Option<String>,
    /// The task (the `task:` key), when there is one, and the exception.
    pub failure: TaskFailure,
}

fn loop_exception(text: &str, marker: &str) -> LoopException {
    let first = crate::text::lines(text).next().unwrap_or("");
    // `Task <…> has errored out …` starts before its marker.
    let start = if marker.starts_with("has errored out") {
        first.find("Task <").unwrap_or(0)
    } else {
        first.find(marker).unwrap_or(0)
    };
    let asyncgen = key_value(text, "asyncgen").and_then(|v| {
        let rest = v.trim().strip_prefix("<async_generator object ")?;
        Some(rest.split(' ').next()?.to_string())
    });
    LoopException {
        message: first[start..].trim().to_string(),
        asyncgen,
        failure: TaskFailure::read(text, "task"),
    }
}

impl KindSpec for LoopException {
    const NAME: &'static str = "loop_exception";
    const TITLE: &'static str = "Other errors the event loop reported";
    const HELP: &'static str = "Other errors asyncio's exception handler reported";
    const MARKERS: &'static [&'static str] = MESSAGES;
    const TABLE_NOTE: &'static str =
        "Ranked by count. Errors asyncio's exception handler reported besides the kinds above \
         (a task that raised while asyncio.run() cancelled it, an async generator whose cleanup \
         raised, a failing client_connected_cb …); the site is where the exception was raised.";
    const RULES: &'static [Rule] = &[
    Rule {
        code: "AIO404",
        name: "loop-exception",
        kind: super::Kind::LoopException,
        summary: "asyncio's exception handler reported another error",
        why: "An exception nothing handled reached the event loop: a task that raised while \
              asyncio.run() cancelled it at shutdown, an async generator whose cleanup raised, a \
              failing client_connected_cb or protocol callback. asyncio only logs it; the work it \
              belonged to is lost.",
        fix: "Handle the error where it is raised: let cancellation propagate (re-raise \
              CancelledError, do cleanup that cannot fail), close async generators explicitly \
              (`contextlib.aclosing`), catch errors inside callbacks.",
        example_log: r#"unhandled exception during asyncio.run() shutdown
task: <Task finished name='Task-2' coro=<sync_worker() done, defined at /app/worker.py:14> exception=RuntimeError('could not flush the queue')>
Traceback (most recent call last):
  File "/app/worker.py", line 18, in sync_worker
    raise RuntimeError("could not flush the queue")
RuntimeError: could not flush the queue"#,
        example_fix: r#"# before
except asyncio.CancelledError:
    raise RuntimeError("could not flush the queue")
# after
except asyncio.CancelledError:
    log.warning("queue not flushed")
    raise"#,
    },
    ];

    fn parse(first: &str, text: &str) -> Option<Result<Self, Unrecognized>> {
        match TEXTS.iter().find(|m| first.contains(*m)) {
            Some(m) => Some(Ok(loop_exception(text, m))),
            // A part of a message in an application's text.
            None if MESSAGES.iter().any(|m| first.contains(m)) => Some(Err(Unrecognized {
                reason: "not an exception-handler message".into(),
                not_asyncio: true,
            })),
            None => None,
        }
    }

    fn subject(&self) -> Option<String> {
        self.failure.qualname().or_else(|| self.asyncgen.clone())
    }

    fn failure(&self) -> Option<&TaskFailure> {
        Some(&self.failure)
    }

    fn why(g: &Group, short: &str) -> String {
        format!(
            "the event loop reported an error {}; {short}",
            times(g.count)
        )
    }

    fn live(f: &Finding, subject: &str) -> String {
        match &f.detail {
            Some(d) => format!("{subject}: the event loop reported {d}"),
            None => format!("{subject}: the event loop reported an error"),
        }
    }

    fn symptom(t: &Tally) -> String {
        format!(
            "- The event loop reported {} other error(s), at {} site(s).",
            t.events, t.sites
        )
    }

    fn questions(_g: &Group, site: &str) -> Vec<String> {
        vec![
            format!("Why does the code at {site} raise, and what does the loop do with it?"),
            "Should the error be handled where it is raised (cancellation, cleanup, callbacks)?".into(),
            "Give the corrected code.".into(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{parse_record, Parsed};
    use crate::kinds::Event;

    #[test]
    fn each_marker_is_part_of_its_message() {
        assert_eq!(MESSAGES.len(), TEXTS.len());
        for (m, t) in MESSAGES.iter().zip(TEXTS) {
            assert!(t.contains(m), "{m:?} not in {t:?}");
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
        let Ok(Parsed::Event(Event::LoopException(l))) = parse_record(text) else {
            panic!("{:?}", parse_record(text))
        };
        assert_eq!(l.asyncgen.as_deref(), Some("ticker"));
        assert_eq!(l.failure.traceback.len(), 1);
        assert_eq!(
            l.failure.exception.as_deref(),
            Some("ValueError: ticker cleanup failed")
        );
        for m in TEXTS {
            let Ok(Parsed::Event(Event::LoopException(l))) = parse_record(m) else {
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
}

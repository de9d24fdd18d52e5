//! `RuntimeError: Non-thread-safe operation invoked on an event loop other
//! than the current one` (FORMATS.md §3.5): a loop method called from
//! another thread, read from the traceback printed before it (AIO601).

use super::{KindSpec, Placed, Tally};
use crate::aggregate::{times, Group};
use crate::correlate::{frame_site, innermost_user, Basis, Finding};
use crate::event::{repr, Frame, Unrecognized};
use crate::record::Shape;
use crate::rules::Rule;

/// The exception line of a loop method called from another thread. The
/// marker includes the exception type: 3.13+ print the `raise
/// RuntimeError(` statement's string in the traceback above it.
pub const NON_THREADSAFE: &str = "RuntimeError: Non-thread-safe operation";

/// The exception's text, as a framework that caught it logs it inside a
/// one-line message (`Task setup_frontend failed: Non-thread-safe
/// operation invoked on an event loop other than the current one`, Home
/// Assistant), with no traceback and often without the type. 3.13+ split
/// the string over two source lines in the traceback, so this never hits
/// there.
pub const NON_THREADSAFE_TEXT: &str =
    "Non-thread-safe operation invoked on an event loop other than the current one";

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
    /// The traceback frames, outermost first; none in a one-line report.
    pub traceback: Vec<Frame>,
    /// A one-line report's own words before the exception's text (`Task
    /// setup_frontend failed`).
    pub report: Option<String>,
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
        return one_line_report(text);
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
        report: None,
    })
}

/// A framework's one-line report of the exception: its kind, with no
/// site, and the report's own words as the detail.
fn one_line_report(text: &str) -> Option<NonThreadsafeCall> {
    let first = text.lines().find(|l| l.contains(NON_THREADSAFE_TEXT))?;
    let before = first[..first.find(NON_THREADSAFE_TEXT)?].trim_end();
    let before = before.strip_suffix("RuntimeError:").unwrap_or(before);
    let before = before.trim_end().trim_end_matches([':', '-', '(']).trim();
    Some(NonThreadsafeCall {
        method: None,
        thread: None,
        traceback: Vec::new(),
        report: (!before.is_empty()).then(|| before.to_string()),
    })
}

impl KindSpec for NonThreadsafeCall {
    const NAME: &'static str = "non_threadsafe_call";
    const TITLE: &'static str = "Loop methods called from other threads";
    const HELP: &'static str = "Loop methods called from other threads";
    const MARKERS: &'static [&'static str] = &[NON_THREADSAFE, NON_THREADSAFE_TEXT];
    const WHOLE_RECORD: bool = true;
    const TABLE_NOTE: &'static str =
        "Ranked by count. The site is the call in your code, from a thread other than the loop's, that \
         reached a loop method (call_soon, create_task, Future.set_result): use \
         loop.call_soon_threadsafe or asyncio.run_coroutine_threadsafe.";
    const RULES: &'static [Rule] = &[
    Rule {
        code: "AIO601",
        name: "loop-called-from-thread",
        kind: super::Kind::NonThreadsafeCall,
        summary: "a loop method was called from a thread other than the loop's",
        why: "The event loop is not thread-safe: `call_soon`, `create_task`, `Future.set_result` and \
              the like, called from another thread, may never wake the loop or may corrupt its state. \
              Debug mode checks the thread and raises; without debug mode the call silently races.",
        fix: "From another thread, use `loop.call_soon_threadsafe(callback, ...)` or \
              `asyncio.run_coroutine_threadsafe(coro, loop)`.",
        example_log: r#"Exception in thread progress:
Traceback (most recent call last):
  File "/app/worker.py", line 15, in publish_progress
    loop.call_soon(progress.append, 50)
  File "/usr/local/lib/python3.11/asyncio/base_events.py", line 763, in call_soon
    self._check_thread()
  File "/usr/local/lib/python3.11/asyncio/base_events.py", line 800, in _check_thread
    raise RuntimeError(
RuntimeError: Non-thread-safe operation invoked on an event loop other than the current one"#,
        example_fix: r#"# before
loop.call_soon(progress.append, 50)
# after
loop.call_soon_threadsafe(progress.append, 50)"#,
    },
    ];

    fn shape(first: &str) -> Option<Shape> {
        let t = first.trim_start();
        if t.starts_with(NON_THREADSAFE) {
            Some(Shape::EndsTraceback)
        } else {
            // A framework's one-line report: nothing follows.
            static AT: crate::text::First = crate::text::First::new(NON_THREADSAFE_TEXT);
            AT.is_in(t).then_some(Shape::OneLine)
        }
    }

    fn parse(_first: &str, text: &str) -> Option<Result<Self, Unrecognized>> {
        (text.contains(NON_THREADSAFE) || text.contains(NON_THREADSAFE_TEXT)).then(|| {
            non_threadsafe_call(text).ok_or_else(|| {
                Unrecognized::new("`Non-thread-safe operation` without the traceback before it")
            })
        })
    }

    fn subject(&self) -> Option<String> {
        self.method.clone()
    }

    fn traceback(&self) -> &[Frame] {
        &self.traceback
    }

    fn site(&self) -> Placed {
        let detail = match (&self.thread, &self.report) {
            (Some(t), _) => Some(format!("in thread {t}")),
            (None, Some(r)) => Some(format!("reported as: {r}")),
            (None, None) => None,
        };
        match innermost_user(&self.traceback) {
            Some(fr) => (Some(frame_site(fr)), Basis::CalledFromThread, detail),
            None => (None, Basis::Unknown, detail),
        }
    }

    fn why(g: &Group, short: &str) -> String {
        format!(
            "a loop method was called from another thread {}; {short}",
            times(g.count)
        )
    }

    fn live(f: &Finding, subject: &str) -> String {
        let call = match f.subject {
            Some(_) => format!("loop.{subject}()"),
            None => "a loop method".to_string(),
        };
        match &f.detail {
            Some(d) => format!("{call} called from another thread ({d})"),
            None => format!("{call} called from another thread"),
        }
    }

    fn symptom(t: &Tally) -> String {
        format!(
            "- Loop methods were called from other threads {} time(s), at {} site(s).",
            t.events, t.sites
        )
    }

    fn questions(_g: &Group, site: &str) -> Vec<String> {
        vec![
            format!("Which thread runs the code at {site}, and which loop method does it reach?"),
            "Should it use `loop.call_soon_threadsafe` or `asyncio.run_coroutine_threadsafe`?".into(),
            "Give the corrected code.".into(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use crate::event::{parse_record, Parsed};
    use crate::kinds::Event;

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
        let Ok(Parsed::Event(Event::NonThreadsafeCall(n))) = parse_record(text) else {
            panic!("{:?}", parse_record(text))
        };
        assert_eq!(n.method.as_deref(), Some("call_soon"));
        assert_eq!(n.thread.as_deref(), Some("progress"));
        assert_eq!(n.traceback.len(), 4);
        assert_eq!(n.traceback[1].line, 15);
    }
}

//! `Task exception was never retrieved` (FORMATS.md §3.2): a task failed and
//! nobody awaited it (AIO401).

use super::{KindSpec, Tally};
use crate::aggregate::{times, Group};
use crate::correlate::{Basis, Finding};
use crate::event::{TaskFailure, Unrecognized};
use crate::rules::Rule;

/// `Task exception was never retrieved` (or `Future …`, `_GatheringFuture …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionNeverRetrieved {
    /// The class named in the message.
    pub class: String,
    /// The task (the `future:` key) and its exception.
    pub failure: TaskFailure,
}

impl KindSpec for ExceptionNeverRetrieved {
    const NAME: &'static str = "exception_never_retrieved";
    const TITLE: &'static str = "Task exceptions never retrieved";
    const HELP: &'static str = "Task exceptions never retrieved";
    const MARKERS: &'static [&'static str] = &["exception was never retrieved"];
    const SHUTDOWN_SENSITIVE: bool = true;
    const TABLE_NOTE: &'static str =
        "Ranked by count. The site is where the exception was raised. Await the task, or check \
         `task.exception()` in a done callback.";
    const RULES: &'static [Rule] = &[
    Rule {
        code: "AIO401",
        name: "task-exception-never-retrieved",
        kind: super::Kind::ExceptionNeverRetrieved,
        summary: "a task failed and nobody retrieved its exception",
        why: "The exception is only logged when the task is garbage-collected, possibly long after \
              the failure, and whatever awaited the result never learned that it failed.",
        fix: "Await the task (or gather it), use an asyncio.TaskGroup, or add a done callback that \
              calls `task.exception()` and handles the error.",
        example_log: r#"Task exception was never retrieved
future: <Task finished name='Task-2' coro=<sync_inventory() done, defined at /app/sync.py:12> exception=ConnectionError('unreachable')>"#,
        example_fix: r#"# before
asyncio.create_task(sync_inventory())    # nobody awaits it
# after
async with asyncio.TaskGroup() as tg:   # Python 3.11+
    tg.create_task(sync_inventory())     # failures propagate here"#,
    },
    ];

    fn parse(first: &str, text: &str) -> Option<Result<Self, Unrecognized>> {
        static AT: crate::text::First = crate::text::First::new("exception was never retrieved");
        static SPACED: crate::text::First =
            crate::text::First::new(" exception was never retrieved");
        if !AT.is_in(first) {
            return None;
        }
        let class = SPACED
            .in_(first)
            .map(|i| first[..i].rsplit(' ').next().unwrap_or("").to_string())
            .unwrap_or_default();
        Some(Ok(ExceptionNeverRetrieved {
            class,
            failure: TaskFailure::read(text, "future"),
        }))
    }

    fn subject(&self) -> Option<String> {
        self.failure.qualname()
    }

    fn failure(&self) -> Option<&TaskFailure> {
        Some(&self.failure)
    }

    fn why(g: &Group, short: &str) -> String {
        format!(
            "failed {} and nobody retrieved the exception; {short}",
            times(g.count)
        )
    }

    fn live(f: &Finding, subject: &str) -> String {
        match &f.detail {
            Some(d) => format!("exception of task {subject}() was never retrieved: {d}"),
            None => format!("exception of task {subject}() was never retrieved"),
        }
    }

    fn symptom(t: &Tally) -> String {
        format!(
            "- {} task(s) failed without anyone retrieving the exception, at {} site(s).",
            t.events, t.sites
        )
    }

    fn questions(_g: &Group, site: &str) -> Vec<String> {
        vec![
            format!("Why does the code at {site} raise, and who should have awaited the task?"),
            "How should the failure be handled or reported?".into(),
            "Give the corrected code.".into(),
        ]
    }

    fn hint(basis: Basis, _source_missing: bool) -> Option<&'static str> {
        super::debug_mode_hint(basis)
    }
}

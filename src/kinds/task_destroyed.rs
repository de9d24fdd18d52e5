//! `Task was destroyed but it is pending!` (FORMATS.md §3.2): a task
//! garbage-collected before it finished (AIO301).

use super::{KindSpec, Placed, Tally};
use crate::aggregate::Group;
use crate::correlate::{coro_site, frame_site, innermost_user, Basis, Finding};
use crate::event::{frame_blocks_and, repr, Frame, Location, TaskRepr, Unrecognized};
use crate::rules::Rule;
use crate::source::analyze::{Confidence, Reading};
use crate::source::python::stmt_at;

/// `Task was destroyed but it is pending!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDestroyed {
    /// The `task:` line, when printed.
    pub task: Option<TaskRepr>,
    /// `source_traceback: Object created at …` frames (debug mode).
    pub source_traceback: Vec<Frame>,
}

/// `asyncio.create_task(...)` / `ensure_future(...)` as a statement of its
/// own: the result is dropped.
fn drops_task(code: &str) -> bool {
    let head = code.split('(').next().unwrap_or("");
    let name = head.rsplit('.').next().unwrap_or(head).trim();
    (name == "create_task" || name == "ensure_future")
        && head
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
}

impl KindSpec for TaskDestroyed {
    const NAME: &'static str = "task_destroyed_pending";
    const TITLE: &'static str = "Tasks destroyed while pending";
    const HELP: &'static str = "Tasks destroyed while pending";
    const MARKERS: &'static [&'static str] = &["was destroyed but it is pending"];
    const SHUTDOWN_SENSITIVE: bool = true;
    const TABLE_NOTE: &'static str =
        "Ranked by count. The site is where the task was created (debug mode), else its coroutine. \
         Keep a reference to each task and await or cancel it before the loop closes.";
    const RULES: &'static [Rule] = &[
    Rule {
        code: "AIO301",
        name: "task-destroyed-pending",
        kind: super::Kind::TaskDestroyedPending,
        summary: "a task was destroyed while still pending",
        why: "The event loop keeps only weak references to tasks: a task nobody references can be \
              garbage-collected in the middle of its work, which is then lost without an error.",
        fix: "Keep a reference to every task you create (a set, a TaskGroup) and await or cancel it \
              before the loop closes.",
        example_log: r#"Task was destroyed but it is pending!
task: <Task pending name='Task-2' coro=<listen() done, defined at /app/feed.py:13> wait_for=<Future pending cb=[Task.task_wakeup()]>>"#,
        example_fix: r#"# before
asyncio.ensure_future(listen())          # nothing keeps the task
# after
background = set()
task = asyncio.create_task(listen())
background.add(task)
task.add_done_callback(background.discard)"#,
    },
    ];

    fn parse(first: &str, text: &str) -> Option<Result<Self, Unrecognized>> {
        static AT: crate::text::First = crate::text::First::new("was destroyed but it is pending");
        AT.is_in(first).then(|| {
            let (mut blocks, task) = frame_blocks_and(text, Some("task"));
            Ok(TaskDestroyed {
                task: task.and_then(repr::task_repr),
                source_traceback: blocks.remove("source_traceback").unwrap_or_default(),
            })
        })
    }

    fn subject(&self) -> Option<String> {
        self.task.as_ref()?.coro.as_ref().map(|c| c.qualname.clone())
    }

    fn location(&self) -> Option<Location> {
        self.task.as_ref()?.coro.as_ref()?.location.clone()
    }

    fn created_at(&self) -> Option<Location> {
        self.task.as_ref()?.created_at.clone()
    }

    fn site(&self) -> Placed {
        let name = self.task.as_ref().and_then(|t| t.name.clone());
        if let Some(f) = innermost_user(&self.source_traceback) {
            (Some(frame_site(f)), Basis::CreationTraceback, name)
        } else if let Some(site) = coro_site(self.task.as_ref()) {
            (Some(site), Basis::CoroutineLine, name)
        } else {
            (None, Basis::Unknown, name)
        }
    }

    fn why(g: &Group, short: &str) -> String {
        format!(
            "{} destroyed while pending; {short}",
            if g.count == 1 {
                "1 task".to_string()
            } else {
                format!("{} tasks", g.count)
            }
        )
    }

    fn live(_f: &Finding, subject: &str) -> String {
        format!("task {subject}() was destroyed while pending")
    }

    fn symptom(t: &Tally) -> String {
        format!(
            "- {} task(s) were garbage-collected while still pending, created at {} site(s).",
            t.events, t.sites
        )
    }

    fn questions(_g: &Group, site: &str) -> Vec<String> {
        vec![
            format!("Where is the task created at {site} referenced after its creation, if anywhere?"),
            "Who should own it (a TaskGroup, a set of tasks) and await or cancel it at shutdown?".into(),
            "Give the corrected code.".into(),
        ]
    }

    fn hint(basis: Basis, _source_missing: bool) -> Option<&'static str> {
        super::debug_mode_hint(basis)
    }

    /// Whether the statement that created the task keeps a reference to it.
    fn evidence(r: &mut Reading<'_>) {
        let path = &r.site.path;
        let line = r.line;
        match stmt_at(r.stmts, line) {
            Some(i) => {
                let first = r.stmts[i].first;
                r.ev.statement = r.statement(first);
                if drops_task(&r.stmts[i].code) {
                    r.ev.confidence = Confidence::ConfirmedInSource;
                    r.ev.summary = format!(
                        "{path}:{first} creates the task and drops the result: nothing keeps a reference to it (RUF006)"
                    );
                } else {
                    r.ev.summary =
                        format!("{path}:{first} creates the task; check who keeps and awaits it");
                }
            }
            None => r.ev.summary = format!("no statement at {path}:{line}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{parse_record, Parsed};
    use crate::kinds::Event;

    #[test]
    fn dropped_tasks() {
        assert!(drops_task("asyncio.ensure_future(listen())"));
        assert!(drops_task("loop.create_task(worker())"));
        assert!(!drops_task("t = asyncio.create_task(worker())"));
        assert!(!drops_task("tasks.add(asyncio.create_task(worker()))"));
    }

    #[test]
    fn destroyed_with_source_traceback() {
        let text = "Task was destroyed but it is pending!\n\
                    source_traceback: Object created at (most recent call last):\n\
                    \x20 File \"/app/f.py\", line 18, in main\n\
                    \x20   asyncio.ensure_future(listen())\n\
                    task: <Task pending name='Task-2' coro=<listen() done, defined at /app/f.py:13> created at /x/tasks.py:680>";
        let Ok(Parsed::Event(Event::TaskDestroyedPending(d))) = parse_record(text) else {
            panic!()
        };
        assert_eq!(d.source_traceback.len(), 1);
        assert_eq!(d.task.unwrap().coro.unwrap().qualname, "listen");
    }
}

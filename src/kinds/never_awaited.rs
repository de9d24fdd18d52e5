//! `coroutine '…' was never awaited` (FORMATS.md §3.3), and a pre-3.7
//! CoroWrapper's `was never yielded from` (AIO201).

use super::{KindSpec, Placed, Tally};
use crate::aggregate::{times, Group};
use crate::correlate::{innermost_user, frame_site, loc_site, Basis, Finding};
use crate::event::{frame_blocks, repr, warning_path, Frame, Location, Unrecognized};
use crate::record::Shape;
use crate::render::markdown::inline;
use crate::rules::Rule;
use crate::source::analyze::{Confidence, Reading};
use crate::source::python::stmt_at;

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

/// `path:N: RuntimeWarning: coroutine 'f' was never awaited` and its blocks.
fn never_awaited(text: &str) -> Option<NeverAwaited> {
    let first = crate::text::lines(text).next()?;
    static COROUTINE: crate::text::First = crate::text::First::new("coroutine '");
    static NEVER: crate::text::First = crate::text::First::new("' was never awaited");
    let q_start = COROUTINE.in_(first)? + "coroutine '".len();
    let q_len = NEVER.in_(&first[q_start..])?;
    let qualname = first[q_start..q_start + q_len].to_string();
    let location = first[..q_start]
        .rfind(": RuntimeWarning: ")
        .and_then(|i| warning_path(&first[..i]));
    let mut blocks = frame_blocks(text);
    Some(NeverAwaited {
        qualname,
        location,
        origin: blocks.remove("coroutine").unwrap_or_default(),
        allocated: blocks.remove("allocated").unwrap_or_default(),
        wrapper_created_at: None,
    })
}

/// `<CoroWrapper f() running at p.py:3, created at p.py:9> was never yielded from`
/// (Python 3.4–3.6 debug mode).
fn coro_wrapper(text: &str) -> Option<NeverAwaited> {
    let first = crate::text::lines(text).next()?;
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
        origin: frame_blocks(text).remove("coroutine").unwrap_or_default(),
        allocated: Vec::new(),
        wrapper_created_at: created,
    })
}

/// Whether `code` calls `callee(` with neither `await` before it nor a
/// scheduling function around it.
fn calls_without_await(code: &str, callee: &str) -> bool {
    let scheduled = [
        "create_task(",
        "ensure_future(",
        "gather(",
        "run_until_complete(",
        "asyncio.run(",
        "wait_for(",
        "shield(",
    ]
    .iter()
    .any(|s| code.contains(s));
    let b = code.as_bytes();
    let found = code.match_indices(callee).any(|(i, _)| {
        let after = &code[i + callee.len()..];
        let ident_before = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if ident_before || !after.trim_start().starts_with('(') {
            return false;
        }
        // The expression that holds the call: back over `obj.attr.` parts.
        let start = code[..i]
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
            .map_or(0, |(p, c)| p + c.len_utf8());
        !code[..start].trim_end().ends_with("await")
    });
    found && !scheduled
}

/// CoroWrapper's message (Python 3.8–3.10), searched for in every record's
/// first line.
static YIELDED: crate::text::First = crate::text::First::new("was never yielded from");

impl KindSpec for NeverAwaited {
    const NAME: &'static str = "never_awaited";
    const TITLE: &'static str = "Coroutines never awaited";
    const HELP: &'static str = "Coroutines never awaited";
    const MARKERS: &'static [&'static str] = &["was never awaited", "was never yielded from"];
    const SHUTDOWN_SENSITIVE: bool = true;
    const TABLE_NOTE: &'static str =
        "Ranked by count. The site is the innermost line of your code in `Coroutine created at` \
         (debug mode), else the warning's own line, where the coroutine was garbage-collected. \
         Counts are lower bounds unless warnings were shown `always`: the warnings module prints each \
         line once by default (`aiolog run` sets PYTHONWARNINGS=default,always::RuntimeWarning; \
         elsewhere set it, or `-W always::RuntimeWarning`, for exact counts).";
    const RULES: &'static [Rule] = &[
    Rule {
        code: "AIO201",
        name: "coroutine-never-awaited",
        kind: super::Kind::NeverAwaited,
        summary: "a coroutine was created but never awaited",
        why: "Calling an async function only creates a coroutine object: without `await` (or \
              `asyncio.create_task`), its body never runs, so the work silently does not happen.",
        fix: "Add `await` before the call, or schedule it with `asyncio.create_task(...)` and keep a \
              reference to the task.",
        example_log: r#"/app/repo.py:13: RuntimeWarning: coroutine 'Repo.save' was never awaited"#,
        example_fix: r#"# before
async def handle(self, item):
    self.save(item)             # creates a coroutine and drops it
# after
async def handle(self, item):
    await self.save(item)"#,
    },
    ];

    fn shape(first: &str) -> Option<Shape> {
        YIELDED.is_in(first).then_some(Shape::Warning)
    }

    fn parse(first: &str, text: &str) -> Option<Result<Self, Unrecognized>> {
        if YIELDED.is_in(first) {
            return Some(
                coro_wrapper(text)
                    .ok_or_else(|| Unrecognized::new("CoroWrapper message that does not parse")),
            );
        }
        static AWAITED: crate::text::First = crate::text::First::new("was never awaited");
        AWAITED.is_in(first).then(|| {
            never_awaited(text)
                .ok_or_else(|| Unrecognized::new("never-awaited warning that does not parse"))
        })
    }

    fn subject(&self) -> Option<String> {
        Some(self.qualname.clone())
    }

    fn location(&self) -> Option<Location> {
        self.location.clone()
    }

    fn created_at(&self) -> Option<Location> {
        self.wrapper_created_at
            .clone()
            .or_else(|| self.allocated.last().map(Frame::location))
            .or_else(|| self.origin.last().map(Frame::location))
    }

    fn site(&self) -> Placed {
        if let Some(f) = innermost_user(&self.origin).or_else(|| innermost_user(&self.allocated)) {
            (Some(frame_site(f)), Basis::CreationTraceback, None)
        } else if let Some(site) = self.location.as_ref().and_then(|l| loc_site(l, None)) {
            (Some(site), Basis::WarningLine, None)
        } else {
            (None, Basis::Unknown, None)
        }
    }

    fn why(g: &Group, short: &str) -> String {
        // Printed once: with the warnings module's default filter, a line
        // is printed once however often it ran; more than once, they were
        // shown `always` (as `aiolog run` does), and the count is exact.
        let bound = if g.count == 1 {
            " (at least: the warnings module prints each line once unless \
             PYTHONWARNINGS=always::RuntimeWarning)"
        } else {
            ""
        };
        format!("created {} without await{bound}; {short}", times(g.count))
    }

    fn live(_f: &Finding, subject: &str) -> String {
        format!("coroutine '{subject}' was never awaited")
    }

    fn symptom(t: &Tally) -> String {
        format!(
            "- {} coroutine(s) were created and never awaited, at {} site(s).",
            t.events, t.sites
        )
    }

    fn questions(g: &Group, site: &str) -> Vec<String> {
        vec![
            format!(
                "At {site}, which call creates the coroutine {} without awaiting it?",
                inline(g.subject.as_deref().unwrap_or("?"))
            ),
            "Should it be awaited, or run concurrently with `asyncio.create_task` (and where is the task kept)?".into(),
            "Give the corrected code.".into(),
        ]
    }

    fn hint(basis: Basis, _source_missing: bool) -> Option<&'static str> {
        matches!(basis, Basis::WarningLine | Basis::Unknown).then_some(
            "set PYTHONTRACEMALLOC=5, or create the coroutine while a debug-mode loop runs (PYTHONASYNCIODEBUG=1), so that the warning names where it was created",
        )
    }

    /// Whether the statement at the site calls the coroutine without await.
    fn evidence(r: &mut Reading<'_>) {
        let path = &r.site.path;
        let line = r.line;
        let callee = r
            .group
            .subject
            .as_deref()
            .map(|q| q.rsplit('.').next().unwrap_or(q).to_string())
            .unwrap_or_default();
        match stmt_at(r.stmts, line) {
            Some(i) if !callee.is_empty() => {
                let first = r.stmts[i].first;
                r.ev.statement = r.statement(first);
                if calls_without_await(&r.stmts[i].code, &callee) {
                    r.ev.confidence = Confidence::ConfirmedInSource;
                    r.ev.summary = format!(
                        "{path}:{first} calls {callee}() without await, create_task, ensure_future or gather"
                    );
                } else {
                    r.ev.summary = format!(
                        "{path}:{first} does not show a call of {callee}() without await: the warning names where the coroutine was garbage-collected"
                    );
                }
            }
            _ => r.ev.summary = format!("no statement at {path}:{line}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{parse_record, Parsed};
    use crate::kinds::Event;

    #[test]
    fn missing_awaits() {
        assert!(calls_without_await("self.save(item)", "save"));
        assert!(calls_without_await("x = notify(item)", "notify"));
        assert!(!calls_without_await("await self.save(item)", "save"));
        assert!(!calls_without_await(
            "asyncio.create_task(self.save(item))",
            "save"
        ));
        assert!(!calls_without_await("self.saved(item)", "save"));
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
        let Ok(Parsed::Event(Event::NeverAwaited(n))) = parse_record(text) else {
            panic!()
        };
        assert_eq!(n.qualname, "Repo.save");
        assert_eq!(n.location.unwrap().to_string(), "/app/m.py:13");
        assert_eq!(n.origin.len(), 2);
        assert_eq!(n.origin[1].function.as_deref(), Some("handle"));
    }
}

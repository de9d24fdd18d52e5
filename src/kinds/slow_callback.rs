//! `Executing <Task …|Handle …> took N seconds` (FORMATS.md §3.1): a task
//! step or a callback blocked the event loop (AIO101, AIO102).

use super::{KindSpec, Placed, Tally};
use crate::aggregate::Group;
use crate::correlate::{classify, coro_site, loc_site, Basis, Finding, PathClass};
use crate::event::{repr, CoroState, HandleRepr, Location, TaskRepr, Unrecognized};
use crate::record::Shape;
use crate::render::fmt_ms;
use crate::rules::Rule;
use crate::source::analyze::{Candidate, Confidence, Reading};
use crate::source::infer;
use crate::source::python::{stmt_at, Stmt};

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

/// `Executing <Task …|Handle …|TimerHandle …> took 0.123 seconds`.
fn slow_callback(text: &str) -> Option<SlowCallback> {
    // A paste wrapped at spaces: the record keeps its lines without the
    // trailing space, so they are joined with one.
    let joined: std::borrow::Cow<str> = if text.contains('\n') {
        text.replace('\n', " ").into()
    } else {
        text.into()
    };
    static TASK_OR_HANDLE: crate::text::First = crate::text::First::new("Executing <");
    static HANDLE_3_8: crate::text::First = crate::text::First::new("Executing Handle(");
    let start = TASK_OR_HANDLE
        .in_(&joined)
        .or_else(|| HANDLE_3_8.in_(&joined))?;
    let body = &joined[start + "Executing ".len()..];
    // A line that quotes the record may go on after `seconds`.
    let (took, secs) = crate::record::slow_duration(body)?;
    let repr_text = &body[..took];
    let seconds: f64 = secs.parse().ok()?;
    let repr_text = repr_text.trim();
    let target = if let Some(h) = repr::handle_repr(repr_text) {
        Target::Handle(h)
    } else {
        Target::Task(repr::task_repr(repr_text)?)
    };
    Some(SlowCallback { target, seconds })
}

/// What every slow step's first line holds, searched for in every
/// record's first line.
static EXECUTING: crate::text::First = crate::text::First::new("Executing ");

impl KindSpec for SlowCallback {
    const NAME: &'static str = "slow_callback";
    const TITLE: &'static str = "Blocking calls (slow callbacks and task steps)";
    const HELP: &'static str = "Slow callbacks and task steps";
    const MARKERS: &'static [&'static str] = &[
        "Executing <",
        // The 2014 prototype.
        "Executing Handle(",
        // Go's encoding/json (docker's json-file) escapes `<`.
        "Executing \\u003c",
    ];
    const TIMED: bool = true;
    const READS_HANDLER: bool = true;
    const STEP: Option<super::StepRecord> = Some(super::StepRecord::Warned);
    const TABLE_NOTE: &'static str =
        "Ranked by total blocked time, then count. For a task step, asyncio names the line where the task \
         suspended after the slow step: the blocking call is between the previous await and that line \
         (or, for `done, defined at`, after the coroutine's last await).";
    const RULES: &'static [Rule] = &[
        Rule {
            code: "AIO101",
            name: "blocking-task-step",
            kind: super::Kind::SlowCallback,
            summary: "a task step blocked the event loop",
            why: "While a task runs code that does not await, no other task, callback or I/O makes progress: \
                  every request the service handles waits for it.",
            fix: "Find the blocking call between the previous await and the reported line (time.sleep, \
                  requests, file or database I/O, CPU-heavy work) and replace it with its asyncio \
                  counterpart (await asyncio.sleep, an async client) or move it off the loop with \
                  `await asyncio.to_thread(...)` or `loop.run_in_executor(...)`.",
            example_log: r#"Executing <Task pending name='Task-2' coro=<handle_request() running at /app/api.py:18> cb=[Task.task_wakeup()] created at /usr/lib/python3.11/asyncio/tasks.py:384> took 0.251 seconds"#,
            example_fix: r#"# before
async def handle_request(n):
    time.sleep(0.25)            # blocks the loop
    await asyncio.sleep(0)      # line 18, the line asyncio reports
# after
async def handle_request(n):
    await asyncio.sleep(0.25)"#,
        },
        Rule {
            code: "AIO102",
            name: "blocking-callback",
            kind: super::Kind::SlowCallback,
            summary: "a callback blocked the event loop",
            why: "A callback scheduled with call_soon, call_later or as a future's done callback runs on \
                  the event loop; while it runs, nothing else does.",
            fix: "Keep callbacks short: move blocking work to `loop.run_in_executor(...)`, or turn the \
                  callback into a coroutine that awaits asynchronous APIs.",
            example_log: r#"Executing <Handle flush_metrics() at /app/metrics.py:12 created at /app/main.py:18> took 0.150 seconds"#,
            example_fix: r#"# before
def flush_metrics():            # line 12
    requests.post(URL, json=collect())
loop.call_soon(flush_metrics)
# after
async def flush_metrics():
    async with httpx.AsyncClient() as client:
        await client.post(URL, json=collect())
asyncio.create_task(flush_metrics())"#,
        },
    ];

    fn shape(first: &str) -> Option<Shape> {
        EXECUTING.is_in(first).then_some(Shape::Slow)
    }

    fn parse(first: &str, text: &str) -> Option<Result<Self, Unrecognized>> {
        EXECUTING.is_in(first).then(|| {
            slow_callback(text)
                .ok_or_else(|| Unrecognized::new("slow callback whose repr or duration does not parse"))
        })
    }

    fn step_of(&self) -> Option<super::StepOf> {
        Some(match &self.target {
            Target::Task(t) => super::StepOf::Task(t.coro.as_ref().map(|c| c.qualname.clone())),
            Target::Handle(_) => super::StepOf::Callback,
        })
    }

    fn subject(&self) -> Option<String> {
        match &self.target {
            Target::Task(t) => t.coro.as_ref().map(|c| c.qualname.clone()),
            Target::Handle(h) => Some(h.callback.clone()),
        }
    }

    fn location(&self) -> Option<Location> {
        match &self.target {
            Target::Task(t) => t.coro.as_ref().and_then(|c| c.location.clone()),
            Target::Handle(h) => h.location.clone(),
        }
    }

    fn created_at(&self) -> Option<Location> {
        match &self.target {
            Target::Task(t) => t.created_at.clone(),
            Target::Handle(h) => h.created_at.clone(),
        }
    }

    fn seconds(&self) -> Option<f64> {
        Some(self.seconds)
    }

    fn code(&self) -> &'static str {
        match self.target {
            Target::Task(_) => "AIO101",
            Target::Handle(_) => "AIO102",
        }
    }

    fn site(&self) -> Placed {
        match &self.target {
            Target::Task(t) => {
                let basis = match t.coro.as_ref().map(|c| c.state) {
                    Some(CoroState::Done) => Basis::FinishedInSlowStep,
                    _ => Basis::SuspendedAfterSlowStep,
                };
                match coro_site(Some(t)) {
                    Some(site) => (Some(site), basis, t.name.clone()),
                    None => (None, Basis::Unknown, t.name.clone()),
                }
            }
            Target::Handle(h) => {
                let def = h
                    .location
                    .as_ref()
                    .and_then(|l| loc_site(l, Some(h.callback.clone())));
                if let Some(d) = def {
                    return (Some(d), Basis::CallbackDefinition, None);
                }
                // Where it was scheduled, only when its definition is not
                // known.
                let sched = h
                    .created_at
                    .as_ref()
                    .filter(|l| classify(&l.path) == PathClass::User)
                    .and_then(|l| loc_site(l, Some(h.callback.clone())));
                match sched {
                    Some(s) => (Some(s), Basis::CallbackScheduled, None),
                    None => (None, Basis::Unknown, None),
                }
            }
        }
    }

    fn why(g: &Group, short: &str) -> String {
        super::blocked_why(g, short)
    }

    fn live(f: &Finding, subject: &str) -> String {
        format!(
            "{subject} blocked the event loop for {:.3} s",
            f.seconds.unwrap_or(0.0)
        )
    }

    fn symptom(t: &Tally) -> String {
        format!(
            "- The event loop was blocked {} times at {} site(s), {} s in total; the longest block lasted {} s.",
            t.events,
            t.sites,
            fmt_ms(t.total_ms),
            fmt_ms(t.max_ms)
        )
    }

    fn questions(g: &Group, site: &str) -> Vec<String> {
        if g.basis == Basis::SuspendedAfterSlowStep {
            vec![
                format!("Which statement between the previous `await` and {site} blocks the event loop?"),
                format!(
                    "Why can it take up to {} s (max), {} s in total over {} steps?",
                    fmt_ms(g.max_ms().unwrap_or(0)),
                    fmt_ms(g.total_ms()),
                    g.count
                ),
                "Which asyncio primitive or API should replace it (an async client, `asyncio.to_thread`, an executor)?".into(),
                "Give the corrected code.".into(),
            ]
        } else {
            vec![
                format!("Which code in the function at {site} blocks the event loop, and for how long?"),
                "Should it run in an executor (`asyncio.to_thread`, `run_in_executor`) or be made asynchronous?".into(),
                "Give the corrected code.".into(),
            ]
        }
    }

    fn hint(_basis: Basis, source_missing: bool) -> Option<&'static str> {
        source_missing.then_some(
            "pass --src DIR (and --path-map FROM=TO for paths from a container) to see the blocking call",
        )
    }

    /// The statements the step ran, as the source shows them (the window
    /// in the reported function, the helpers it ran, the loop's previous
    /// iteration), and the blocking calls in them, the likeliest cost
    /// first.
    fn evidence(r: &mut Reading<'_>) {
        // A callback whose definition the log does not name (uvloop's
        // Handle prints only where it was scheduled): its `def` in the same
        // file, when there is exactly one by that name.
        if r.basis == Basis::CallbackScheduled {
            if let Some(def) = r.group.subject.as_deref().and_then(|q| def_of(r.stmts, q)) {
                r.line = def;
                r.marked = def;
                r.basis = Basis::CallbackDefinition;
            }
        }
        if !matches!(
            r.basis,
            Basis::SuspendedAfterSlowStep | Basis::FinishedInSlowStep | Basis::CallbackDefinition
        ) {
            r.statement_only();
            return;
        }
        let site = r.site;
        let Some(step) = infer::step(r.stmts, r.line, r.basis) else {
            r.ev.summary = format!("no function around {}:{} in the source", site.path, r.line);
            return;
        };
        let w = step.window;
        r.ev.window = Some(w);
        let catalog = r.catalog.for_file(r.stmts);
        let mut cands: Vec<Candidate> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for reached in &step.reached {
            // The first way to a statement is the most direct one.
            if !seen.insert(reached.stmt) {
                continue;
            }
            let s = &r.stmts[reached.stmt];
            for hit in catalog.find(&s.code) {
                let in_loop = reached.in_loop && hit.id != "cpu.loop";
                let via = r.via.iter().chain(&reached.via).cloned().collect();
                cands.push(Candidate::new(site.path.clone(), s.first, via, in_loop, hit));
            }
        }
        // A `for` or `while` header is the work only when its block holds
        // no await and no other candidate.
        let others: Vec<usize> = cands
            .iter()
            .filter(|c| c.hit.id != "cpu.loop")
            .map(|c| c.line)
            .collect();
        cands.retain(|c| {
            c.hit.id != "cpu.loop"
                || stmt_at(r.stmts, c.line).is_some_and(|h| infer::loop_is_the_work(r.stmts, h, &others))
        });
        cands.sort_by(|a, b| {
            b.cost
                .cmp(&a.cost)
                .then(a.via.len().cmp(&b.via.len()))
                .then(a.line.cmp(&b.line))
        });
        r.ev.candidates = cands;
        let reached = |c: &Candidate| {
            if c.via.is_empty() {
                String::new()
            } else {
                format!(" (reached: {})", c.via.join(" → "))
            }
        };
        match r.ev.candidates.first() {
            Some(c) if c.hit.weight > 10 => {
                let summary = format!(
                    "{}:{} {} blocks on {}; use {}{}",
                    site.path,
                    c.line,
                    c.hit.call,
                    c.hit.blocks_on,
                    c.hit.replacement,
                    reached(c)
                );
                let line = c.line;
                r.marked = line;
                r.ev.confidence = Confidence::ConfirmedInSource;
                r.ev.statement = r.statement(line);
                r.ev.summary = summary;
            }
            Some(c) => {
                let summary = format!(
                    "CPU-bound work: the loop at {}:{}{}, in a step that ran {} of {}",
                    site.path,
                    c.line,
                    reached(c),
                    crate::text::line_range(w.first, w.last),
                    site.path
                );
                r.marked = c.line;
                r.ev.statement = r.statement(c.line);
                r.ev.summary = summary;
            }
            None => {
                r.marked = w.first;
                r.ev.summary = format!(
                    "nothing in the step's lines explains the time: CPU-bound work or an unlisted blocking call in {} of {}",
                    crate::text::line_range(w.first, w.last),
                    site.path
                );
            }
        }
    }
}

/// The line of the one `def NAME(` or `async def NAME(` for the last part
/// of a qualname (`flush_cache`, `Service.on_tick`); `None` when there is
/// none or more than one.
fn def_of(stmts: &[Stmt], qualname: &str) -> Option<usize> {
    let name = qualname.rsplit('.').next()?;
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let mut found = stmts.iter().filter(|s| {
        let code = s.code.strip_prefix("async ").unwrap_or(&s.code);
        code.strip_prefix("def ")
            .and_then(|r| r.strip_prefix(name))
            .is_some_and(|r| r.trim_start().starts_with('('))
    });
    let first = found.next()?;
    found.next().is_none().then_some(first.first)
}

#[cfg(test)]
mod tests {
    use crate::event::{parse_record, Parsed};
    use crate::kinds::{Event, Kind};

    fn event(text: &str) -> Event {
        match parse_record(text) {
            Ok(Parsed::Event(ev)) => ev,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn slow_task_step() {
        let ev = event(
            "Executing <Task pending name='Task-2' coro=<handle_request() running at /app/b.py:18> \
             cb=[Task.task_wakeup()] created at /usr/local/lib/python3.11/asyncio/tasks.py:384> took 0.251 seconds",
        );
        assert_eq!(ev.kind(), Kind::SlowCallback);
        assert_eq!(ev.subject().as_deref(), Some("handle_request"));
        assert_eq!(ev.location().unwrap().to_string(), "/app/b.py:18");
        assert_eq!(ev.created_at().unwrap().line, 384);
        assert_eq!(ev.duration_seconds(), Some(0.251));
    }

    #[test]
    fn slow_line_mid_line_after_partial_output() {
        let ev = event("[partial GET /b] Executing <Handle f() at /app/a.py:3> took 1.500 seconds");
        assert_eq!(ev.subject().as_deref(), Some("f"));
    }

    #[test]
    fn wrapped_prototype_slow_handle() {
        let ev = event("Executing Handle(<bound method Task._step of \nTask(<coro>)<result=None>>, ()) took 1.001 seconds");
        assert_eq!(ev.subject().as_deref(), Some("Task._step"));
        assert_eq!(ev.location(), None);
    }
}

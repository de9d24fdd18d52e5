//! Which statements a slow step ran, read from the source the way a careful
//! engineer reads it when the log holds only asyncio's warning.
//!
//! asyncio names the line where the task suspended after the step (or the
//! coroutine's or callback's definition). The step began at the previous
//! real suspension, and on the way it may have run:
//!
//! * the bodies of helpers it called or awaited (an awaited coroutine runs
//!   until it suspends itself; the task's repr names only the outermost
//!   frame, so the whole helper is in question), transitively, bounded;
//! * code above awaits that often complete without suspending
//!   (`await writer.drain()`, `await runner.setup()`, an uncontended
//!   `await lock.acquire()`, a helper of this file that never suspends)
//!   or never do (an `await fut` of a future the function's code shows
//!   finished: its result set, under `if fut.done():`, a member of
//!   `asyncio.wait`'s done set);
//! * the rest of a loop body: a step that ends at an `await` in a loop may
//!   have begun at the same `await` in the previous iteration.
//!
//! Each statement reached says how ([`Reached::via`]), so that a candidate
//! can say why it is one.

use std::collections::{HashMap, HashSet};

use super::analyze::Window;
use super::python::{function_at, function_from_def, own_body, stmt_at, Stmt};
use crate::correlate::Basis;

/// Awaited calls that often complete without suspending: the step goes on
/// through them.
const QUICK_AWAITS: &[&str] = &["drain", "setup", "acquire"];

/// How deep helpers are followed.
const MAX_DEPTH: usize = 4;
/// At most this many statements are reached.
const MAX_REACHED: usize = 4000;

/// A statement the step may have run, and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    /// The statement's index.
    pub stmt: usize,
    /// The path that led there, outermost first (empty: the step's own
    /// window): `load_config() called at line 29`, `the loop's next
    /// iteration (line 38)`.
    pub via: Vec<String>,
    /// Whether it runs in a loop (in its own function, or a call in a loop
    /// led to it): a likely larger cost.
    pub in_loop: bool,
}

/// The step's statements: its window in the reported function and
/// everything reached from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The lines of the reported function where the step ran.
    pub window: Window,
    /// The statements, the window's first, in order, then those reached.
    pub reached: Vec<Reached>,
}

fn is_loop_header(s: &Stmt) -> bool {
    s.code.starts_with("for ") || s.code.starts_with("while ")
}

/// The calls right after each `await` in a statement: the last name of the
/// callee (`drain` for `await self.writer.drain()`), or `None` for an
/// await of something else (a name, a subscript).
fn awaited_calls(code: &str) -> Vec<Option<&str>> {
    let b = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    for (i, _) in code.match_indices("await") {
        let end = i + "await".len();
        if (i > 0 && ident(b[i - 1])) || b.get(end).is_some_and(|c| ident(*c)) {
            continue;
        }
        let rest = code[end..].trim_start();
        let chain_len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        let chain = &rest[..chain_len];
        let called = rest[chain_len..].trim_start().starts_with('(');
        out.push((called && !chain.is_empty()).then(|| chain.rsplit('.').next().unwrap_or(chain)));
    }
    out
}

/// The names awaited as they are in a statement (`fut` for `await fut`,
/// `self.ready` for `await self.ready`): futures and tasks, not calls.
fn awaited_names(code: &str) -> Vec<&str> {
    let b = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    for (i, _) in code.match_indices("await") {
        let end = i + "await".len();
        if (i > 0 && ident(b[i - 1])) || b.get(end).is_some_and(|c| ident(*c)) {
            continue;
        }
        let rest = code[end..].trim_start();
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        if len > 0 && !rest[len..].trim_start().starts_with(['(', '[']) {
            out.push(&rest[..len]);
        }
    }
    out
}

/// What the source of one file says about its functions.
struct Functions<'a> {
    stmts: &'a [Stmt],
    /// Name → the one `def` of that name (names defined twice are left
    /// out: which one runs is not known).
    defs: HashMap<&'a str, usize>,
    /// Coroutine functions whose body never really suspends.
    never_suspend: HashSet<&'a str>,
}

impl<'a> Functions<'a> {
    fn new(stmts: &'a [Stmt]) -> Functions<'a> {
        let mut defs: HashMap<&str, usize> = HashMap::new();
        let mut twice = HashSet::new();
        for (i, s) in stmts.iter().enumerate() {
            if let Some(n) = s.def_name() {
                if defs.insert(n, i).is_some() {
                    twice.insert(n);
                }
            }
        }
        for n in twice {
            defs.remove(n);
        }
        let mut fs = Functions {
            stmts,
            defs,
            never_suspend: HashSet::new(),
        };
        // A helper that awaits only helpers that never suspend never
        // suspends either: a few rounds find the chains.
        for _ in 0..MAX_DEPTH {
            let mut more = Vec::new();
            for (&n, &d) in &fs.defs {
                if !stmts[d].is_async_def() || fs.never_suspend.contains(n) {
                    continue;
                }
                let f = function_from_def(stmts, d);
                if own_body(stmts, &f).iter().all(|&i| !fs.really_suspends(i)) {
                    more.push(n);
                }
            }
            if more.is_empty() {
                break;
            }
            fs.never_suspend.extend(more);
        }
        fs
    }

    /// Whether an `await` of this call often completes without
    /// suspending.
    fn quick(&self, callee: Option<&str>) -> bool {
        callee.is_some_and(|c| QUICK_AWAITS.contains(&c) || self.never_suspend.contains(c))
    }

    /// Whether statement `i` suspends the coroutine for certain: an `async
    /// for` or `async with` header, or an await of anything but a quick
    /// call.
    fn really_suspends(&self, i: usize) -> bool {
        let s = &self.stmts[i];
        if s.code.starts_with("async for ") || s.code.starts_with("async with ") {
            return true;
        }
        if !s.suspends() || awaited_calls(&s.code).into_iter().all(|c| self.quick(c)) {
            return false;
        }
        // `await fut` of a future already finished does not suspend.
        let names = awaited_names(&s.code);
        let calls = awaited_calls(&s.code).into_iter().filter(|c| c.is_some());
        !(calls.count() == 0
            && !names.is_empty()
            && names.iter().all(|n| self.finished_before(i, n)))
    }

    /// Whether the future or task `name` is already finished when statement
    /// `i` awaits it, as the function's own code shows: it set the result
    /// (`fut.set_result(...)`, `set_exception`) earlier, the await is under
    /// `if fut.done():`, or `fut` is a member of the done set of an earlier
    /// `done, pending = await asyncio.wait(...)` (`for fut in done:`).
    fn finished_before(&self, i: usize, name: &str) -> bool {
        let at = &self.stmts[i];
        let (set_result, set_exc, done) = (
            format!("{name}.set_result("),
            format!("{name}.set_exception("),
            format!("{name}.done()"),
        );
        let mut indent = at.indent;
        let mut done_set: Option<String> = None;
        for j in (0..i).rev() {
            let t = &self.stmts[j];
            if t.is_def() && t.indent < at.indent {
                break;
            }
            if let Some(set) = &done_set {
                if t.code.starts_with(&format!("{set},")) && t.code.contains("wait(") {
                    return true;
                }
            }
            if t.code.contains(&set_result) || t.code.contains(&set_exc) {
                return true;
            }
            if t.indent < indent {
                // A header the statement is under.
                indent = t.indent;
                let c = t.code.trim_end_matches(':');
                if c.starts_with("if ") && c.contains(&done) && !c.contains("not ") {
                    return true;
                }
                if let Some(set) = c.strip_prefix(&format!("for {name} in ")) {
                    let set = set.trim();
                    if set.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                        done_set = Some(set.to_string());
                    }
                }
            }
        }
        false
    }

    /// The functions of this file that statement `i` runs: a plain call of
    /// a function, an awaited call of a coroutine function (`name(`,
    /// `self.name(`, `cls.name(`), with the line of the call.
    fn callees(&self, i: usize) -> Vec<(&'a str, usize)> {
        let code = &self.stmts[i].code;
        let b = code.as_bytes();
        let mut out = Vec::new();
        for (&name, &d) in &self.defs {
            let is_async = self.stmts[d].is_async_def();
            let runs = code.match_indices(name).any(|(at, _)| {
                let end = at + name.len();
                if !code[end..].trim_start().starts_with('(') {
                    return false;
                }
                if b.get(end)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    return false;
                }
                let before = &code[..at];
                let before = before
                    .strip_suffix("self.")
                    .or_else(|| before.strip_suffix("cls."))
                    .unwrap_or(before);
                if before
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                {
                    return false;
                }
                // A coroutine function's body runs in this step only when
                // it is awaited here; `create_task(name(...))` runs it
                // later, in a task of its own.
                !is_async || before.trim_end().ends_with("await")
            });
            if runs {
                out.push((name, d));
            }
        }
        out.sort_by_key(|&(_, d)| d);
        out
    }

    /// Whether statement `i` is in a `for` or `while` loop of its own
    /// function that never awaits: one step runs all its iterations. (A
    /// loop that awaits runs an iteration or so per step.)
    fn in_loop(&self, i: usize) -> bool {
        let mut k = i;
        while let Some(h) = self.loop_around(k) {
            if (h..=self.block_end(h)).all(|j| !self.stmts[j].suspends()) {
                return true;
            }
            k = h;
        }
        false
    }

    /// The innermost `for` or `while` header around statement `i`, inside
    /// its function.
    fn loop_around(&self, i: usize) -> Option<usize> {
        let mut indent = self.stmts[i].indent;
        for k in (0..i).rev() {
            let s = &self.stmts[k];
            if s.indent < indent {
                if s.is_def() || s.code.starts_with("class ") {
                    return None;
                }
                if is_loop_header(s) {
                    return Some(k);
                }
                indent = s.indent;
            }
        }
        None
    }

    fn block_end(&self, h: usize) -> usize {
        block_end(self.stmts, h)
    }
}

/// The last statement of the block under header `h`.
fn block_end(stmts: &[Stmt], h: usize) -> usize {
    let indent = stmts[h].indent;
    stmts[h + 1..]
        .iter()
        .take_while(|s| s.indent > indent)
        .count()
        + h
}

/// The statements a slow step may have run, from the line asyncio names.
pub fn step(stmts: &[Stmt], line: usize, basis: Basis) -> Option<Step> {
    let fs = Functions::new(stmts);
    let f = function_at(stmts, line)?;
    let body = own_body(stmts, &f);
    let def_last = stmts[f.def].last;
    let mut reached: Vec<Reached> = Vec::new();
    let plain = |i: usize| Reached {
        stmt: i,
        via: Vec::new(),
        in_loop: fs.in_loop(i),
    };
    let window = match basis {
        Basis::SuspendedAfterSlowStep => {
            let at = stmt_at(stmts, line)?;
            let s = &stmts[at];
            if s.code.starts_with("async with ") || s.code.starts_with("async for ") {
                // The reported line is the header; the blocking code is in
                // its body.
                let end = fs.block_end(at);
                reached.extend((at..=end).filter(|i| body.contains(i)).map(plain));
                Window {
                    first: s.first,
                    last: stmts[end].last,
                }
            } else {
                let prev = body
                    .iter()
                    .copied()
                    .rfind(|&i| i < at && fs.really_suspends(i));
                let first = prev.map_or(def_last, |i| stmts[i].last) + 1;
                // Awaits on the way back that often do not suspend.
                let quick: Vec<usize> = body
                    .iter()
                    .copied()
                    .filter(|&i| prev.is_none_or(|p| i > p) && i < at && stmts[i].suspends())
                    .collect();
                for &i in body.iter().filter(|&&i| stmts[i].first >= first && i <= at) {
                    let mut r = plain(i);
                    if let Some(&q) = quick.iter().find(|&&q| q >= i) {
                        r.via.push(format!(
                            "before the await at line {}, which often completes without suspending",
                            stmts[q].first
                        ));
                    }
                    reached.push(r);
                }
                // The loop's previous iteration: when the step did not
                // begin inside the loop's body, it may have begun at this
                // same await one iteration earlier, and then ran the rest
                // of the body.
                if let Some(h) = fs.loop_around(at) {
                    if prev.is_none_or(|p| p < h) {
                        let end = fs.block_end(h);
                        let last_susp = body
                            .iter()
                            .copied()
                            .rfind(|&i| i > at && i <= end && fs.really_suspends(i));
                        let from = last_susp.map_or(at + 1, |i| i + 1);
                        for &i in body.iter().filter(|&&i| i >= from && i <= end) {
                            reached.push(Reached {
                                stmt: i,
                                via: vec![format!(
                                    "the loop's previous iteration (loop at line {}): after the await at line {} the rest of the body ran in the same step",
                                    stmts[h].first,
                                    stmts[last_susp.unwrap_or(at)].first
                                )],
                                in_loop: fs.in_loop(i),
                            });
                        }
                    }
                }
                Window {
                    first,
                    last: s.last,
                }
            }
        }
        Basis::FinishedInSlowStep => {
            let last_await = body.iter().copied().rfind(|&i| fs.really_suspends(i));
            let first = last_await.map_or(def_last + 1, |i| stmts[i].last + 1);
            let w = Window {
                first: first.min(f.end),
                last: f.end,
            };
            reached.extend(
                body.iter()
                    .copied()
                    .filter(|&i| stmts[i].first >= w.first)
                    .map(plain),
            );
            w
        }
        _ => {
            let w = Window {
                first: (def_last + 1).min(f.end),
                last: f.end,
            };
            reached.extend(body.iter().copied().map(plain));
            w
        }
    };
    follow_helpers(&fs, f.def, &mut reached);
    Some(Step { window, reached })
}

/// Adds the bodies of the file's functions that the reached statements
/// run, transitively, at most [`MAX_DEPTH`] calls deep.
fn follow_helpers(fs: &Functions<'_>, outer: usize, reached: &mut Vec<Reached>) {
    let stmts = fs.stmts;
    let mut seen: HashSet<usize> = HashSet::from([outer]);
    let mut frontier: Vec<usize> = (0..reached.len()).collect();
    for _ in 0..MAX_DEPTH {
        let mut next = Vec::new();
        for k in frontier {
            let (i, via, in_loop) = {
                let r = &reached[k];
                (r.stmt, r.via.clone(), r.in_loop)
            };
            for (name, d) in fs.callees(i) {
                if !seen.insert(d) || reached.len() >= MAX_REACHED {
                    continue;
                }
                let f = function_from_def(stmts, d);
                let verb = if stmts[d].is_async_def() {
                    "awaited"
                } else {
                    "called"
                };
                let mut path = via.clone();
                path.push(format!("{name}() {verb} at line {}", stmts[i].first));
                for j in own_body(stmts, &f) {
                    next.push(reached.len());
                    reached.push(Reached {
                        stmt: j,
                        via: path.clone(),
                        in_loop: in_loop || fs.in_loop(j),
                    });
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
}

/// Whether the loop under header `h` is itself the work: its block holds
/// no suspension, and none of `others` (lines of other candidates) is in
/// it.
pub fn loop_is_the_work(stmts: &[Stmt], h: usize, others: &[usize]) -> bool {
    let end = block_end(stmts, h);
    let (first, last) = (stmts[h].first, stmts[end].last);
    (h..=end).all(|i| !stmts[i].suspends()) && !others.iter().any(|&l| l >= first && l <= last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::python::statements;

    fn st(src: &str) -> Vec<Stmt> {
        statements(&src.lines().map(str::to_string).collect::<Vec<_>>())
    }

    fn lines(stmts: &[Stmt], s: &Step) -> Vec<usize> {
        s.reached.iter().map(|r| stmts[r.stmt].first).collect()
    }

    #[test]
    fn awaited_and_called_helpers_are_followed() {
        let src = "\
def load_config():
    time.sleep(0.3)

async def handle(i):
    load_config()

async def later():
    time.sleep(1)

async def main():
    asyncio.create_task(later())
    await handle(0)
    await asyncio.sleep(0)
";
        let s = st(src);
        let step = super::step(&s, 12, Basis::SuspendedAfterSlowStep).unwrap();
        assert_eq!(lines(&s, &step), vec![11, 12, 5, 2]);
        assert_eq!(
            step.reached[3].via,
            vec![
                "handle() awaited at line 12",
                "load_config() called at line 5"
            ]
        );
    }

    #[test]
    fn quick_awaits_and_helpers_that_never_suspend_do_not_end_the_window() {
        let src = "\
async def prepare():
    return 1

async def h(writer):
    await asyncio.sleep(1)
    data = json.dumps(x)
    await writer.drain()
    await prepare()
    await asyncio.sleep(0)
";
        let s = st(src);
        let step = super::step(&s, 9, Basis::SuspendedAfterSlowStep).unwrap();
        assert_eq!(step.window, Window { first: 6, last: 9 });
        assert!(step.reached[0].via[0].contains("line 7"));
    }

    #[test]
    fn an_await_of_a_finished_future_does_not_end_the_window() {
        let src = "\
async def h(loop, tasks):
    await asyncio.sleep(1)
    fut = loop.create_future()
    fut.set_result(1)
    time.sleep(0.5)
    await fut
    done, pending = await asyncio.wait(tasks)
    for t in done:
        json.dumps(t)
        await t
    if fut.done():
        await fut
    await asyncio.sleep(0)
";
        let s = st(src);
        // The step that ends at the last sleep began at asyncio.wait: the
        // awaits of the done tasks and of the finished future do not
        // suspend.
        let step = super::step(&s, 13, Basis::SuspendedAfterSlowStep).unwrap();
        assert_eq!(step.window, Window { first: 8, last: 13 });
        let step = super::step(&s, 7, Basis::SuspendedAfterSlowStep).unwrap();
        assert_eq!(step.window, Window { first: 3, last: 7 });
        // A future not known to be finished, or an await of anything else,
        // suspends.
        let s = st("async def h(fut):\n    await fut\n    time.sleep(1)\n    await fut\n");
        let step = super::step(&s, 4, Basis::SuspendedAfterSlowStep).unwrap();
        assert_eq!(step.window, Window { first: 3, last: 4 });
        let s = st("async def h(fut):\n    await x\n    if not fut.done():\n        await fut\n    await y\n");
        let step = super::step(&s, 5, Basis::SuspendedAfterSlowStep).unwrap();
        assert_eq!(step.window, Window { first: 5, last: 5 });
    }

    #[test]
    fn a_step_ending_in_a_loop_wraps_around_its_body() {
        let src = "\
async def body():
    for i in range(2):
        await asyncio.sleep(0)
        time.sleep(0.3)
    await asyncio.sleep(0)
";
        let s = st(src);
        let step = super::step(&s, 3, Basis::SuspendedAfterSlowStep).unwrap();
        assert_eq!(lines(&s, &step), vec![2, 3, 4]);
        assert!(step.reached[2].via[0].contains("previous iteration"));
        // A loop that awaits runs an iteration or so per step; one that
        // never does runs them all.
        assert!(!step.reached[2].in_loop);
        let s = st("def f(rows):\n    for r in rows:\n        json.dumps(r)\n");
        let step = super::step(&s, 1, Basis::CallbackDefinition).unwrap();
        assert!(step.reached[1].in_loop);
        // Begun inside the body, the step does not wrap.
        let src = "\
async def body():
    for i in range(2):
        await a()
        time.sleep(0.3)
        await b()
";
        let s = st(src);
        let step = super::step(&s, 5, Basis::SuspendedAfterSlowStep).unwrap();
        assert_eq!(lines(&s, &step), vec![4, 5]);
    }

    #[test]
    fn the_awaits_that_are_not_calls_are_told_apart() {
        assert_eq!(
            awaited_calls("x = await self.writer.drain()"),
            vec![Some("drain")]
        );
        assert_eq!(awaited_calls("await fut"), vec![None]);
        assert_eq!(awaited_calls("await_not = 1"), Vec::<Option<&str>>::new());
    }
}

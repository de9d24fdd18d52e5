//! `aiolog-probe: the event loop was blocked for N seconds (…)`: the stall
//! probe's record (`src/run/aiolog_probe.py`), with the stacks it sampled
//! from the loop's thread while the loop was blocked (AIO105). Its site is
//! the statement that blocked, not the `await` after it.

use super::{KindSpec, Placed, Tally};
use crate::aggregate::Group;
use crate::correlate::{classify, frame_site, package, Basis, Finding, PathClass};
use crate::event::{repr, Frame, Unrecognized};
use crate::render::fmt_ms;
use crate::rules::Rule;
use crate::source::analyze::{Confidence, Evidence, LocationKind, Reading, Sampled};

/// The probe's marker, at the start of its record's first line.
pub const MARKER: &str = "aiolog-probe: ";

/// One distinct stack the probe sampled.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stack {
    /// How many samples showed it.
    pub samples: u64,
    /// Sampled by faulthandler's C watchdog (a call that held the GIL).
    pub faulthandler: bool,
    /// Outermost first.
    pub frames: Vec<Frame>,
}

/// The probe's record of one stall.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopStall {
    /// How long the step blocked the loop.
    pub seconds: f64,
    /// The process.
    pub pid: Option<u64>,
    /// The loop's thread name.
    pub thread: Option<String>,
    /// The task that was running: its name.
    pub task: Option<String>,
    /// Its coroutine's qualname.
    pub coroutine: Option<String>,
    /// Samples taken.
    pub samples: u64,
    /// The distinct stacks, most sampled first.
    pub stacks: Vec<Stack>,
}

/// The statement that blocked: the innermost frame of the user's code,
/// voted by the samples of the stacks it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Culprit {
    /// The frame.
    pub frame: Frame,
    /// Samples that show it.
    pub votes: u64,
    /// The most sampled stack that shows it (an index into `stacks`).
    pub stack: usize,
    /// The call it was making, below it: the first frame outside the user's
    /// code (`json/encoder.py:258 iterencode`), if any was sampled.
    pub call: Option<Frame>,
}

/// The user's function a framework called, in a sampled stack: the
/// outermost frame of the run of the user's frames that holds the
/// statement, when a third-party package's frame called it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Handler {
    /// The handler's frame.
    #[serde(flatten)]
    pub frame: Frame,
    /// The package whose frame called it (`fastapi`, `aiohttp`).
    pub framework: String,
}

impl LoopStall {
    /// The statement the samples agree on.
    pub fn culprit(&self) -> Option<Culprit> {
        let mut votes: Vec<Culprit> = Vec::new();
        for (si, st) in self.stacks.iter().enumerate() {
            let Some(i) = st
                .frames
                .iter()
                .rposition(|f| classify(&f.path) == PathClass::User)
            else {
                continue;
            };
            let f = &st.frames[i];
            match votes
                .iter_mut()
                .find(|v| v.frame.same_line(f))
            {
                Some(v) => {
                    if st.samples > self.stacks[v.stack].samples {
                        v.stack = si;
                    }
                    v.votes += st.samples;
                }
                None => votes.push(Culprit {
                    frame: f.clone(),
                    votes: st.samples,
                    stack: si,
                    call: st.frames.get(i + 1).cloned(),
                }),
            }
        }
        let mut best: Option<Culprit> = None;
        for c in votes {
            if best.as_ref().is_none_or(|b| c.votes > b.votes) {
                best = Some(c);
            }
        }
        best
    }

    /// The culprit's stack: its frames, and the index of the culprit in it.
    pub fn culprit_stack(&self, c: &Culprit) -> Option<(&Stack, usize)> {
        let st = self.stacks.get(c.stack)?;
        let i = st
            .frames
            .iter()
            .rposition(|f| f.same_line(&c.frame))?;
        Some((st, i))
    }

    /// The handler a framework called on the way to the culprit.
    pub fn handler(&self, c: &Culprit) -> Option<Handler> {
        let (st, i) = self.culprit_stack(c)?;
        let mut k = i;
        while k > 0 && classify(&st.frames[k - 1].path) == PathClass::User {
            k -= 1;
        }
        let caller = st.frames.get(k.checked_sub(1)?)?;
        Some(Handler {
            frame: st.frames[k].clone(),
            framework: package(&caller.path)?,
        })
    }
}

/// `0.302 seconds (pid 1, thread MainThread 1399, task 'Task-1' main, 38 samples)`.
fn head(rest: &str) -> Option<LoopStall> {
    let rest = rest.strip_prefix("the event loop was blocked for ")?;
    let (secs, rest) = rest.split_once(" seconds")?;
    let seconds: f64 = secs.trim().parse().ok()?;
    let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
    let mut st = LoopStall {
        seconds,
        pid: None,
        thread: None,
        task: None,
        coroutine: None,
        samples: 0,
        stacks: Vec::new(),
    };
    for part in inner.split(", ") {
        if let Some(p) = part.strip_prefix("pid ") {
            st.pid = p.parse().ok();
        } else if let Some(t) = part.strip_prefix("thread ") {
            st.thread = t.split(' ').next().map(str::to_string);
        } else if let Some(t) = part.strip_prefix("task ") {
            let (name, coro) = match t.rsplit_once(' ') {
                Some((n, c)) => (n, Some(c)),
                None => (t, None),
            };
            st.task = Some(
                repr::py_str(name)
                    .map_or(name, |(_, s)| s)
                    .to_string(),
            );
            st.coroutine = coro.map(str::to_string);
        } else if let Some(n) = part.strip_suffix(" samples") {
            st.samples = n.parse().ok()?;
        }
    }
    Some(st)
}

/// `stack 2: 1 of 39 samples (faulthandler)`.
fn stack_head(t: &str) -> Option<Stack> {
    let rest = t.strip_prefix("stack ")?;
    let (_, rest) = rest.split_once(": ")?;
    let (n, rest) = rest.split_once(" of ")?;
    Some(Stack {
        samples: n.parse().ok()?,
        faulthandler: rest.ends_with("(faulthandler)"),
        frames: Vec::new(),
    })
}

fn loop_stall(first: &str, text: &str) -> Option<LoopStall> {
    let mut st = head(&first[first.find(MARKER)? + MARKER.len()..])?;
    for line in text.lines().skip(1) {
        let t = line.trim_start();
        if let Some(s) = stack_head(t) {
            st.stacks.push(s);
        } else if let Ok((_, f)) = repr::frame_line(t) {
            st.stacks.last_mut()?.frames.push(f);
        }
    }
    (!st.stacks.is_empty()).then_some(st)
}

impl KindSpec for LoopStall {
    const NAME: &'static str = "loop_stall";
    const TITLE: &'static str = "Blocking statements (sampled while the loop was blocked)";
    const HELP: &'static str = "Blocking statements the stall probe caught";
    const MARKERS: &'static [&'static str] = &[MARKER];
    const TIMED: bool = true;
    const STEP: Option<super::StepRecord> = Some(super::StepRecord::Sampled);
    const TABLE_NOTE: &'static str =
        "Ranked by total blocked time, then count. The stall probe sampled the loop's thread while it was \
         blocked: the site is the statement of your code that was running, the call is what it was doing.";
    const RULES: &'static [Rule] = &[Rule {
        code: "AIO105",
        name: "blocking-statement",
        kind: super::Kind::LoopStall,
        summary: "the stall probe caught the statement that blocked the event loop",
        why: "While this statement ran, the event loop could run nothing else: every task, callback and \
              I/O of the service waited for it. The probe sampled the loop's thread during the stall, so \
              this is the statement itself, not the await asyncio reports after it.",
        fix: "Replace the blocking call with its asyncio counterpart (await asyncio.sleep, an async \
              client), or move it off the loop with `await asyncio.to_thread(...)` or \
              `loop.run_in_executor(...)`; split CPU-heavy work or run it in a process pool.",
        example_log: r#"aiolog-probe: the event loop was blocked for 0.302 seconds (pid 4242, thread MainThread 139974324222848, task 'Task-1' main, 38 samples)
  stack 1: 38 of 38 samples
    File "/app/api.py", line 11, in main
    File "/app/api.py", line 7, in handle
    File "/app/api.py", line 4, in load_config"#,
        example_fix: r#"# before
def load_config():
    time.sleep(0.3)             # line 4: the probe's site
# after
async def load_config():
    await asyncio.sleep(0.3)"#,
    }];

    fn parse(first: &str, text: &str) -> Option<Result<Self, Unrecognized>> {
        static AT: crate::text::First = crate::text::First::new(MARKER);
        AT.is_in(first).then(|| {
            loop_stall(first, text)
                .ok_or_else(|| Unrecognized::new("stall probe record that does not parse"))
        })
    }

    fn subject(&self) -> Option<String> {
        self.culprit()
            .and_then(|c| c.frame.function)
            .or_else(|| self.coroutine.clone())
    }

    fn seconds(&self) -> Option<f64> {
        Some(self.seconds)
    }

    fn process(&self) -> Option<u64> {
        self.pid
    }

    /// A task's step when the record names its task; else unknown (a
    /// callback's, or a stall the Python watchdog did not sample).
    fn step_of(&self) -> Option<super::StepOf> {
        self.task
            .as_ref()
            .map(|_| super::StepOf::Task(self.coroutine.clone()))
    }

    fn site(&self) -> Placed {
        match self.culprit() {
            Some(c) => {
                let mut detail = format!("{} of {} samples", c.votes, self.samples);
                if let Some(call) = &c.call {
                    let path = call.path.rsplit('/').take(2).collect::<Vec<_>>();
                    let short = path.into_iter().rev().collect::<Vec<_>>().join("/");
                    detail.push_str(&format!(
                        ", in {} ({short}:{})",
                        call.function.as_deref().unwrap_or("?"),
                        call.line
                    ));
                }
                if let Some(h) = self.handler(&c) {
                    detail.push_str(&format!(
                        ", handler {} called by {}",
                        h.frame.function.as_deref().unwrap_or("?"),
                        h.framework
                    ));
                }
                (
                    Some(frame_site(&c.frame)),
                    Basis::SampledDuringStall,
                    Some(detail),
                )
            }
            None => (None, Basis::Unknown, None),
        }
    }

    fn why(g: &Group, short: &str) -> String {
        super::blocked_why(g, short)
    }

    fn live(f: &Finding, subject: &str) -> String {
        let mut s = format!(
            "{subject} blocked the event loop for {:.3} s",
            f.seconds.unwrap_or(0.0)
        );
        if let Some(d) = &f.detail {
            s.push_str(&format!(" (sampled: {d})"));
        }
        s
    }

    fn symptom(t: &Tally) -> String {
        format!(
            "- The stall probe caught {} blocking step(s) at {} statement(s), {} s in total; the longest lasted {} s.",
            t.events,
            t.sites,
            fmt_ms(t.total_ms),
            fmt_ms(t.max_ms)
        )
    }

    fn questions(g: &Group, site: &str) -> Vec<String> {
        vec![
            format!("Why does the statement at {site} block the event loop (up to {} s)?", fmt_ms(g.max_ms().unwrap_or(0))),
            "Which asyncio API or executor (`asyncio.to_thread`, `run_in_executor`) should replace it?".into(),
            "Give the corrected code.".into(),
        ]
    }

    /// The stacks, the statement they agree on, the call below it and the
    /// handler a framework called: from the group's first record.
    fn record_evidence(g: &Group, ev: &mut Evidence) {
        let Some(st) = g
            .sample_record
            .lines()
            .next()
            .and_then(|first| loop_stall(first, &g.sample_record))
        else {
            return;
        };
        let Some(c) = st.culprit() else {
            return;
        };
        ev.location_kind = LocationKind::SampledAt;
        ev.confidence = Confidence::Sampled;
        let calls = st
            .culprit_stack(&c)
            .map_or(Vec::new(), |(s, i)| s.frames[i + 1..].to_vec());
        let handler = st.handler(&c);
        ev.sampled = Some(Sampled {
            votes: c.votes,
            samples: st.samples,
            frame: c.frame,
            calls,
            handler,
            task: st.task,
            coroutine: st.coroutine,
            pid: st.pid,
            thread: st.thread,
            route: None,
            stacks: st.stacks,
        });
    }

    /// The statement the samples point at, and what the blocking catalog
    /// knows of it.
    fn evidence(r: &mut Reading<'_>) {
        r.statement_only();
        let share = r.ev.sampled.as_ref().map(|s| (s.votes, s.samples));
        let path = &r.site.path;
        let line = r.line;
        let sampled = share.map_or(String::new(), |(v, n)| format!(" ({v} of {n} samples)"));
        let hit = r
            .ev
            .statement
            .as_deref()
            .and_then(|s| r.catalog.find(s).into_iter().next());
        r.ev.summary = match hit {
            Some(h) => format!(
                "{path}:{line} {} blocks on {}; use {}{sampled}",
                h.call, h.blocks_on, h.replacement
            ),
            None => format!("{path}:{line} was running while the loop was blocked{sampled}"),
        };
    }
}

#[cfg(test)]
mod tests {
    use crate::event::{parse_record, Parsed};
    use crate::kinds::{Event, Kind};

    /// CPython 3.11.7 running /tmp/pt/sleepy.py under the probe (trimmed).
    const RECORD: &str = r#"aiolog-probe: the event loop was blocked for 0.822 seconds (pid 29241, thread MainThread 140204188613504, task 'Task-1' main, 3 samples)
  stack 1: 1 of 3 samples
    File "/tmp/pt/sleepy.py", line 18, in <module>
    File "/root/.pyenv/versions/3.11.7/lib/python3.11/asyncio/events.py", line 80, in _run
    File "/tmp/pt/sleepy.py", line 15, in main
    File "/root/.pyenv/versions/3.11.7/lib/python3.11/json/__init__.py", line 231, in dumps
    File "/root/.pyenv/versions/3.11.7/lib/python3.11/json/encoder.py", line 200, in encode
  stack 2: 1 of 3 samples
    File "/tmp/pt/sleepy.py", line 12, in main
  stack 3: 1 of 3 samples (faulthandler)
    File "/tmp/pt/sleepy.py", line 18, in <module>
    File "/tmp/pt/sleepy.py", line 15, in main
    File "/root/.pyenv/versions/3.11.7/lib/python3.11/json/__init__.py", line 231, in dumps"#;

    #[test]
    fn the_site_is_the_statement_most_samples_show() {
        let Ok(Parsed::Event(ev)) = parse_record(RECORD) else {
            panic!("{:?}", parse_record(RECORD))
        };
        assert_eq!(ev.kind(), Kind::LoopStall);
        let Event::LoopStall(st) = &ev else { panic!() };
        assert_eq!(st.pid, Some(29241));
        assert_eq!(st.task.as_deref(), Some("Task-1"));
        assert_eq!(st.coroutine.as_deref(), Some("main"));
        assert_eq!(st.stacks.len(), 3);
        assert!(st.stacks[2].faulthandler);
        let (site, _, detail) = ev.site();
        assert_eq!(site.unwrap().line, 15);
        assert_eq!(
            detail.as_deref(),
            Some("2 of 3 samples, in dumps (json/__init__.py:231)")
        );
        assert_eq!(ev.duration_seconds(), Some(0.822));
        assert_eq!(ev.code(), "AIO105");
    }
}

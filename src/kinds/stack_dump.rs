//! A thread of a `faulthandler` dump (`Timeout (0:00:01)!`, a fatal error,
//! `faulthandler.dump_traceback()`, a registered signal) that was running an
//! event loop: the statement the loop was running when the dump was taken
//! (AIO106). People arm faulthandler themselves
//! (`faulthandler.dump_traceback_later`) to catch a hung loop; the threads
//! that run no event loop are application lines.

use super::{KindSpec, Placed, Tally};
use crate::aggregate::{times, Group};
use crate::correlate::{classify, frame_site, Basis, Finding, PathClass};
use crate::event::{Frame, Unrecognized};
use crate::rules::Rule;

/// The end of each thread's header line in a faulthandler dump.
pub const MARKER: &str = "(most recent call first):";

/// One thread of a faulthandler dump that runs an event loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackDump {
    /// The thread id as printed (`0x00007f0f96423b80`).
    pub thread: String,
    /// The dumping thread (`Current thread 0x…`).
    pub current: bool,
    /// The frames, outermost first.
    pub frames: Vec<Frame>,
}

impl StackDump {
    /// The innermost frame of the user's code.
    fn culprit(&self) -> Option<&Frame> {
        self.frames
            .iter()
            .rev()
            .find(|f| classify(&f.path) == PathClass::User)
    }
}

/// `  File "/app/x.py", line 8 in handler` (no comma before `in`).
fn dump_frame(t: &str) -> Option<Frame> {
    let rest = t.strip_prefix("File \"")?;
    let (path, rest) = rest.split_once("\", line ")?;
    let (line, function) = match rest.split_once(" in ") {
        Some((l, f)) => (l, Some(f.trim().to_string())),
        None => (rest, None),
    };
    Some(Frame {
        path: path.to_string(),
        line: line.trim().parse().ok()?,
        function,
    })
}

/// Whether a stack runs asyncio's event loop (or uvloop's).
fn runs_a_loop(frames: &[Frame]) -> bool {
    frames.iter().any(|f| {
        let p = f.path.replace('\\', "/");
        (p.ends_with("asyncio/base_events.py")
            && matches!(
                f.function.as_deref(),
                Some("_run_once" | "run_forever" | "run_until_complete")
            ))
            || p.contains("/uvloop/")
    })
}

fn stack_dump(first: &str, text: &str) -> Result<StackDump, Unrecognized> {
    let head = &first[..first.find(MARKER).unwrap_or(first.len())];
    let current = head.contains("Current thread ");
    let thread = head
        .rsplit(' ')
        .find(|w| w.starts_with("0x"))
        .unwrap_or("?")
        .to_string();
    let mut frames: Vec<Frame> = text
        .lines()
        .skip(1)
        .filter_map(|l| dump_frame(l.trim_start()))
        .collect();
    frames.reverse();
    if frames.is_empty() {
        return Err(Unrecognized::new("faulthandler thread without frames"));
    }
    if !runs_a_loop(&frames) {
        // A thread that runs no event loop: what the application did.
        return Err(Unrecognized {
            reason: "a faulthandler thread that runs no event loop".into(),
            not_asyncio: true,
        });
    }
    Ok(StackDump {
        thread,
        current,
        frames,
    })
}

impl KindSpec for StackDump {
    const NAME: &'static str = "stack_dump";
    const TITLE: &'static str = "Event loops caught in a faulthandler dump";
    const HELP: &'static str = "Event-loop threads in faulthandler dumps";
    const MARKERS: &'static [&'static str] = &[MARKER];
    const TABLE_NOTE: &'static str =
        "Ranked by count. faulthandler dumped the stacks (a timeout armed with dump_traceback_later, a \
         fatal error, a signal): the site is the statement of your code the event loop's thread was running.";
    const RULES: &'static [Rule] = &[Rule {
        code: "AIO106",
        name: "loop-caught-in-stack-dump",
        kind: super::Kind::StackDump,
        summary: "a faulthandler dump caught the event loop's thread running this statement",
        why: "faulthandler dumps the threads' stacks when a timeout it was armed with expires (or on a \
              fatal error or a signal): an event loop's thread that shows a statement of your code, not \
              the selector's wait, was blocked in it.",
        fix: "Look at the statement: replace a blocking call with its asyncio counterpart or move it off the \
              loop (`await asyncio.to_thread(...)`); `aiolog run` or AIOLOG_PROBE=1 measures how long it blocks.",
        example_log: r#"Timeout (0:00:00.200000)!
Thread 0x00007f0f96423b80 (most recent call first):
  File "/app/api.py", line 8 in handler
  File "/usr/local/lib/python3.8/asyncio/events.py", line 81 in _run
  File "/usr/local/lib/python3.8/asyncio/base_events.py", line 1859 in _run_once"#,
        example_fix: r#"# before
time.sleep(0.5)                 # line 8: the dump's site
# after
await asyncio.sleep(0.5)"#,
    }];

    fn parse(first: &str, text: &str) -> Option<Result<Self, Unrecognized>> {
        static AT: crate::text::First = crate::text::First::new(MARKER);
        (AT.is_in(first) && first.contains("hread 0x")).then(|| stack_dump(first, text))
    }

    fn subject(&self) -> Option<String> {
        self.culprit().and_then(|f| f.function.clone())
    }

    fn site(&self) -> Placed {
        match self.culprit() {
            Some(f) => (
                Some(frame_site(f)),
                Basis::SampledDuringStall,
                Some(format!("thread {}", self.thread)),
            ),
            None => (None, Basis::Unknown, Some(format!("thread {}", self.thread))),
        }
    }

    fn why(g: &Group, short: &str) -> String {
        format!(
            "a faulthandler dump caught the event loop here {}; {short}",
            times(g.count)
        )
    }

    fn live(f: &Finding, subject: &str) -> String {
        match &f.detail {
            Some(d) => format!("a faulthandler dump caught the event loop in {subject} ({d})"),
            None => format!("a faulthandler dump caught the event loop in {subject}"),
        }
    }

    fn symptom(t: &Tally) -> String {
        format!(
            "- faulthandler dumps caught the event loop's thread {} time(s), at {} statement(s).",
            t.events, t.sites
        )
    }

    fn questions(_g: &Group, site: &str) -> Vec<String> {
        vec![
            format!("Why was the event loop's thread at {site} when faulthandler dumped it?"),
            "How long does that statement block the loop, and what should replace it?".into(),
            "Give the corrected code.".into(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use crate::event::{parse_record, Parsed};
    use crate::kinds::Kind;

    /// CPython 3.8.18's `faulthandler.dump_traceback_later(0.2)`, one
    /// thread's record each (/tmp/fh/fh_dump.py).
    #[test]
    fn the_loop_thread_is_a_finding_the_others_application_lines() {
        let idle = "Thread 0x00007f0f952846c0 (most recent call first):\n  File \"/tmp/fh/fh_dump.py\", line 4 in idle\n  File \"/root/.pyenv/versions/3.8.18/lib/python3.8/threading.py\", line 870 in run";
        assert!(parse_record(idle).unwrap_err().not_asyncio);
        let looping = "Thread 0x00007f0f96423b80 (most recent call first):\n  File \"/tmp/fh/fh_dump.py\", line 8 in handler\n  File \"/root/.pyenv/versions/3.8.18/lib/python3.8/asyncio/events.py\", line 81 in _run\n  File \"/root/.pyenv/versions/3.8.18/lib/python3.8/asyncio/base_events.py\", line 1859 in _run_once\n  File \"/tmp/fh/fh_dump.py\", line 12 in <module>";
        let Ok(Parsed::Event(ev)) = parse_record(looping) else {
            panic!("{:?}", parse_record(looping))
        };
        assert_eq!(ev.kind(), Kind::StackDump);
        let (site, _, _) = ev.site();
        assert_eq!(site.unwrap().line, 8);
        assert_eq!(ev.subject().as_deref(), Some("handler"));
    }
}

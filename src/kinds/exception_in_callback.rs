//! `Exception in callback f() at p.py:3` (FORMATS.md §3.2): a callback run
//! by the event loop raised (AIO402).

use super::{KindSpec, Placed, Tally};
use crate::aggregate::{times, Group};
use crate::correlate::{classify, frame_site, innermost_user, loc_site, Basis, Finding, PathClass};
use crate::event::{
    frame_blocks_and, last_exception_line, repr, Frame, Location, Unrecognized,
};
use crate::rules::Rule;

/// `Exception in callback f() at p.py:3` with `handle:` and a traceback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionInCallback {
    /// The callback's name.
    pub callback: String,
    /// The callback's definition (` at path:N` after it), when printed.
    pub location: Option<Location>,
    /// The handle's ` created at` (where it was scheduled).
    pub created_at: Option<Location>,
    /// `source_traceback`/`handle_traceback` frames.
    pub source_traceback: Vec<Frame>,
    /// The traceback frames.
    pub traceback: Vec<Frame>,
    /// The exception line.
    pub exception: Option<String>,
}

/// `Exception in callback f(args) at p.py:3` (the first letter may be lost
/// in a paste), `handle: <Handle …>`, traceback.
fn exception_in_callback(text: &str) -> Option<ExceptionInCallback> {
    let first = crate::text::lines(text).next()?;
    static AT: crate::text::First = crate::text::First::new("xception in callback ");
    let start = AT.in_(first)? + "xception in callback ".len();
    let rest = first[start..].trim();
    let (cb, location) = match repr::AT.in_(rest) {
        Some(i) => match repr::location(&rest[i + ") at ".len()..]) {
            Some(l) => (&rest[..i + 1], Some(l)),
            None => (rest, None),
        },
        None => (rest, None),
    };
    let (mut blocks, handle) = frame_blocks_and(text, Some("handle"));
    let handle = handle.and_then(repr::handle_repr);
    let callback =
        repr::callback_name_of(cb).or_else(|| handle.as_ref().map(|h| h.callback.clone()))?;
    let exception = last_exception_line(text);
    let mut source = blocks.remove("source_traceback").unwrap_or_default();
    if source.is_empty() {
        source = blocks.remove("handle_traceback").unwrap_or_default();
    }
    Some(ExceptionInCallback {
        callback,
        location: location.or_else(|| handle.as_ref().and_then(|h| h.location.clone())),
        created_at: handle.and_then(|h| h.created_at),
        source_traceback: source,
        traceback: blocks.remove("traceback").unwrap_or_default(),
        exception,
    })
}

impl KindSpec for ExceptionInCallback {
    const NAME: &'static str = "exception_in_callback";
    const TITLE: &'static str = "Exceptions in callbacks";
    const HELP: &'static str = "Exceptions raised in callbacks";
    // Also when a paste lost the first letter.
    const MARKERS: &'static [&'static str] = &["xception in callback "];
    const TABLE_NOTE: &'static str =
        "Ranked by count. The site is where the exception was raised, else the callback's definition. \
         asyncio only logs it: handle the error inside the callback.";
    const RULES: &'static [Rule] = &[
    Rule {
        code: "AIO402",
        name: "exception-in-callback",
        kind: super::Kind::ExceptionInCallback,
        summary: "a callback raised an exception",
        why: "An exception raised by a callback run by the event loop goes nowhere: asyncio logs it and \
              carries on, and whatever the callback should have done is left undone.",
        fix: "Catch and handle the error inside the callback, or turn the callback into a task whose \
              result is awaited.",
        example_log: r#"Exception in callback on_tick() at /app/ticker.py:7
handle: <Handle on_tick() at /app/ticker.py:7 created at /app/main.py:20>
Traceback (most recent call last):
  File "/app/ticker.py", line 9, in on_tick
    1 / 0
ZeroDivisionError: division by zero"#,
        example_fix: r#"# before
def on_tick():
    rate = done / elapsed        # may raise
# after
def on_tick():
    try:
        rate = done / elapsed
    except ZeroDivisionError:
        rate = 0.0"#,
    },
    ];

    fn parse(first: &str, text: &str) -> Option<Result<Self, Unrecognized>> {
        static AT: crate::text::First = crate::text::First::new("xception in callback ");
        AT.is_in(first).then(|| {
            exception_in_callback(text).ok_or_else(|| {
                Unrecognized::new("`Exception in callback` record that does not parse")
            })
        })
    }

    fn subject(&self) -> Option<String> {
        Some(self.callback.clone())
    }

    fn location(&self) -> Option<Location> {
        self.location.clone()
    }

    fn created_at(&self) -> Option<Location> {
        self.created_at.clone()
    }

    fn traceback(&self) -> &[Frame] {
        &self.traceback
    }

    fn site(&self) -> Placed {
        let detail = self.exception.clone();
        let def = self
            .location
            .as_ref()
            .and_then(|l| loc_site(l, Some(self.callback.clone())));
        if let Some(f) = innermost_user(&self.traceback) {
            (Some(frame_site(f)), Basis::RaisedAt, detail)
        } else if let Some(site) = def.filter(|s| classify(&s.path) == PathClass::User) {
            (Some(site), Basis::CallbackDefinition, detail)
        } else if let Some(f) = innermost_user(&self.source_traceback) {
            (Some(frame_site(f)), Basis::CallbackScheduled, detail)
        } else {
            (None, Basis::Unknown, detail)
        }
    }

    fn why(g: &Group, short: &str) -> String {
        format!("a callback raised {}; {short}", times(g.count))
    }

    fn live(f: &Finding, subject: &str) -> String {
        match &f.detail {
            Some(d) => format!("callback {subject} raised: {d}"),
            None => format!("callback {subject} raised"),
        }
    }

    fn symptom(t: &Tally) -> String {
        format!(
            "- Callbacks raised {} time(s), at {} site(s).",
            t.events, t.sites
        )
    }

    fn questions(_g: &Group, site: &str) -> Vec<String> {
        vec![
            format!("Why does the callback at {site} raise?"),
            "How should the callback handle the failure (asyncio only logs it)?".into(),
            "Give the corrected code.".into(),
        ]
    }
}

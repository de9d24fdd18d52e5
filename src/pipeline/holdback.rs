//! The hold-back of findings: a finding waits for the application lines
//! that follow it (`-A`), and a task-lifecycle finding waits further, to
//! learn whether the program still ran after it or it happened at shutdown.
//!
//! "At shutdown" needs evidence of teardown: a finding that no application
//! line followed is marked only when the input also shows the program's
//! own lines before it (it wrote, then stopped), the loop closing (debug
//! mode's `Close <…>` line), or a record whose traceback runs through
//! asyncio's shutdown code ([`is_teardown`]). A log of warnings alone, an
//! excerpt pasted into a bug report, is never marked.

use crate::correlate::Finding;

/// The most task-lifecycle findings held back while waiting to learn
/// whether they happened at shutdown.
pub const MAX_TAIL: usize = 10_000;

/// Frames and messages that only asyncio's teardown prints: `asyncio.run()`
/// cancelling the remaining tasks, closing async generators and the
/// default executor, and the loop's exception handler at that point: the
/// first sign, and the others, which all hold `shutdown`.
static CANCELLING: crate::text::First = crate::text::First::new("in _cancel_all_tasks");
static SHUTDOWN_SIGNS: crate::text::Literals = crate::text::Literals::new(&[
    "in shutdown_asyncgens",
    "in shutdown_default_executor",
    "during asyncio.run() shutdown",
]);

/// Whether a record's text shows asyncio's teardown. Every record is asked:
/// one literal each first, the word set only where `shutdown` is.
pub fn is_teardown(record: &str) -> bool {
    static SHUTDOWN: crate::text::First = crate::text::First::new("shutdown");
    CANCELLING.is_in(record) || (SHUTDOWN.is_in(record) && SHUTDOWN_SIGNS.any_in(record))
}

/// Findings not yet released.
#[derive(Debug, Default)]
pub struct HoldBack {
    /// Findings waiting for the lines that follow them.
    pending: Vec<Finding>,
    /// How many of `pending` (from the first) an application line has
    /// followed already: released, they are not held for one.
    followed: usize,
    /// Task-lifecycle findings that no application line has followed yet:
    /// at the end of the input they happened during shutdown.
    tail: Vec<Finding>,
    after: usize,
    mark_shutdown: bool,
    /// An application line was seen: what was held back before it was
    /// not at shutdown.
    saw_app_line: bool,
    /// Evidence of teardown other than application lines was seen.
    saw_teardown: bool,
}

impl HoldBack {
    /// Findings wait for `after` following lines, and the task-lifecycle
    /// ones for an application line too. With `mark_shutdown`, those that
    /// none followed are marked at the end of the input; without, the
    /// input is a part of a larger one, and they are left for
    /// [`HoldBack::take_tail`].
    pub fn new(after: usize, mark_shutdown: bool) -> HoldBack {
        HoldBack {
            after,
            mark_shutdown,
            ..HoldBack::default()
        }
    }

    /// Whether findings wait for their following lines.
    pub fn waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Whether no finding is held back at all.
    pub fn settled(&self) -> bool {
        self.pending.is_empty() && self.tail.is_empty()
    }

    /// A new finding.
    pub fn push(&mut self, mut f: Finding, out: &mut Vec<Finding>) {
        if self.after > 0 {
            // Room for typical lines, grown once at most (and under the
            // allocator's per-thread cache bound, as a record's text).
            f.context_after = crate::text::Lines::with_capacity((self.after * 128).min(1000));
        }
        self.pending.push(f);
        if self.after == 0 {
            self.release(out);
        }
    }

    /// Releases findings that wait for their following lines. Task-lifecycle
    /// findings (tasks destroyed, exceptions never retrieved, coroutines never
    /// awaited) wait further, until an application line shows the program
    /// still ran after them.
    pub fn release(&mut self, out: &mut Vec<Finding>) {
        let followed = std::mem::take(&mut self.followed);
        for (i, f) in self.pending.drain(..).enumerate() {
            if f.kind.shutdown_sensitive() && i >= followed {
                self.tail.push(f);
            } else {
                out.push(f);
            }
        }
        if self.tail.len() > MAX_TAIL {
            out.append(&mut self.tail);
        }
    }

    /// Evidence of teardown: the loop closing, or a record of asyncio's
    /// shutdown code.
    pub fn teardown_seen(&mut self) {
        self.saw_teardown = true;
    }

    /// Whether the input shows its program's teardown (see the module's
    /// comment): the end of its lines is the program's end.
    pub fn shows_teardown(&self) -> bool {
        self.saw_app_line || self.saw_teardown
    }

    /// An application line: the findings before it were not at shutdown.
    pub fn app_line_seen(&mut self, out: &mut Vec<Finding>) {
        self.saw_app_line = true;
        // Those still waiting for their context lines were followed too.
        self.followed = self.pending.len();
        if !self.tail.is_empty() {
            out.append(&mut self.tail);
        }
    }

    /// An application line of the findings' process that follows them.
    pub fn follow_line(&mut self, text: &str, out: &mut Vec<Finding>) {
        if self.pending.is_empty() {
            return;
        }
        for f in &mut self.pending {
            f.context_after.push(text);
        }
        if self.pending[0].context_after.len() >= self.after {
            self.release(out);
        }
    }

    /// A live stream paused: everything is released, since nothing is known
    /// of a shutdown.
    pub fn flush_idle(&mut self, out: &mut Vec<Finding>) {
        self.release(out);
        out.append(&mut self.tail);
    }

    /// The input ended: what no application line followed happened during
    /// shutdown if the input shows teardown (or, in a part of a larger
    /// input, is left for [`HoldBack::take_tail`]).
    pub fn finish(&mut self, out: &mut Vec<Finding>) {
        self.release(out);
        if self.mark_shutdown {
            let teardown = self.shows_teardown();
            for mut f in self.tail.drain(..) {
                f.during_shutdown = teardown;
                out.push(f);
            }
        }
    }

    /// The task-lifecycle findings that no application line followed, not
    /// marked: in a part of a larger input, whether they happened at
    /// shutdown depends on the parts after it.
    pub fn take_tail(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.tail)
    }

    /// Whether an application line was seen.
    pub fn saw_app_line(&self) -> bool {
        self.saw_app_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teardown_is_any_sign_and_nothing_else() {
        for sign in [
            "in _cancel_all_tasks",
            "in shutdown_asyncgens",
            "in shutdown_default_executor",
            "during asyncio.run() shutdown",
        ] {
            assert!(
                is_teardown(&format!("x\n  File \"a.py\", line 1, {sign}\ny")),
                "{sign}"
            );
        }
        for not in [
            "",
            "shutdown",
            "_cancel_all_tasks",
            "in shutdown_executor",
            "in  _cancel_all_tasks",
            "during asyncio.run()  shutdown",
        ] {
            assert!(!is_teardown(not), "{not}");
        }
    }
}

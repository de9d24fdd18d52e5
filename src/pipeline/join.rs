//! Joining the stall probe's record with debug mode's warning for the same
//! step: one finding, never two. The probe logs its record (`aiolog-probe:
//! the event loop was blocked for …`) as the step ends, just before
//! asyncio's `Executing <…> took …` for the same step (just after it, on a
//! loop the probe watches by its heartbeat, such as uvloop). When the two
//! come within [`JOIN_LINES`] lines of each other, from the same process
//! (when the log says which: the probe's record states its pid, a
//! `[%(process)d]` prefix gives the warning's), of the same task or both of
//! a plain callback, and their durations agree, they become the probe's finding, which names the statement that
//! blocked, with the warning's own line kept as its `location`.
//!
//! Records of one object are joined the same way: aiohttp reports an
//! unclosed session twice, by the warnings module's line and by its
//! exception handler's record (with the `source_traceback` that places
//! it); within [`JOIN_LINES`] lines, of one process, the same `TYPE object
//! at 0x…` is one finding, the one that names a site.
//!
//! Findings pass through in order: a finding that may have a partner waits
//! for it, and what comes after it waits behind it.

use std::collections::VecDeque;

use crate::correlate::Finding;
use crate::kinds::StepRecord;

/// How many lines apart a stall record and its warning may be.
pub const JOIN_LINES: u64 = 100;

/// Findings waiting for the first one's partner.
#[derive(Debug, Default)]
pub struct Joiner {
    queue: VecDeque<Finding>,
}

fn joinable(f: &Finding) -> bool {
    f.kind.step().is_some() || f.object.is_some()
}

/// Whether `a` and `b` are the probe's record and the warning of one step,
/// or two records of one object.
fn pair(a: &Finding, b: &Finding) -> bool {
    if let (Some(x), Some(y)) = (&a.object, &b.object) {
        let other_process = matches!((a.pid, b.pid), (Some(p), Some(q)) if p != q);
        return x == y && a.kind == b.kind && !other_process;
    }
    let (Some(x), Some(y)) = (a.kind.step(), b.kind.step()) else {
        return false;
    };
    if x == y {
        return false;
    }
    // A task's step and a callback, or two tasks' steps.
    if let (Some(p), Some(q)) = (&a.step_of, &b.step_of) {
        if !p.agrees(q) {
            return false;
        }
    }
    // Another process's step (several workers writing one log).
    if let (Some(p), Some(q)) = (a.pid, b.pid) {
        if p != q {
            return false;
        }
    }
    match (a.seconds, b.seconds) {
        (Some(x), Some(y)) => (x - y).abs() <= (0.15 * x.max(y)).max(0.06),
        _ => false,
    }
}

/// Two records of one object: the one that names a site (else the
/// first), with the other's line when it has none.
fn merged_object(a: Finding, b: Finding) -> Finding {
    let (mut keep, other) = if a.site.is_none() && b.site.is_some() {
        (b, a)
    } else {
        (a, b)
    };
    let other = other.into_fields();
    keep.location = keep.location.take().or(other.location);
    keep.created_at = keep.created_at.take().or(other.created_at);
    keep
}

/// The probe's finding, with the warning's own line and creation site.
fn merged(a: Finding, b: Finding) -> Finding {
    if a.object.is_some() {
        return merged_object(a, b);
    }
    let (mut stall, mut warning) = if a.kind.step() == Some(StepRecord::Sampled) {
        (a, b)
    } else {
        (b, a)
    };
    stall.location = warning.location.take().or(stall.location.take());
    stall.created_at = warning.created_at.take().or(stall.created_at.take());
    // The warning's context, less the probe's own record (which came just
    // before it or just after it).
    let s: &mut crate::correlate::FindingFields = &mut stall;
    let own: Vec<&str> = s
        .record
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let not_own = |l: &&str| !own.iter().any(|r| l.trim_end().ends_with(r));
    if s.context_after.is_empty() {
        s.context_after = warning.context_after.iter().filter(not_own).collect();
    }
    if s.context_before.is_empty() {
        s.context_before = warning.context_before.iter().filter(not_own).collect();
    }
    stall
}

impl Joiner {
    /// Whether nothing waits.
    pub fn settled(&self) -> bool {
        self.queue.is_empty()
    }

    /// A finding, in the order the analyzer completes them.
    pub fn push(&mut self, f: Finding, out: &mut Vec<Finding>) {
        if let Some(front) = self.queue.front() {
            if f.line_no.saturating_sub(front.line_no) > JOIN_LINES {
                self.flush(out);
            }
        }
        let Some(front) = self.queue.front() else {
            if joinable(&f) {
                self.queue.push_back(f);
            } else {
                out.push(f);
            }
            return;
        };
        if pair(front, &f) {
            let front = self.queue.pop_front().expect("a front");
            self.queue.push_front(merged(front, f));
            self.flush(out);
        } else if joinable(&f) {
            self.flush(out);
            self.queue.push_back(f);
        } else {
            self.queue.push_back(f);
        }
    }

    /// Releases the queue when its first finding is more than
    /// [`JOIN_LINES`] lines before `line_no`, which no record still to come
    /// starts before.
    pub fn expire(&mut self, line_no: u64, out: &mut Vec<Finding>) {
        if self
            .queue
            .front()
            .is_some_and(|f| line_no.saturating_sub(f.line_no) > JOIN_LINES)
        {
            self.flush(out);
        }
    }

    /// Releases everything.
    pub fn flush(&mut self, out: &mut Vec<Finding>) {
        out.extend(self.queue.drain(..));
    }
}

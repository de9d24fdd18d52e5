//! The walk over a block of complete lines: the fast path between
//! records, each line near a marker read in full, and the findings handed
//! on to the next stage while the block is still being read.

use super::{Finding, InputAnalyzer};
use crate::pipeline::lookback::BlockAt;
use crate::scan::count_lines_long;

/// How many findings a step that hands findings on early
/// ([`InputAnalyzer::step_handing`]) lets gather before it does. A finding
/// handed on soon after it was made is still in the cache when the next
/// stage reads it: handed on once a 1 MiB block was read, the aggregate
/// read each finding, and the dense workload's 78,054 findings cost it
/// some 15 cache misses each.
pub const HAND_ON_EVERY: usize = 16;

/// What reads the findings handed on.
pub type Next<'n> = &'n mut dyn FnMut(&mut Vec<Finding>);

/// The next stage, while a block is read: where the findings go and what
/// reads them.
pub struct Early<'o> {
    /// Where the findings go.
    pub out: &'o mut Vec<Finding>,
    /// What reads them.
    pub next: Next<'o>,
}

impl InputAnalyzer<'_> {
    /// Complete lines, each ending with `\n`.
    ///
    /// One search serves both paths: the next marker's span is found once
    /// and kept, and a line read in full (while a record is open) is a hit
    /// exactly when that marker starts inside it. Markers hold no newline,
    /// so a marker that starts in a line ends there.
    pub(super) fn block_lines(
        &mut self,
        block: &[u8],
        out: &mut Vec<Finding>,
        mut early: Option<&mut Early<'_>>,
    ) {
        let mut pos = 0;
        // The leftmost marker at or after `pos`, once searched for, and
        // where that search began.
        let mut next: Option<(usize, usize)> = None;
        let mut searched_from = 0;
        let mut searched = false;
        while pos < block.len() {
            if !searched || next.is_some_and(|(s, _)| s < pos) {
                next = self
                    .scanner
                    .find_span(&block[pos..])
                    .map(|(s, e)| (pos + s, pos + e));
                searched = true;
                searched_from = pos;
            }
            if self.busy() {
                let end =
                    pos + memchr::memchr(b'\n', &block[pos..]).expect("block ends with a newline");
                let hit = match next {
                    Some((s, e)) if s < end => self.hit_at(&block[pos..end], e - pos),
                    _ => false,
                };
                let at = BlockAt {
                    block,
                    start: pos,
                    searched_from,
                };
                self.read_line(&block[pos..end], hit, Some(at), out);
                pos = end + 1;
                self.hand_on_early(out, &mut early);
                continue;
            }
            // The fast path: the next marker; what lies before is counted.
            let Some((hit, hit_end)) = next else {
                let n = count_lines_long(&block[pos..], self.opts.max_line);
                self.skip_lines(n, out);
                return;
            };
            let start = memchr::memrchr(b'\n', &block[pos..hit]).map_or(pos, |i| pos + i + 1);
            let end =
                start + memchr::memchr(b'\n', &block[start..]).expect("block ends with a newline");
            // Only a marker within the line's first `max_line` bytes
            // counts, as in a line cut at the bound.
            if !self.hit_at(&block[start..end], hit_end - start) {
                let n = count_lines_long(&block[pos..end + 1], self.opts.max_line);
                self.skip_lines(n, out);
                pos = end + 1;
                continue;
            }
            let n = count_lines_long(&block[pos..start], self.opts.max_line);
            self.skip_lines(n, out);
            let at = BlockAt {
                block,
                start,
                searched_from,
            };
            self.read_line(&block[start..end], true, Some(at), out);
            pos = end + 1;
            self.hand_on_early(out, &mut early);
        }
    }

    /// Whether `line`, whose leftmost marker ends at `marker_end`, is a hit:
    /// at once when that marker lies within the first `max_line` bytes,
    /// else by searching the bounded view (another marker may fit).
    fn hit_at(&self, line: &[u8], marker_end: usize) -> bool {
        marker_end <= self.opts.max_line || self.is_hit(line)
    }

    /// Hands the findings completed so far (`fresh`) on to `early`'s
    /// stage, once [`HAND_ON_EVERY`] of them gathered.
    fn hand_on_early(&mut self, fresh: &mut Vec<Finding>, early: &mut Option<&mut Early<'_>>) {
        if fresh.len() < HAND_ON_EVERY {
            return;
        }
        if let Some(e) = early {
            self.hand_on(fresh, e.out, true);
            (e.next)(e.out);
        }
    }
}

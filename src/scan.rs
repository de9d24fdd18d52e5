//! Stage 2, scan: find the rare places in a block where asyncio spoke.
//!
//! # Brief overview
//! Application logs are mostly lines that have nothing to do with asyncio.
//! Splitting and parsing each of them is what makes a naive analyzer slow, so
//! aiolog searches whole blocks for a few markers that asyncio's messages
//! contain and ordinary application lines almost never do (a multi-pattern
//! search, many gigabytes per second), and only counts the newlines between
//! two hits. Markers shared with application text, such as ` took `, are
//! deliberately absent: they would turn the block search back into a line
//! search.
//!
//! # Example
//! ```
//! use aiolog::scan::{Scanner, count_lines};
//! let block = b"GET / 200\nExecuting <Handle f() at /app/a.py:3> took 0.2 seconds\n";
//! let scanner = Scanner::new();
//! let hit = scanner.find(block).unwrap();
//! assert_eq!(count_lines(&block[..hit]), 1);
//! ```

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Every marker the block search looks for: each kind's
/// ([`crate::kinds::Kind::markers`]), then debug mode's DEBUG/INFO lines
/// ([`crate::kinds::debug_lines::markers`]). Each one starts (or sits in the first
/// line of) a record that the event stage knows, or one it should at least
/// count as unrecognized rather than let pass silently.
pub fn markers() -> impl Iterator<Item = &'static str> {
    crate::kinds::Kind::ALL
        .iter()
        .flat_map(|k| k.markers().iter().copied())
        .chain(crate::kinds::debug_lines::markers())
}

/// The block searcher.
#[derive(Clone, Debug)]
pub struct Scanner {
    ac: AhoCorasick,
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

impl Scanner {
    /// Builds the searcher for [`markers`].
    pub fn new() -> Scanner {
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            // The prefilter (Teddy) finds the candidates; the automaton
            // only confirms them. A DFA confirms no faster here and takes
            // 7 M instructions to build at every start (the whole start-up
            // was 11 M).
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(markers())
            .expect("markers are valid patterns");
        Scanner { ac }
    }

    /// The offset of the first marker in `hay`, if any.
    #[inline]
    pub fn find(&self, hay: &[u8]) -> Option<usize> {
        self.ac.find(hay).map(|m| m.start())
    }

    /// The first marker in `hay`: its start and end.
    #[inline]
    pub fn find_span(&self, hay: &[u8]) -> Option<(usize, usize)> {
        self.ac.find(hay).map(|m| (m.start(), m.end()))
    }

    /// Whether `line` holds a marker.
    #[inline]
    pub fn is_hit(&self, line: &[u8]) -> bool {
        self.ac.is_match(line)
    }
}

/// The number of complete lines in `hay` (which starts at a line start),
/// and how many of them are longer than `max` bytes: a line cut at the
/// bound is counted the same whether it passed the fast path or not.
#[inline]
pub fn count_lines_long(hay: &[u8], max: usize) -> (u64, u64) {
    if hay.len() <= max {
        // No line can be longer than the whole region: count fast.
        return (count_lines(hay), 0);
    }
    let (mut lines, mut long, mut start) = (0u64, 0u64, 0usize);
    for nl in memchr::memchr_iter(b'\n', hay) {
        lines += 1;
        long += (nl - start > max) as u64;
        start = nl + 1;
    }
    (lines, long)
}

/// The number of `\n` bytes in `hay`.
#[inline]
pub fn count_lines(hay: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', hay).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_marker_and_nothing_in_app_lines() {
        let s = Scanner::new();
        for m in markers() {
            // The pipeline relies on it: a marker that starts in a line ends there.
            assert!(!m.contains('\n'), "{m:?}");
            let line = format!("prefix {m} suffix");
            assert!(s.is_hit(line.as_bytes()), "{m}");
        }
        for line in [
            "INFO request took 1.2 seconds",
            "Executing query SELECT 1",
            "task destroyed",
            "2023-10-11 09:40:39 - DEBUG - starting loop \"backup\" with interval 10.000s",
        ] {
            assert!(!s.is_hit(line.as_bytes()), "{line}");
        }
    }

    #[test]
    fn counts_lines() {
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a\nb\n"), 2);
        assert_eq!(count_lines(b"a\nb"), 1);
    }
}

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

/// The markers. Each one starts (or sits in the first line of) a record that
/// the event stage knows, or one it should at least count as unrecognized
/// rather than let pass silently.
pub const MARKERS: &[&str] = &[
    // slow callback / slow task step (FORMATS.md §3.1), and the 2014 prototype
    "Executing <",
    "Executing Handle(",
    // Go's encoding/json (docker's json-file) escapes `<`.
    "Executing \\u003c",
    // default exception handler messages (§3.2)
    "was destroyed but it is pending",
    "exception was never retrieved",
    // Also when a paste lost the first letter.
    "xception in callback ",
    // aiohttp's unclosed objects, reported through the exception handler.
    "Unclosed client session",
    "Unclosed connector",
    "Unclosed connection",
    // warnings (§3.3, §3.4) and the pre-3.7 CoroWrapper message
    "was never awaited",
    "was never yielded from",
    "ResourceWarning: unclosed",
    // §3.5
    NON_THREADSAFE,
    // Home Assistant's blocking-call detector.
    "Detected blocking call ",
    // fatal transport errors (§3.2)
    "Fatal error: protocol.",
    "Fatal error on ",
    "Fatal read error on ",
    "Fatal write error on ",
];

/// The exception line of a loop method called from another thread
/// (FORMATS.md §3.5). The marker includes the exception type: 3.13+ print
/// the `raise RuntimeError(` statement's string in the traceback above it.
pub const NON_THREADSAFE: &str = "RuntimeError: Non-thread-safe operation";

/// The default exception handler's other messages (FORMATS.md §3.2), each
/// by a distinctive part (`an error occurred during closing of asynchronous
/// generator` by `asynchronous generator`, `Unhandled exception in
/// client_connected_cb` by `client_connected_cb`), which ordinary text
/// rarely holds. The event stage
/// reads the record only when its first line holds the whole message
/// ([`LOOP_EXCEPTION_TEXTS`]); other lines with such a part are application
/// lines.
pub const LOOP_EXCEPTION_MESSAGES: &[&str] = &[
    "unhandled exception during asyncio.run() shutdown",
    "asynchronous generator",
    "has errored out but its parent task",
    "garbage collected prior to establishing network connection",
    "client_connected_cb",
    "Unhandled error in exception handler",
    "Exception in default exception handler",
    "socket.accept() out of system resource",
    "transport creation for incoming connection",
    "pause_writing() failed",
    "resume_writing() failed",
    "reading from the event loop self pipe",
    "Accept failed on a socket",
    "SIGCHLD handler",
    "Unhandled exception in event loop",
];

/// The messages [`LOOP_EXCEPTION_MESSAGES`] find, whole.
pub const LOOP_EXCEPTION_TEXTS: &[&str] = &[
    "unhandled exception during asyncio.run() shutdown",
    "an error occurred during closing of asynchronous generator",
    "has errored out but its parent task",
    "An open stream was garbage collected prior to establishing network connection",
    "Unhandled exception in client_connected_cb",
    "Unhandled error in exception handler",
    "Exception in default exception handler",
    "socket.accept() out of system resource",
    "Error on transport creation for incoming connection",
    "protocol.pause_writing() failed",
    "protocol.resume_writing() failed",
    "Error on reading from the event loop self pipe",
    "Accept failed on a socket",
    "Unknown exception in SIGCHLD handler",
    "Unhandled exception in event loop",
];

/// Debug mode's DEBUG/INFO lines (FORMATS.md §3.6) that are searched for
/// with the markers, recognized and counted as such, each a record of one
/// line.
pub const DEBUG_MARKERS: &[&str] = &[
    "Using selector: ",
    "Using proactor: ",
    "Get address info ",
    "Getting address info ",
    "Close <_",
    // Python 3.7's `poll took N ms: N events`.
    "poll took ",
    // Transports, servers and subprocesses. Every marker slows the block
    // search a little (README, Performance), so `<…> connected to`, `<…>
    // is serving` and the pause/resume lines, the least needed, are left to
    // pass as application lines.
    "SSL handshake took ",
    "Datagram endpoint ",
    "execute program ",
    "exited with return",
    "got a new connection from ",
];

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
    /// Builds the searcher for [`MARKERS`].
    pub fn new() -> Scanner {
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(
                MARKERS
                    .iter()
                    .chain(LOOP_EXCEPTION_MESSAGES)
                    .chain(DEBUG_MARKERS),
            )
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
        for m in MARKERS
            .iter()
            .chain(LOOP_EXCEPTION_MESSAGES)
            .chain(DEBUG_MARKERS)
        {
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
    fn each_loop_exception_marker_is_part_of_its_message() {
        assert_eq!(LOOP_EXCEPTION_MESSAGES.len(), LOOP_EXCEPTION_TEXTS.len());
        for (m, t) in LOOP_EXCEPTION_MESSAGES.iter().zip(LOOP_EXCEPTION_TEXTS) {
            assert!(t.contains(m), "{m:?} not in {t:?}");
        }
    }

    #[test]
    fn counts_lines() {
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a\nb\n"), 2);
        assert_eq!(count_lines(b"a\nb"), 1);
    }
}

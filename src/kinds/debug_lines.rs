//! Debug mode's DEBUG/INFO lines (FORMATS.md §3.6): not a kind of finding,
//! but part of what asyncio prints. The scan searches for them with the
//! kinds' markers, the record stage keeps each as a record of one line, and
//! the event stage recognizes and counts them
//! ([`crate::event::Parsed::DebugLine`]).

use crate::event::Unrecognized;

/// The markers of debug mode's DEBUG/INFO lines, each a record of one line.
pub const MARKERS: &[&str] = &[
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

/// Whether a message is one of debug mode's DEBUG/INFO lines: a record of
/// one line.
pub fn is_debug_line(msg: &str) -> bool {
    static ANY: crate::text::Literals = crate::text::Literals::new(MARKERS);
    ANY.any_in(msg) && !msg.contains("Executing ")
}

/// A debug line's marker, or why a `poll … took` lookalike is not one;
/// `None` when the line is not a debug line.
pub fn parse(first: &str) -> Option<Result<String, Unrecognized>> {
    if let Some(i) = first.find("poll ") {
        if first[i..].contains(" took ") && first.contains(" events") {
            return Some(if is_poll_took(&first[i..]) {
                Ok("poll took".into())
            } else {
                Err(Unrecognized {
                    reason: "not asyncio's `poll took` line".into(),
                    not_asyncio: true,
                })
            });
        }
    }
    MARKERS
        .iter()
        .find(|m| first.contains(*m))
        .map(|m| Ok(m.trim().to_string()))
}

/// Python 3.7's `poll took %.3f ms: %s events` (DEBUG) and `poll %.3f ms
/// took %.3f ms: %s events` (INFO), removed in 3.8 (FORMATS.md §1).
fn is_poll_took(s: &str) -> bool {
    fn millis(s: &str) -> Option<&str> {
        let n = s
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        (n > 0).then(|| &s[n..])?.strip_prefix(" ms")
    }
    let rest = match s.strip_prefix("poll took ") {
        Some(r) => millis(r),
        None => s
            .strip_prefix("poll ")
            .and_then(millis)
            .and_then(|r| r.strip_prefix(" took "))
            .and_then(millis),
    };
    rest.and_then(|r| r.strip_prefix(": "))
        .and_then(|r| r.trim_end().strip_suffix(" events"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

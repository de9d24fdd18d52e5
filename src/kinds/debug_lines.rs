//! Debug mode's DEBUG/INFO lines (FORMATS.md §3.6): not a kind of finding,
//! but part of what asyncio prints. The scan searches for them with the
//! kinds' markers, the record stage keeps each as a record of one line, and
//! the event stage recognizes and counts them
//! ([`crate::event::Parsed::DebugLine`]).

use crate::event::Unrecognized;

/// The markers of debug mode's DEBUG/INFO lines, each a record of one line,
/// found anywhere in the message.
pub const MARKERS: &[&str] = &[
    "Using selector: ",
    "Using proactor: ",
    "Get address info ",
    "Getting address info ",
    "Close <_",
    // Python 3.7's `poll took N ms: N events`.
    "poll took ",
    "SSL handshake took ",
    "Datagram endpoint ",
    "execute program ",
    "exited with return",
    "got a new connection from ",
];

/// The lines that are an object's repr and then words (`%r is serving`,
/// `%r pauses reading`, FORMATS.md §3.6): the words, and whether they end
/// the line. Their words are common enough in application text that a
/// line is one of them only in that shape ([`after_repr`]).
const AFTER_REPR: &[(&str, bool)] = &[
    ("connected to ", false),
    ("is serving", true),
    ("pauses reading", true),
    ("pauses writing", true),
    ("resumes reading", true),
    ("resumes writing", true),
    ("received EOF", true),
    ("was closed by peer", true),
    ("starts SSL handshake", true),
];

/// What the block search looks for to find the [`AFTER_REPR`] lines: one
/// short marker inside each, chosen so that the search stays as fast
/// (README, Performance: `eceived EOF` rather than `received EOF`, whose
/// first bytes application text shares with `record`, `recent`, ...).
///
/// Their order matters for speed, not for what is found: the search's
/// SIMD prefilter puts each pattern in one of 16 buckets by its position in
/// the list, and two patterns in one bucket whose first bytes differ let
/// more application text through to be checked. This order was measured
/// best; measure a new marker the same way before adding it (README,
/// Performance).
pub const REPR_MARKERS: &[&str] = &[
    "is serving",
    "pauses ",
    "resumes ",
    "> connected to ",
    "eceived EOF",
    "was closed by peer",
    "starts SSL handshake",
];

/// Every marker of debug mode's lines, for the block search.
pub fn markers() -> impl Iterator<Item = &'static str> {
    MARKERS.iter().chain(REPR_MARKERS).copied()
}

/// Whether a message is one of debug mode's DEBUG/INFO lines, or holds a
/// marker of one (a record of one line either way: [`parse`] decides).
pub fn is_debug_line(msg: &str) -> bool {
    static ANY: crate::text::Literals = crate::text::Literals::new(&ALL);
    static EXECUTING: crate::text::First = crate::text::First::new("Executing ");
    // The one literal first: most records of a log in trouble are slow
    // callbacks, and the marker search is the longer one.
    !EXECUTING.is_in(msg) && ANY.any_in(msg)
}

/// [`MARKERS`] and [`REPR_MARKERS`], for one search.
const ALL: [&str; MARKERS.len() + REPR_MARKERS.len()] =
    crate::text::joined(&[MARKERS, REPR_MARKERS]);

/// The words of an [`AFTER_REPR`] line: `<…> words`, the `<…>` one repr.
fn after_repr(msg: &str) -> Option<&'static str> {
    let msg = msg.trim_end();
    if !msg.starts_with('<') {
        return None;
    }
    AFTER_REPR.iter().find_map(|&(words, ends)| {
        let at = if ends {
            msg.strip_suffix(words)?.len()
        } else {
            msg.find(words)?
        };
        one_repr(msg[..at].strip_suffix(' ')?).then_some(words.trim_end())
    })
}

/// Whether `s` is one `<…>`, nested reprs inside: the first `<` is closed
/// by the last byte and by no byte before it.
fn one_repr(s: &str) -> bool {
    let mut depth = 0usize;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'<' => depth += 1,
            b'>' => {
                depth = match depth.checked_sub(1) {
                    Some(d) => d,
                    None => return false,
                };
                if depth == 0 {
                    return i + 1 == s.len();
                }
            }
            _ => {}
        }
    }
    false
}

/// A debug line's marker (or, for an [`AFTER_REPR`] line, its words), or why
/// a lookalike is not one; `None` when the line is not a debug line.
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
    if let Some(m) = MARKERS.iter().find(|m| first.contains(*m)) {
        return Some(Ok(m.trim().to_string()));
    }
    if let Some(words) = after_repr(first) {
        return Some(Ok(words.to_string()));
    }
    REPR_MARKERS.iter().any(|m| first.contains(m)).then(|| {
        Err(Unrecognized {
            reason: "not one of asyncio's `<…> is serving`, `<…> pauses reading`, … lines".into(),
            not_asyncio: true,
        })
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{parse_record, Parsed};

    #[test]
    fn repr_lines_are_debug_lines_only_in_their_shape() {
        // From samples/flow_control.log (CPython 3.11.7), abridged reprs.
        for (line, words) in [
            ("<Server sockets=(<asyncio.TransportSocket fd=6, family=2, type=1, proto=6, laddr=('127.0.0.1', 42285)>,)> is serving", "is serving"),
            ("<asyncio.TransportSocket fd=7, family=2, type=1, proto=6> connected to 127.0.0.1:42285: (<_SelectorSocketTransport fd=7 read=polling write=<idle, bufsize=0>>, <asyncio.streams.StreamReaderProtocol object at 0x7f4f2b705cd0>)", "connected to"),
            ("<_SelectorSocketTransport fd=8 read=idle write=<idle, bufsize=0>> pauses reading", "pauses reading"),
            ("<_SelectorSocketTransport fd=8 read=polling write=<idle, bufsize=0>> resumes reading", "resumes reading"),
            ("<asyncio.streams.StreamReaderProtocol object at 0x7f4f2b705cd0> pauses writing", "pauses writing"),
            ("<asyncio.streams.StreamReaderProtocol object at 0x7f4f2b705cd0> resumes writing", "resumes writing"),
            ("<_SelectorSocketTransport fd=7 read=polling write=<idle, bufsize=0>> received EOF", "received EOF"),
            // Derived from FORMATS.md §3.6's templates.
            ("<_UnixReadPipeTransport fd=7 polling> was closed by peer", "was closed by peer"),
            ("<asyncio.sslproto.SSLProtocol object at 0x7f2> starts SSL handshake", "starts SSL handshake"),
        ] {
            assert!(is_debug_line(line), "{line}");
            assert!(crate::scan::Scanner::new().is_hit(line.as_bytes()), "{line}");
            match parse_record(line) {
                Ok(Parsed::DebugLine(w)) => assert_eq!(w, words, "{line}"),
                other => panic!("{line}: {other:?}"),
            }
        }
        // The same words in application text are application lines.
        for line in [
            "GC pauses reading the heap for 12 ms",
            "replica resumes writing after failover",
            "pool is serving 12 clients",
            "proxy -> connected to 10.0.0.7:5432",
            "<b>Welcome</b> connected to chat",
            "upstream received EOF early",
            "<worker 3> pauses reading, queue full",
        ] {
            let e = parse_record(line).unwrap_err();
            assert!(e.not_asyncio, "{line}: {e:?}");
        }
    }
}

//! What a line of a record looks like: indented, a `key: value` line, an
//! exception line, the end of a slow-callback line.

pub(super) fn strip_indent(s: &str, n: usize) -> &str {
    let ws = s.bytes().take_while(|&b| b == b' ' || b == b'\t').count();
    &s[ws.min(n)..]
}

pub(super) fn is_indented(line: &str) -> bool {
    line.starts_with("  ") || line.starts_with('\t')
}

/// ` took 0.123 seconds` at the end, or before the words of a line that
/// quotes the record (`… seconds' in caplog.text`, `… seconds (skipped)`).
pub fn is_slow_complete(s: &str) -> bool {
    slow_duration(s).is_some()
}

/// The last `took N seconds` of a slow-callback line: where `took`
/// starts, and the number.
pub fn slow_duration(s: &str) -> Option<(usize, &str)> {
    // Each `took ` from the last back, as `rmatch_indices` (the word cannot
    // overlap itself), with a searcher built once.
    static TOOK: crate::text::Last = crate::text::Last::new("took ");
    let mut end = s.len();
    std::iter::from_fn(|| {
        let at = TOOK.in_(&s[..end])?;
        end = at;
        Some(at)
    })
    .find_map(|at| {
        if at > 0 && !s[..at].ends_with(' ') {
            return None;
        }
        let rest = &s[at + "took ".len()..];
        let n = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let after = rest[n..].strip_prefix(" seconds")?;
        // The word ends there: `seconds` and not `secondsX`.
        let ends = after
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric() && c != '_');
        (n > 0 && ends).then(|| (at, &rest[..n]))
    })
}

/// `task: <…>`, `source_traceback: Object created at …`: a lowercase key at
/// the start of the line.
pub(super) fn is_key_line(t: &str) -> bool {
    static COLON: crate::text::First = crate::text::First::new(": ");
    let Some(colon) = COLON.in_(t) else {
        return false;
    };
    CONTEXT_KEYS.contains(&&t[..colon])
}

/// The keys of the context dicts that asyncio's default exception handler
/// prints (FORMATS.md §3.2), and those aiohttp's messages add. Only these
/// continue a record: an application line such as `service: stopping` must
/// not be swallowed.
const CONTEXT_KEYS: &[&str] = &[
    "task",
    "future",
    "handle",
    "source_traceback",
    "handle_traceback",
    "protocol",
    "transport",
    "context",
    "asyncgen",
    "socket",
    "sock",
    "exception",
    "message",
    "client_session",
    "connector",
    "connections",
    "client_connection",
];

/// `ValueError: text`, `asyncio.exceptions.CancelledError`,
/// `concurrent.futures._base.CancelledError`: a dotted class name whose last
/// part names an exception, optionally followed by `: text`.
pub fn is_exception_line(t: &str) -> bool {
    // One pass over the name (the text before the first `:`), which ends
    // at the first byte no name holds: most lines are rejected at their
    // first space or quote.
    let b = t.as_bytes();
    let (mut i, mut part) = (0, 0);
    while i < b.len() && b[i] != b':' {
        match b[i] {
            b'.' if i > part => part = i + 1,
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                if i == part && c.is_ascii_digit() {
                    return false;
                }
            }
            _ => return false,
        }
        i += 1;
    }
    if i == part {
        // Empty, or an empty last part.
        return false;
    }
    let last = &t[part..i];
    last.as_bytes()[0].is_ascii_uppercase() && EXCEPTION_ENDINGS.iter().any(|s| last.ends_with(s))
}

/// How the last part of an exception's class name ends.
const EXCEPTION_ENDINGS: &[&str] = &[
    "Error",
    "Exception",
    "Warning",
    "Exit",
    "Interrupt",
    "Group",
    "Cancelled",
    "Timeout",
    "Iteration",
];

/// Opening minus closing angle brackets.
pub(super) fn angle_balance(s: &str) -> i32 {
    s.bytes().fold(0, |n, b| match b {
        b'<' => n + 1,
        b'>' => n - 1,
        _ => n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `is_exception_line` as it read before its one-pass form: the name
    /// split at `:` and at `.`.
    fn is_exception_line_by_splits(t: &str) -> bool {
        let name = t.split_once(':').map_or(t, |(n, _)| n);
        if name.is_empty() || name.contains(' ') {
            return false;
        }
        let last = name.rsplit('.').next().unwrap_or(name);
        let valid = name.split('.').all(|part| {
            !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !part.as_bytes()[0].is_ascii_digit()
        });
        valid
            && last.as_bytes()[0].is_ascii_uppercase()
            && EXCEPTION_ENDINGS.iter().any(|s| last.ends_with(s))
    }

    #[test]
    fn exception_lines_read_in_one_pass_as_by_splits() {
        let mut lines = crate::text::project_lines();
        lines.extend(
            [
                "",
                ":",
                ".",
                "a.",
                ".Error",
                "x..ValueError",
                "9Error",
                "a.9Error: x",
                "ValueError",
                "ValueError:",
                "asyncio.exceptions.CancelledError",
                "Value Error: x",
                "KeyError: 'k'",
                "valueError",
                "Ünicode Error",
                "ExceptionGroup: 2 errors",
                "a_b.C_Error",
            ]
            .map(String::from),
        );
        let mut exceptions = 0;
        for line in &lines {
            let t = line.trim();
            assert_eq!(
                is_exception_line(t),
                is_exception_line_by_splits(t),
                "{t:?}"
            );
            exceptions += is_exception_line(t) as usize;
        }
        assert!(exceptions > 100, "{exceptions} exception lines");
    }

    #[test]
    fn the_duration_is_the_last_took_that_reads_as_one() {
        assert_eq!(
            slow_duration("Executing <Handle f()> took 0.150 seconds"),
            Some((23, "0.150"))
        );
        assert_eq!(
            slow_duration("took 0.2 seconds; took nothing"),
            Some((0, "0.2"))
        );
        assert_eq!(
            slow_duration("a took 1 s took 0.3 seconds x"),
            Some((11, "0.3"))
        );
        assert_eq!(slow_duration("xtook 0.2 seconds"), None);
        assert_eq!(slow_duration("took 0.2 secondsX"), None);
        assert_eq!(slow_duration("took  seconds"), None);
    }

    #[test]
    fn slow_completion() {
        assert!(is_slow_complete(
            "Executing <Handle f()> took 0.150 seconds"
        ));
        assert!(is_slow_complete("took 1.001 seconds"));
        assert!(!is_slow_complete(
            "Executing Handle(<function f at 0x1>, ()) "
        ));
        assert!(!is_slow_complete("it took seconds"));
        // A line that quotes the record goes on after the duration.
        assert!(is_slow_complete(
            "assert 'Executing <Handle f()> took 0.150 seconds' in caplog.text"
        ));
        assert!(!is_slow_complete("overtook 1.0 seconds"));
        assert!(!is_slow_complete("took 1.0 secondsx"));
        // A multi-byte character right before the number (found by fuzzing).
        assert!(!is_slow_complete("took i1\u{fffd}001 seconds"));
        assert!(is_slow_complete(
            "Executing <Handle é()> took 1.001 seconds"
        ));
    }

    #[test]
    fn exception_lines() {
        assert!(is_exception_line(
            "ConnectionError: inventory service unreachable"
        ));
        assert!(is_exception_line("concurrent.futures._base.CancelledError"));
        assert!(is_exception_line(
            "KeyError: <QSelectorEventLoop running=True>"
        ));
        assert!(!is_exception_line("request 0 done"));
        assert!(!is_exception_line("Done"));
        assert!(!is_exception_line("GET /orders: Error"));
    }

    #[test]
    fn key_lines() {
        assert!(is_key_line("task: <Task pending name='Task-2'>"));
        assert!(is_key_line(
            "source_traceback: Object created at (most recent call last):"
        ));
        assert!(!is_key_line("Task: x"));
        assert!(!is_key_line("service: stopping"));
        assert!(!is_key_line("no colon"));
    }
}

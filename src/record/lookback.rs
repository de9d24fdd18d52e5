//! The lines before a record that belong to it: the traceback printed
//! before an exception line, pytest's list of the tests that raised a
//! summarized warning.

/// At most this many lines are looked back for a traceback.
pub const MAX_LOOKBACK: usize = 200;

/// The traceback that ends just before an exception line, from the lines
/// before it, nearest first: indented lines (frames, source lines, carets)
/// up to `Traceback (most recent call last):`, and the `Exception in
/// thread NAME:` line above it when there is one. Returned in reading
/// order; empty when the lines before are not a traceback.
pub fn traceback_before<'a>(nearest_first: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<&str> = Vec::new();
    let mut found = false;
    let mut it = nearest_first.take(MAX_LOOKBACK);
    for line in it.by_ref() {
        let t = crate::text::trim_start(line);
        if t.starts_with("Traceback (most recent call last):") {
            v.push(line);
            found = true;
            break;
        }
        if !super::is_indented(line) || t.is_empty() {
            break;
        }
        v.push(line);
    }
    if !found {
        return Vec::new();
    }
    if let Some(prev) = it.next() {
        // It may follow a partial line of stdout on the same line.
        if let Some(i) = prev.find("Exception in thread ") {
            v.push(&prev[i..]);
        }
    }
    v.into_iter().rev().map(str::to_string).collect()
}

/// How many occurrences pytest's warnings summary counts for the warning
/// below the lines given (nearest first): pytest prints each distinct
/// warning once, indented by two spaces, under the tests that raised it,
/// one test id per line (`test_orders.py::test_one`), or a count per module
/// when there are many (`test_many.py: 12 warnings`). `None` when the lines
/// above are not such a list.
pub fn pytest_summary_count<'a>(nearest_first: impl Iterator<Item = &'a str>) -> Option<u64> {
    let mut n = 0u64;
    for line in nearest_first.take(MAX_LOOKBACK) {
        let t = line.trim_end();
        if t.is_empty() || t.starts_with(' ') || t.starts_with('\t') {
            break;
        }
        if let Some(count) = t
            .strip_suffix(" warnings")
            .or_else(|| t.strip_suffix(" warning"))
            .and_then(|r| r.rsplit_once(": "))
            .and_then(|(_, c)| c.parse::<u64>().ok())
        {
            n += count;
        } else if t.contains("::") && !t.contains(' ') {
            n += 1;
        } else {
            break;
        }
    }
    (n > 0).then_some(n)
}

/// Whether a record's first line is a warning as pytest's warnings summary
/// prints it: `  path:N: Category: message`, indented by two spaces.
pub fn is_pytest_summary_warning(line: &str) -> bool {
    line.starts_with("  ") && !line.starts_with("   ") && line.contains("Warning: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceback_before_an_exception_line() {
        let before = [
            "    raise RuntimeError(",
            "  File \"/x/base_events.py\", line 800, in _check_thread",
            "    loop.call_soon(f)",
            "  File \"/app/w.py\", line 3, in work",
            "Traceback (most recent call last):",
            "done 1Exception in thread worker:",
            "earlier",
        ];
        let tb = traceback_before(before.iter().copied());
        assert_eq!(tb.len(), 6);
        assert_eq!(tb[0], "Exception in thread worker:");
        assert_eq!(tb[1], "Traceback (most recent call last):");
        assert_eq!(tb[5], "    raise RuntimeError(");
        // Not a traceback: an application line comes first.
        assert!(
            traceback_before(["GET / 200", "Traceback (most recent call last):"].into_iter())
                .is_empty()
        );
        // No header within reach.
        assert!(traceback_before(["  File \"/app/w.py\", line 3, in f"].into_iter()).is_empty());
    }
}

//! Request and trace ids in a finding's context lines.

use crate::text::Lines;

/// Request and trace ids in context lines: `request_id=…`, `"trace_id": "…"`,
/// `rid=…`, `correlation_id=…` (and the same with dashes), at most eight.
pub fn request_ids<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut ids = Vec::new();
    each_request_id(lines, |id| ids.push(id.to_string()));
    ids
}

/// Each of [`request_ids`]'s ids, in its order, borrowed from the lines.
pub fn each_request_id<'a>(lines: impl Iterator<Item = &'a str>, each: impl FnMut(&'a str)) {
    let mut found = Found::new(each);
    for l in lines {
        found.scan(l, false);
    }
}

/// [`each_request_id`] over lines kept together ([`Lines`]), one after
/// the other: a joined text is read at once, as its lines would be.
pub fn each_request_id_in<'a>(parts: [&'a Lines; 2], each: impl FnMut(&'a str)) {
    let mut found = Found::new(each);
    for part in parts {
        match part {
            Lines::Joined { text, n } if *n > 0 => found.scan(text, true),
            Lines::Joined { .. } => {}
            Lines::Each(lines) => lines.iter().for_each(|l| found.scan(l, false)),
        }
    }
}

/// The ids found so far, at most eight distinct, each passed on once.
struct Found<'a, F> {
    ids: [&'a str; 8],
    n: usize,
    each: F,
}

impl<'a, F: FnMut(&'a str)> Found<'a, F> {
    fn new(each: F) -> Self {
        Found {
            ids: [""; 8],
            n: 0,
            each,
        }
    }

    fn keep(&mut self, id: &'a str) {
        if self.n < self.ids.len() && !self.ids[..self.n].contains(&id) {
            self.ids[self.n] = id;
            self.n += 1;
            (self.each)(id);
        }
    }

    /// One line, or (`joined`) lines joined with `\n`, read as each line
    /// would be: no match spans a newline there.
    fn scan(&mut self, l: &'a str, joined: bool) {
        // Every spelling the regex knows holds an `id` in some case.
        let b = l.as_bytes();
        let Some(first) = next_id(b, 0) else {
            return;
        };
        if l.is_ascii() {
            ascii_ids_from(l, first, !joined, |id| self.keep(id));
        } else if joined {
            l.split('\n').for_each(|line| self.scan(line, false));
        } else {
            // Outside ASCII the regex's Unicode classes and case folding
            // decide. The match alone (the lazy DFA, without the capture
            // engines): the id is what follows its first `:` or `=` (the
            // names hold neither), the spaces and the quote after it.
            for m in id_pattern().find_iter(l) {
                self.keep(id_of_match(m.as_str()));
            }
        }
    }
}

/// The ids that [`id_pattern`] finds in an ASCII line, in its order,
/// without the regex: every name ends in `id`, so each is found from an
/// `id` and read back to its start, then forward to the id.
#[cfg(test)]
pub(super) fn ascii_ids<'l>(l: &'l str, each: impl FnMut(&'l str)) {
    ascii_ids_from(l, 0, true, each);
}

/// [`ascii_ids`], given that the line holds no `id` before `first`. With
/// `newline_is_space` false, `l` is lines joined with `\n`, each read
/// as a line of its own: a newline ends a match as the line's end would
/// (the names and ids hold none; only the regex's `\s` would take one).
fn ascii_ids_from<'l>(
    l: &'l str,
    first: usize,
    newline_is_space: bool,
    mut each: impl FnMut(&'l str),
) {
    let b = l.as_bytes();
    // Where the next match may start (after the last one's end), and where
    // to look for the next `id`.
    let (mut from, mut at) = (0, first);
    while let Some(q) = next_id(b, at) {
        at = q + 1;
        if !has_name_before(b, from, q) {
            continue;
        }
        if let Some((start, end)) = id_after(b, q + 2, newline_is_space) {
            each(&l[start..end]);
            from = end;
            at = end;
        }
    }
}

/// Where the next `id`, in any case, starts at or after `from`: the
/// first `q` with `b[q]` `i` or `I` and `b[q + 1]` `d` or `D`.
///
/// Text has an `i` every twenty bytes or so, and `memchr2` for it stopped
/// at each; this looks for the pair, 16 places at a time with SSE2 (part of
/// every x86_64 processor), the last few places a byte at a time.
pub(super) fn next_id(b: &[u8], from: usize) -> Option<usize> {
    #[allow(unused_mut)]
    let mut q = from;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8,
        };
        // SAFETY: SSE2 is in x86_64's baseline; the loads read the 16
        // bytes at `q` and at `q + 1`, and `q + 17 <= b.len()`.
        unsafe {
            let case = _mm_set1_epi8(0x20);
            let (i, d) = (_mm_set1_epi8(b'i' as i8), _mm_set1_epi8(b'd' as i8));
            while q + 17 <= b.len() {
                let v = _mm_loadu_si128(b.as_ptr().add(q) as *const __m128i);
                let w = _mm_loadu_si128(b.as_ptr().add(q + 1) as *const __m128i);
                // Only `I` and `i` become `i` with 0x20 set, `D` and `d` `d`.
                let pair = _mm_and_si128(
                    _mm_cmpeq_epi8(_mm_or_si128(v, case), i),
                    _mm_cmpeq_epi8(_mm_or_si128(w, case), d),
                );
                let m = _mm_movemask_epi8(pair);
                if m != 0 {
                    return Some(q + m.trailing_zeros() as usize);
                }
                q += 16;
            }
        }
    }
    next_id_bytes(b, q)
}

/// [`next_id`] a byte at a time: the tail, other architectures, and the
/// tests' reference.
pub(super) fn next_id_bytes(b: &[u8], from: usize) -> Option<usize> {
    (from..b.len().saturating_sub(1)).find(|&q| b[q] | 0x20 == b'i' && b[q + 1] | 0x20 == b'd')
}

/// Whether a name of [`id_pattern`] (`request_id`, `rid`, `x-request-id`,
/// …, in any case) ends with the `id` at `q`, starting at or after `from`
/// and at a word boundary.
fn has_name_before(b: &[u8], from: usize, q: usize) -> bool {
    const BEFORE_ID: &[&[u8]] = &[
        b"x-request-",
        b"request_",
        b"request-",
        b"request",
        b"trace_",
        b"trace-",
        b"trace",
        b"correlation_",
        b"correlation-",
        b"correlation",
        b"r",
    ];
    let before = &b[from..q];
    // Every name ends in one of these bytes: an `id` after any other (a
    // space, `=`) is no name's.
    if !before.last().is_some_and(|c| {
        matches!(
            c.to_ascii_lowercase(),
            b'-' | b'_' | b't' | b'e' | b'n' | b'r'
        )
    }) {
        return false;
    }
    BEFORE_ID.iter().any(|w| {
        before.len() >= w.len() && before[before.len() - w.len()..].eq_ignore_ascii_case(w) && {
            let p = q - w.len();
            p == 0 || !(b[p - 1].is_ascii_alphanumeric() || b[p - 1] == b'_')
        }
    })
}

/// After a name, at `j`: `["']?\s*[:=]\s*["']?` and the id
/// (`[A-Za-z0-9][A-Za-z0-9._:-]{2,63}`), its start and end.
fn id_after(b: &[u8], mut j: usize, newline_is_space: bool) -> Option<(usize, usize)> {
    let at = |j: usize| b.get(j).copied();
    let space = |c: Option<u8>| {
        matches!(c, Some(b'\t'..=b'\r' | b' ')) && (newline_is_space || c != Some(b'\n'))
    };
    let quote = |c: Option<u8>| matches!(c, Some(b'"' | b'\''));
    j += quote(at(j)) as usize;
    while space(at(j)) {
        j += 1;
    }
    if !matches!(at(j), Some(b':' | b'=')) {
        return None;
    }
    j += 1;
    while space(at(j)) {
        j += 1;
    }
    j += quote(at(j)) as usize;
    let start = j;
    if !at(j).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    j += 1;
    let rest = b[j..]
        .iter()
        .take(63)
        .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'-'))
        .count();
    (rest >= 2).then_some((start, j + rest))
}

/// The pattern of a request or trace id; group 1 is the id.
pub(super) fn id_pattern() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r#"(?i)\b(?:request[_-]?id|trace[_-]?id|rid|correlation[_-]?id|x-request-id)["']?\s*[:=]\s*["']?([A-Za-z0-9][A-Za-z0-9._:-]{2,63})"#,
        )
        .expect("valid regex")
    })
}

/// The id in a match of [`id_pattern`]: what its group 1 holds.
pub(super) fn id_of_match(m: &str) -> &str {
    let sep = m.find([':', '=']).map_or(0, |i| i + 1);
    let rest = m[sep..].trim_start_matches(char::is_whitespace);
    rest.strip_prefix(['"', '\'']).unwrap_or(rest)
}

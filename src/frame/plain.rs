//! Whether a line needs no cleaning at all, in one pass.
//!
//! Nearly every line [`super::clean_line`] sees is printable ASCII with no
//! colour code in it. Its full path makes four passes over such a line
//! (control bytes, `[`, the visible escapes' letters, UTF-8), each a
//! `memchr` or `is_ascii` call whose set-up costs more than the short line
//! itself. [`plain`] answers for all four at once, 16 bytes at a time: a
//! line it passes is one the full path returns unchanged, borrowed, with no
//! flag set (the tests compare the two on every line of the project's logs
//! and on random bytes).

use super::VISIBLE_ESCAPES;

/// Whether `raw` is printable ASCII (no byte below `0x20`, so no `\r`, NUL
/// or ESC, and none of `0x80` and above, so no multi-byte character) with no
/// `[` after a byte that comes just before the `[` of a visible escape's
/// introducer (`C` of `ESC[`, `[` of `^[[`, `b` of `\x1b[`, …). Tabs are not printable
/// here: a line with one takes the full path, which keeps it.
pub(super) fn plain(raw: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if raw.len() >= 16 {
        return plain_sse2(raw);
    }
    plain_bytes(raw)
}

/// Whether the `[` at `at` may end a visible escape's introducer.
fn escape_before(raw: &[u8], at: usize) -> bool {
    at > 0
        && VISIBLE_ESCAPES
            .iter()
            .any(|e| e[e.len() - 2] == raw[at - 1])
}

/// [`plain`], a byte at a time: short lines, other architectures, and the
/// tests' reference.
fn plain_bytes(raw: &[u8]) -> bool {
    raw.iter()
        .enumerate()
        .all(|(i, &b)| (0x20..0x80).contains(&b) && (b != b'[' || !escape_before(raw, i)))
}

/// [`plain`] for lines of 16 bytes or more, with SSE2 (part of every x86_64
/// processor, so no detection is needed). The last block overlaps the one
/// before it rather than being read byte by byte: a byte checked twice gives
/// the same answer.
#[cfg(target_arch = "x86_64")]
fn plain_sse2(raw: &[u8]) -> bool {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    debug_assert!(raw.len() >= 16);
    // SAFETY: SSE2 is in x86_64's baseline; every load reads the 16 bytes
    // at `at`, and `at + 16 <= raw.len()`.
    unsafe {
        let space = _mm_set1_epi8(0x20);
        let bracket = _mm_set1_epi8(b'[' as i8);
        let block = |at: usize| -> bool {
            let v = _mm_loadu_si128(raw.as_ptr().add(at) as *const __m128i);
            // Signed: bytes of 0x80 and above are negative, below 0x20 too.
            if _mm_movemask_epi8(_mm_cmplt_epi8(v, space)) != 0 {
                return false;
            }
            let mut brackets = _mm_movemask_epi8(_mm_cmpeq_epi8(v, bracket)) as u32;
            while brackets != 0 {
                if escape_before(raw, at + brackets.trailing_zeros() as usize) {
                    return false;
                }
                brackets &= brackets - 1;
            }
            true
        };
        let last = raw.len() - 16;
        let mut at = 0;
        while at < last {
            if !block(at) {
                return false;
            }
            at += 16;
        }
        block(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), for random lines.
    fn bytes(seed: &mut u64, alphabet: &[u8], len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                alphabet[(*seed % alphabet.len() as u64) as usize]
            })
            .collect()
    }

    #[test]
    fn plain_agrees_with_the_byte_reference_and_with_the_full_path() {
        let mut lines: Vec<Vec<u8>> = crate::text::project_lines()
            .into_iter()
            .map(String::into_bytes)
            .collect();
        // Random lines over the bytes that matter, at every length around
        // the 16-byte blocks, with the odd byte at every place.
        let alphabet = b"ab [C^\\eb3B]x\x1b\r\x00\t\x7f\xc3\xa9\xff";
        let mut seed = 0x9e37_79b9_7f4a_7c15;
        for len in 0..70 {
            for _ in 0..200 {
                lines.push(bytes(&mut seed, alphabet, len));
            }
            for odd in [b'\r', 0x1b, 0xc3, b'['] {
                for at in 0..len {
                    let mut l = vec![b'a'; len];
                    l[at] = odd;
                    if at > 0 && odd == b'[' {
                        l[at - 1] = b'C';
                    }
                    lines.push(l);
                }
            }
        }
        let mut passed = 0;
        for l in &lines {
            assert_eq!(plain(l), plain_bytes(l), "{:?}", String::from_utf8_lossy(l));
            if plain(l) {
                passed += 1;
                let full = super::super::clean_full(l, usize::MAX);
                assert!(
                    matches!(full.text, std::borrow::Cow::Borrowed(t) if t.as_bytes() == &l[..]),
                    "{l:?}"
                );
                assert!(!full.invalid_utf8 && !full.truncated);
            }
        }
        assert!(passed > 10_000, "{passed} plain lines");
        assert!(
            lines.len() - passed > 10_000,
            "{} not plain",
            lines.len() - passed
        );
    }

    #[test]
    fn what_needs_cleaning_is_not_plain() {
        for l in [
            "WARNING:asyncio:Executing <Task> took 0.2 seconds\r",
            "\x1b[33mWARNING\x1b[0m:asyncio:a longer line here",
            "a line long enough with ESC[0m in its middle",
            "a line long enough with ^[[0m in its middle",
            "a line long enough with \\x1b[0m in its middle",
            "a line, long enough, in é UTF-8 characters",
            "a line long enough with a\ttab",
        ] {
            assert!(!plain(l.as_bytes()), "{l:?}");
        }
        for l in [
            "",
            "[2024-05-01 12:00:00] INFO [pid 12] items=[1, 2, 3]",
            "Executing <Task pending name='Task-7' coro=<handler() running at /app/api.py:88>> took 1.204 seconds",
        ] {
            assert!(plain(l.as_bytes()), "{l:?}");
        }
    }
}

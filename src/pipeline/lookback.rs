//! The look-back ring: the last lines of an input, for the context before a
//! record (`-B`) and for the traceback printed before an exception line that
//! ends one.

use std::borrow::Cow;
use std::collections::VecDeque;

use crate::frame::clean_line;
use crate::scan::Scanner;
use crate::text::Lines;

/// The last lines before the current block, cleaned and cut.
#[derive(Debug)]
pub struct Lookback {
    ring: VecDeque<String>,
    size: usize,
    max_line: usize,
}

impl Lookback {
    /// A ring for `before` context lines and the longest traceback looked
    /// back on ([`crate::record::MAX_LOOKBACK`]).
    pub fn new(before: usize, max_line: usize) -> Lookback {
        Lookback {
            ring: VecDeque::new(),
            size: before.max(crate::record::MAX_LOOKBACK),
            max_line,
        }
    }

    /// Keeps one line.
    pub fn remember(&mut self, line: &[u8]) {
        if self.ring.len() >= self.size {
            self.ring.pop_front();
        }
        self.ring.push_back(context_line(line, self.max_line));
    }

    /// Keeps the last lines of a block of complete lines, for a record that
    /// starts in the next one.
    pub fn remember_tail(&mut self, block: &[u8]) {
        let mut end = block.len();
        let mut last = Vec::new();
        while last.len() < self.size && end > 0 {
            let line_end = end - 1;
            let line_start = memchr::memrchr(b'\n', &block[..line_end]).map_or(0, |i| i + 1);
            last.push(&block[line_start..line_end]);
            end = line_start;
        }
        for l in last.into_iter().rev() {
            self.remember(l);
        }
    }

    /// Up to `want` lines before a line at `at` (or, without a block, at
    /// the current position), nearest first.
    pub fn lines_before(&self, at: Option<BlockAt<'_>>, want: usize) -> Vec<String> {
        self.walk_before(at, want)
            .into_iter()
            .map(|(l, _)| l.into_owned())
            .collect()
    }

    /// The context lines before a record: up to `want` lines that hold no
    /// asyncio marker and may come from the record's process `pid`,
    /// nearest last. A line the block search has already read
    /// ([`BlockAt::searched_from`]) and cleaning left as it was needs no
    /// search of its own.
    pub fn context_before(
        &self,
        at: Option<BlockAt<'_>>,
        want: usize,
        scanner: &Scanner,
        pid: Option<&str>,
    ) -> Lines {
        let v = self.walk_before(at, want);
        // One string for them all: the lines are read borrowed.
        let mut lines = Lines::with_capacity(v.iter().map(|(l, _)| l.len() + 1).sum());
        for (l, free) in v.iter().rev() {
            if (*free || !scanner.is_hit(l.as_bytes())) && same_process(pid, l) {
                lines.push(l);
            }
        }
        lines
    }

    /// Up to `want` lines before `at`, nearest first, each cleaned and cut,
    /// with whether it is known to hold no marker: the block's lines, then
    /// the ring's.
    fn walk_before<'a>(
        &'a self,
        at: Option<BlockAt<'a>>,
        want: usize,
    ) -> Vec<(Cow<'a, str>, bool)> {
        let mut v: Vec<(Cow<'a, str>, bool)> = Vec::with_capacity(want);
        if let Some(BlockAt {
            block,
            start,
            searched_from,
        }) = at
        {
            let mut end = start;
            while v.len() < want && end > 0 {
                let line_end = end - 1;
                let line_start = memchr::memrchr(b'\n', &block[..line_end]).map_or(0, |i| i + 1);
                let (text, unchanged) = cleaned(&block[line_start..line_end], self.max_line);
                v.push((text, unchanged && line_start >= searched_from));
                end = line_start;
            }
        }
        let need = want.saturating_sub(v.len());
        v.extend(
            self.ring
                .iter()
                .rev()
                .take(need)
                .map(|l| (Cow::Borrowed(l.as_str()), false)),
        );
        v
    }
}

/// Where a line read in full lies in the block being read.
#[derive(Debug, Clone, Copy)]
pub struct BlockAt<'b> {
    /// The block.
    pub block: &'b [u8],
    /// The line's start in it.
    pub start: usize,
    /// Where the block search began that found the next marker at or after
    /// this line: the lines from there to this one hold none.
    pub searched_from: usize,
}

/// Whether a context line may come from the record's process `pid`: it
/// names no process, or the same one.
///
/// Cheap on purpose (it runs for every context line): the process id of a
/// line is its first `[digits]`, as the timestamped formats, gunicorn and
/// journald write it.
pub fn same_process(pid: Option<&str>, line: &str) -> bool {
    match pid {
        None => true,
        Some(pid) => bracketed_number(line).is_none_or(|p| p == pid),
    }
}

/// The first `[digits]` of a line.
fn bracketed_number(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'[', &b[from..]) {
        let start = from + i + 1;
        let digits = b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 && b.get(start + digits) == Some(&b']') {
            return Some(&line[start..start + digits]);
        }
        from = start;
    }
    None
}

/// A context line as kept: cleaned, and cut at 500 characters.
fn context_line(raw: &[u8], max: usize) -> String {
    cleaned(raw, max).0.into_owned()
}

/// [`context_line`], borrowed from `raw` when cleaning changed nothing,
/// and whether it did (the cut keeps a prefix of the bytes).
fn cleaned(raw: &[u8], max: usize) -> (Cow<'_, str>, bool) {
    let clean = clean_line(raw, max.min(2000));
    let unchanged = !clean.truncated && matches!(clean.text, Cow::Borrowed(_));
    let text = clean.text;
    if text.len() <= 500 {
        return (text, unchanged);
    }
    let cut = match text.char_indices().nth(500) {
        Some((i, _)) => match text {
            Cow::Borrowed(t) => Cow::Borrowed(&t[..i]),
            Cow::Owned(t) => Cow::Owned(t[..i].to_string()),
        },
        None => text,
    };
    (cut, unchanged)
}

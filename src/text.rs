//! English for counts and ranges, the same in every renderer and message:
//! `1 finding`, `2 findings`; `line 22`, `lines 22–25`. And [`Literals`], a
//! fixed set of words searched for in one pass.

use std::sync::OnceLock;

/// A fixed set of literals searched for at once, by the SIMD searcher the
/// block search uses (Teddy), built on first use: the per-record checks
/// "does this text hold any of these" cost one pass instead of one
/// searcher built per literal per call, as `str::contains` does.
pub struct Literals {
    words: &'static [&'static str],
    searcher: OnceLock<Searcher>,
}

/// Teddy where the CPU has it, else one prebuilt finder per word.
enum Searcher {
    Packed(aho_corasick::packed::Searcher),
    Each(Vec<memchr::memmem::Finder<'static>>),
}

impl Literals {
    /// The set of `words`.
    pub const fn new(words: &'static [&'static str]) -> Literals {
        Literals {
            words,
            searcher: OnceLock::new(),
        }
    }

    /// Whether `text` holds any of the words.
    pub fn any_in(&self, text: &str) -> bool {
        let s = self.searcher.get_or_init(|| {
            match aho_corasick::packed::Config::new()
                .builder()
                .extend(self.words)
                .build()
            {
                Some(p) => Searcher::Packed(p),
                None => Searcher::Each(
                    self.words
                        .iter()
                        .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
                        .collect(),
                ),
            }
        });
        match s {
            Searcher::Packed(p) => p.find(text).is_some(),
            Searcher::Each(f) => f.iter().any(|f| f.find(text.as_bytes()).is_some()),
        }
    }
}

/// The lines of `text` as [`str::lines`] gives them (split at `\n`, a `\r`
/// before it removed, no empty line after a final `\n`), found with one
/// `memchr` per line: on a record's short lines, `str::lines`' searcher
/// costs several times more.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text).filter(|t| !t.is_empty());
    std::iter::from_fn(move || {
        let t = rest?;
        match memchr::memchr(b'\n', t.as_bytes()) {
            Some(i) => {
                rest = Some(&t[i + 1..]).filter(|r| !r.is_empty());
                let line = &t[..i];
                Some(line.strip_suffix('\r').unwrap_or(line))
            }
            None => {
                rest = None;
                Some(t)
            }
        }
    })
}

/// `str::trim_start`, with ASCII whitespace skipped byte by byte first:
/// the record parsers trim every line, nearly all of them indented with
/// spaces.
pub fn trim_start(s: &str) -> &str {
    let n = s
        .bytes()
        .take_while(|&b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .count();
    let rest = &s[n..];
    if rest.as_bytes().first().is_some_and(|&b| b >= 0x80) {
        // Unicode's other white space.
        rest.trim_start()
    } else {
        rest
    }
}

/// `std::str::from_utf8`, with ASCII (nearly every log line) told apart
/// first by the vectorized `is_ascii`.
pub fn utf8(b: &[u8]) -> Result<&str, std::str::Utf8Error> {
    if b.is_ascii() {
        // SAFETY: ASCII bytes are valid UTF-8.
        Ok(unsafe { std::str::from_utf8_unchecked(b) })
    } else {
        std::str::from_utf8(b)
    }
}

/// `str::trim_end`, with ASCII whitespace skipped byte by byte first (see
/// [`trim_start`]): every line added to a record is trimmed.
pub fn trim_end(s: &str) -> &str {
    let n = s
        .bytes()
        .rev()
        .take_while(|&b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .count();
    let rest = &s[..s.len() - n];
    if rest.as_bytes().last().is_some_and(|&b| b >= 0x80) {
        // Unicode's other white space.
        rest.trim_end()
    } else {
        rest
    }
}

/// The words of `parts`, one list after another, as one array: a word set
/// made of named lists, in a constant. `N` is their total length.
pub const fn joined<const N: usize>(parts: &[&[&'static str]]) -> [&'static str; N] {
    let mut all = [""; N];
    let (mut n, mut p) = (0, 0);
    while p < parts.len() {
        let mut i = 0;
        while i < parts[p].len() {
            all[n] = parts[p][i];
            n += 1;
            i += 1;
        }
        p += 1;
    }
    assert!(n == N, "N is the number of words");
    all
}

/// A literal searched for, its searcher built once: the kinds' checks of
/// a record's first line (`first.contains("Executing ")`), each run on
/// every record until one kind claims it, without building a two-way
/// searcher per call.
pub struct First {
    word: &'static str,
    finder: OnceLock<memchr::memmem::Finder<'static>>,
}

impl First {
    /// The literal `word`.
    pub const fn new(word: &'static str) -> First {
        First {
            word,
            finder: OnceLock::new(),
        }
    }

    /// Where the first `word` in `text` starts, as `text.find(word)`.
    pub fn in_(&self, text: &str) -> Option<usize> {
        self.finder
            .get_or_init(|| memchr::memmem::Finder::new(self.word.as_bytes()))
            .find(text.as_bytes())
    }

    /// Whether `text` holds `word`, as `text.contains(word)`.
    pub fn is_in(&self, text: &str) -> bool {
        self.in_(text).is_some()
    }
}

/// A literal searched for forwards by `memchr` of one of its bytes, each
/// place checked, rather than by [`First`]'s two-way searcher: for short
/// texts in which that byte is rare. A frame line's path, some thirty
/// bytes, ends at its first `"` followed by `, line`, and seldom holds a
/// quote; the searcher's set-up cost more than the search there.
pub struct FirstBy {
    word: &'static str,
    /// The index in `word` of the byte it is found by.
    anchor: usize,
}

impl FirstBy {
    /// The literal `word`, found by its byte at `anchor`.
    pub const fn new(word: &'static str, anchor: usize) -> FirstBy {
        assert!(anchor < word.len());
        FirstBy { word, anchor }
    }

    /// Where the first `word` in `text` starts, as `text.find(word)`.
    pub fn in_(&self, text: &str) -> Option<usize> {
        let (w, h) = (self.word.as_bytes(), text.as_bytes());
        // The anchor's places in order: the first whose word is there
        // starts the first occurrence.
        let mut from = self.anchor;
        while let Some(i) = h
            .get(from..)
            .and_then(|rest| memchr::memchr(w[self.anchor], rest))
        {
            let start = from + i - self.anchor;
            if h[start..].starts_with(w) {
                return Some(start);
            }
            from += i + 1;
        }
        None
    }
}

/// A literal searched for from the end: the record parsers' `rfind` of a
/// fixed word (` created at `, `) at `, `took `) on long reprs. Found by
/// its rarest byte (`memrchr`, vectorized), each place it occurs checked
/// from the nearest to the end back: the word is usually near the end, and
/// the reverse two-way searcher has no such prefilter.
pub struct Last {
    word: &'static str,
    /// The index in `word` of its rarest byte.
    anchor: usize,
}

/// Bytes of English text and code, commonest first: a word's rarest byte is
/// the one that comes last here (or not at all).
const COMMON_BYTES: &[u8] = b" etaoinsrhldcumfpgwybvkxjqz";

/// The index of `word`'s rarest byte by [`COMMON_BYTES`] (the first of
/// equals).
const fn rarest(word: &[u8]) -> usize {
    const fn rank(b: u8) -> usize {
        let mut i = 0;
        while i < COMMON_BYTES.len() {
            if COMMON_BYTES[i] == b {
                return i;
            }
            i += 1;
        }
        COMMON_BYTES.len()
    }
    let (mut best, mut i) = (0, 1);
    while i < word.len() {
        if rank(word[i]) > rank(word[best]) {
            best = i;
        }
        i += 1;
    }
    best
}

impl Last {
    /// The literal `word`.
    pub const fn new(word: &'static str) -> Last {
        assert!(!word.is_empty());
        Last {
            word,
            anchor: rarest(word.as_bytes()),
        }
    }

    /// The literal `word`, found by its byte at `anchor`: for a word
    /// whose rarest byte is common in what follows it, and a byte that
    /// is rare there. A repr's ` created at ` is followed by a path,
    /// which has many `c`s and seldom a space: by its last space, it is
    /// usually found at the first place looked at.
    pub const fn new_at(word: &'static str, anchor: usize) -> Last {
        assert!(anchor < word.len());
        Last { word, anchor }
    }

    /// Where the last `word` in `text` starts, as `text.rfind(word)`.
    pub fn in_(&self, text: &str) -> Option<usize> {
        let (w, h) = (self.word.as_bytes(), text.as_bytes());
        let mut end = h.len().checked_sub(w.len() - 1 - self.anchor)?;
        // The anchor's places from the end back: the first whose word is
        // there starts the last occurrence.
        while let Some(i) = memchr::memrchr(w[self.anchor], &h[..end]) {
            if let Some(start) = i.checked_sub(self.anchor) {
                if h[start..].starts_with(w) {
                    return Some(start);
                }
            }
            end = i;
        }
        None
    }
}

/// Lines kept together: a finding's context lines, in one string joined
/// with `\n` (one allocation however many lines), or, once a line holding
/// a newline of its own comes (a JSON message may), one string each.
#[derive(Debug, Clone)]
pub enum Lines {
    /// `n` lines, joined with `\n`.
    Joined {
        /// The lines.
        text: String,
        /// How many.
        n: usize,
    },
    /// One string a line.
    Each(Vec<String>),
}

impl Default for Lines {
    fn default() -> Lines {
        Lines::Joined {
            text: String::new(),
            n: 0,
        }
    }
}

impl PartialEq for Lines {
    fn eq(&self, other: &Lines) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Lines {
    /// No lines, with room for `bytes` of text.
    pub fn with_capacity(bytes: usize) -> Lines {
        Lines::Joined {
            text: String::with_capacity(bytes),
            n: 0,
        }
    }

    /// Adds a line at the end.
    pub fn push(&mut self, line: &str) {
        match self {
            Lines::Joined { text, n } if memchr::memchr(b'\n', line.as_bytes()).is_none() => {
                if *n > 0 {
                    text.push('\n');
                }
                text.push_str(line);
                *n += 1;
            }
            Lines::Joined { .. } => {
                let mut each = self.to_vec();
                each.push(line.to_string());
                *self = Lines::Each(each);
            }
            Lines::Each(each) => each.push(line.to_string()),
        }
    }

    /// How many lines.
    pub fn len(&self) -> usize {
        match self {
            Lines::Joined { n, .. } => *n,
            Lines::Each(each) => each.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lines, first to last.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &str> + Clone {
        let (joined, each) = match self {
            Lines::Joined { text, n } => ((*n > 0).then(|| text.split('\n')), &[][..]),
            Lines::Each(each) => (None, &each[..]),
        };
        joined
            .into_iter()
            .flatten()
            .chain(each.iter().map(String::as_str))
    }

    /// The first line.
    pub fn first(&self) -> Option<&str> {
        self.iter().next()
    }

    /// The last line.
    pub fn last(&self) -> Option<&str> {
        self.iter().next_back()
    }

    /// One string a line.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }
}

impl From<Vec<String>> for Lines {
    fn from(lines: Vec<String>) -> Lines {
        lines.iter().map(String::as_str).collect()
    }
}

impl<'a> FromIterator<&'a str> for Lines {
    fn from_iter<I: IntoIterator<Item = &'a str>>(lines: I) -> Lines {
        let mut l = Lines::default();
        for line in lines {
            l.push(line);
        }
        l
    }
}

/// `n` and the noun in the number it takes.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `line N` for one line, `lines FIRST–LAST` for several.
pub fn line_range(first: usize, last: usize) -> String {
    if first == last {
        format!("line {first}")
    } else {
        format!("lines {first}–{last}")
    }
}

#[cfg(test)]
/// Every line of the project's logs (samples, the corpus, the framework
/// and version logs), read as aiolog frames them: lossily, without CR.
pub(crate) fn project_lines() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut lines = Vec::new();
    let mut dirs = vec![root.join("samples"), root.join("tests")];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "log" || x == "txt") {
                let bytes = std::fs::read(&p).unwrap();
                let text = String::from_utf8_lossy(&bytes);
                lines.extend(text.lines().map(|l| l.trim_end_matches('\r').to_string()));
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trims_are_strs() {
        let cases = [
            "",
            " ",
            "  x",
            "x  ",
            "\t\n\x0b\x0c\r x \t\n\x0b\x0c\r",
            "\u{a0}x\u{a0}",
            " \u{2003} \u{85}y \u{2003} \u{85} ",
            "é",
            "\x1cx\x1c",
        ];
        let lines = project_lines();
        for s in cases.into_iter().chain(lines.iter().map(String::as_str)) {
            assert_eq!(trim_start(s), s.trim_start(), "{s:?}");
            assert_eq!(trim_end(s), s.trim_end(), "{s:?}");
        }
    }

    #[test]
    fn one_and_many() {
        assert_eq!(plural(1, "finding", "findings"), "1 finding");
        assert_eq!(plural(0, "site", "sites"), "0 sites");
        assert_eq!(line_range(22, 22), "line 22");
        assert_eq!(line_range(22, 25), "lines 22–25");
    }

    #[test]
    fn lines_are_those_of_str_lines() {
        for t in [
            "",
            "\n",
            "\n\n",
            "a",
            "a\n",
            "a\nb",
            "a\r\nb\r\n",
            "a\rb\n",
            "a\r",
            "\r\n",
            "x\n\ny\n",
            " a \n\tb",
        ] {
            assert_eq!(
                lines(t).collect::<Vec<_>>(),
                t.lines().collect::<Vec<_>>(),
                "{t:?}"
            );
        }
    }

    #[test]
    fn the_first_by_its_anchor_is_finds() {
        static TAG: FirstBy = FirstBy::new("\", line", 0);
        static AT_SPACE: FirstBy = FirstBy::new("f() at", 3);
        let mut texts: Vec<String> = [
            "",
            "\"",
            "a.py\", line 3, in f",
            "a\"b.py\", line 3",
            "\", lin\", line",
            "\", line",
            "\", lin",
            "f() atf() at",
            "f()f() at",
            " at",
            "é\", line ü f() at",
        ]
        .map(String::from)
        .to_vec();
        texts.extend(project_lines());
        for t in &texts {
            assert_eq!(TAG.in_(t), t.find("\", line"), "{t:?}");
            assert_eq!(AT_SPACE.in_(t), t.find("f() at"), "{t:?}");
        }
    }

    #[test]
    fn the_last_is_rfinds() {
        static AT: Last = Last::new(") at ");
        static CREATED: Last = Last::new(" created at ");
        static TOOK: Last = Last::new("took ");
        // The words as the parsers search them: by their last space.
        static AT_SPACE: Last = Last::new_at(") at ", 4);
        static CREATED_SPACE: Last = Last::new_at(" created at ", 11);
        for t in [
            "",
            "f() at a.py:1",
            "f(g() at x) at b.py:2",
            ") at ) at",
            "none",
            // Overlapping occurrences: the last one starts inside the one
            // before it.
            "x created at created at y",
            " created at  created at ",
            "a created at b created at c",
            "é created at ü",
            "created at ",
            " created at",
            "c",
            "took took ",
            "ctook took",
            // The word but its last byte.
            "tookx",
            "x created atx",
            "f() atx",
        ] {
            assert_eq!(CREATED.in_(t), t.rfind(" created at "), "{t:?}");
            assert_eq!(TOOK.in_(t), t.rfind("took "), "{t:?}");
            assert_eq!(AT.in_(t), t.rfind(") at "), "{t:?}");
            assert_eq!(CREATED_SPACE.in_(t), t.rfind(" created at "), "{t:?}");
            assert_eq!(AT_SPACE.in_(t), t.rfind(") at "), "{t:?}");
        }
        // Every word the parsers look for from the end, on every line of
        // the project's logs and on the lines joined.
        let lines = project_lines();
        let joined = lines.join("\n");
        for l in lines.iter().map(String::as_str).chain([joined.as_str()]) {
            for (last, word) in [
                (&CREATED, " created at "),
                (&TOOK, "took "),
                (&AT, ") at "),
                (&CREATED_SPACE, " created at "),
                (&AT_SPACE, ") at "),
            ] {
                assert_eq!(last.in_(l), l.rfind(word), "{word:?} in {l:?}");
            }
        }
        assert_eq!(rarest(b" created at "), 1);
        assert_eq!(rarest(b"took "), 3);
        assert_eq!(rarest(b") at "), 0);
    }

    #[test]
    fn lines_are_the_lines_pushed() {
        let cases: &[&[&str]] = &[
            &[],
            &[""],
            &["", ""],
            &["a"],
            &["a", "", "b c"],
            &["a", "two\nlines", "", "c"],
            &["x\n"],
        ];
        for &lines in cases {
            let l: Lines = lines.iter().copied().collect();
            assert_eq!(l.len(), lines.len(), "{lines:?}");
            assert_eq!(l.is_empty(), lines.is_empty());
            assert_eq!(l.iter().collect::<Vec<_>>(), lines, "{lines:?}");
            assert_eq!(
                l.iter().rev().collect::<Vec<_>>(),
                lines.iter().rev().copied().collect::<Vec<_>>()
            );
            assert_eq!(l.first(), lines.first().copied());
            assert_eq!(l.last(), lines.last().copied());
            assert_eq!(l.to_vec(), lines);
            assert_eq!(Lines::from(l.to_vec()), l);
        }
        assert_ne!(Lines::from(vec!["a".to_string()]), Lines::default());
    }

    #[test]
    fn literals_are_found_anywhere() {
        static L: Literals = Literals::new(&["took ", "destroyed"]);
        assert!(L.any_in("Task was destroyed but"));
        assert!(L.any_in("x took 1"));
        assert!(!L.any_in("tookx destroye"));
        assert!(!L.any_in(""));
    }
}

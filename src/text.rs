//! English for counts and ranges, the same in every renderer and message:
//! `1 finding`, `2 findings`; `line 22`, `lines 22–25`. And [`Literals`], a
//! fixed set of words searched for in one pass.

use std::sync::OnceLock;

/// A fixed set of literals, each with its searcher built once, on first
/// use: the per-record checks "does this text hold any of these" then cost
/// one vectorized pass per literal, without building a searcher per literal
/// per call as `str::contains` does.
pub struct Literals {
    words: &'static [&'static str],
    finders: OnceLock<Vec<memchr::memmem::Finder<'static>>>,
}

impl Literals {
    /// The set of `words`.
    pub const fn new(words: &'static [&'static str]) -> Literals {
        Literals {
            words,
            finders: OnceLock::new(),
        }
    }

    /// Whether `text` holds any of the words.
    pub fn any_in(&self, text: &str) -> bool {
        self.finders
            .get_or_init(|| {
                self.words
                    .iter()
                    .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
                    .collect()
            })
            .iter()
            .any(|f| f.find(text.as_bytes()).is_some())
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
mod tests {
    use super::*;

    #[test]
    fn one_and_many() {
        assert_eq!(plural(1, "finding", "findings"), "1 finding");
        assert_eq!(plural(0, "site", "sites"), "0 sites");
        assert_eq!(line_range(22, 22), "line 22");
        assert_eq!(line_range(22, 25), "lines 22–25");
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

//! Hand-written byte matchers for the most common built-in grammars: the
//! prefix of a line matched without the regex engines, on the hot path of
//! framing every line of a record.
//!
//! Each matcher is tied to its grammar's pattern, character for character
//! ([`FAST`]): a grammar file whose pattern changes loses its matcher and is
//! matched with the regex again (and the test
//! `every_matcher_belongs_to_a_builtin_grammar` fails). A matcher answers
//! only what it can answer exactly as the regex does. Within ASCII it
//! decides; where the regex's Unicode classes (`\s`, `\d`, `\S`, `[^\s:]`)
//! meet a byte outside ASCII, it asks for the regex ([`Fast::Ask`]). Each
//! matcher follows its pattern's leftmost-first semantics. These patterns
//! never need to backtrack into a shorter repetition: each repetition is
//! followed by a class it cannot match, and each alternation by a byte that
//! at most one alternative can precede. The tests compare every matcher
//! with its regex on every line of the project's logs, on the grammars'
//! samples and on mutations of them.

/// The fields a prefix match captures, borrowed from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Prefix<'a> {
    /// Where the prefix ends: the message is the rest of the line.
    pub end: usize,
    pub timestamp: Option<&'a str>,
    pub level: Option<&'a str>,
    pub logger: Option<&'a str>,
    pub pid: Option<&'a str>,
}

/// A matcher's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fast<'a> {
    /// The pattern does not match the line.
    No,
    /// It matches, with these fields.
    Yes(Prefix<'a>),
    /// Only the regex can say: a byte outside ASCII where a Unicode class
    /// is tested.
    Ask,
}

/// A matcher.
pub(super) type Matcher = for<'a> fn(&'a str) -> Fast<'a>;

/// Each matcher, by the exact pattern it implements.
pub(super) const FAST: &[(&str, Matcher)] = &[
    (
        r"^(?P<level>DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL|NOTSET|Level \d+):(?P<logger>[^:\s]+):(?P<message>.*)$",
        python_basic,
    ),
    (
        r"^\s*(?P<timestamp>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[,.]\d{1,9})?)\s+(?:\[(?P<pid>\d+)\]\s+)?(?P<level>DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\s+(?P<logger>[^\s:]+):\s?(?P<message>.*)$",
        asctime_level_logger,
    ),
    (
        r"^\s*(?P<timestamp>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[,.]\d{1,9})?)\s+(?:\[(?P<pid>\d+)\]\s+)?-\s+(?P<logger>\S+)\s+-\s+(?P<level>DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\s+-\s(?P<message>.*)$",
        asctime_dashes,
    ),
    (
        r"^(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL):\s+(?P<message>.*)$",
        uvicorn,
    ),
];

/// The matcher of a pattern, if one is written for it.
pub(super) fn matcher_for(pattern: &str) -> Option<Matcher> {
    FAST.iter().find(|(p, _)| *p == pattern).map(|&(_, m)| m)
}

/// Why a step failed: the pattern does not match, or only the regex knows.
enum Stop {
    No,
    Ask,
}

type Step<T> = Result<T, Stop>;

impl<'a> From<Step<Prefix<'a>>> for Fast<'a> {
    fn from(s: Step<Prefix<'a>>) -> Fast<'a> {
        match s {
            Ok(p) => Fast::Yes(p),
            Err(Stop::No) => Fast::No,
            Err(Stop::Ask) => Fast::Ask,
        }
    }
}

/// A cursor over a line's bytes.
struct Cur<'a> {
    s: &'a str,
    at: usize,
}

/// The regex's `\s` within ASCII (Unicode White_Space: tab to carriage
/// return, and space).
fn is_space(b: u8) -> bool {
    b == b' ' || (0x09..=0x0d).contains(&b)
}

impl<'a> Cur<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.at).copied()
    }

    /// One byte that must be `want`.
    fn lit(&mut self, want: u8) -> Step<()> {
        match self.peek() {
            Some(b) if b == want => {
                self.at += 1;
                Ok(())
            }
            _ => Err(Stop::No),
        }
    }

    /// As many bytes of a class as there are (greedy), between `min` and
    /// `max`; a byte outside ASCII where the class is tested asks.
    fn class(&mut self, min: usize, max: usize, is: impl Fn(u8) -> bool) -> Step<&'a str> {
        let start = self.at;
        while self.at - start < max {
            match self.peek() {
                Some(b) if b >= 0x80 => return Err(Stop::Ask),
                Some(b) if is(b) => self.at += 1,
                _ => break,
            }
        }
        if self.at - start < min {
            return Err(Stop::No);
        }
        Ok(&self.s[start..self.at])
    }

    fn digits(&mut self, min: usize, max: usize) -> Step<&'a str> {
        self.class(min, max, |b| b.is_ascii_digit())
    }

    fn spaces(&mut self, min: usize, max: usize) -> Step<()> {
        self.class(min, max, is_space).map(|_| ())
    }

    /// The first of `alternatives` that is followed by a byte `then`
    /// accepts. Every alternative is ASCII, and at most one of them can be
    /// followed by such a byte, so this is the regex's choice; a byte
    /// outside ASCII after one asks, as a Unicode class may accept it.
    fn one_of(&mut self, alternatives: &[&str], then: impl Fn(u8) -> bool) -> Step<&'a str> {
        let rest = &self.s.as_bytes()[self.at..];
        for alt in alternatives {
            if let Some(after) = rest.strip_prefix(alt.as_bytes()) {
                match after.first() {
                    Some(&b) if then(b) => {
                        let start = self.at;
                        self.at += alt.len();
                        return Ok(&self.s[start..self.at]);
                    }
                    Some(&b) if b >= 0x80 => return Err(Stop::Ask),
                    _ => {}
                }
            }
        }
        Err(Stop::No)
    }

    /// `\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[,.]\d{1,9})?`.
    fn asctime(&mut self) -> Step<&'a str> {
        let start = self.at;
        self.digits(4, 4)?;
        self.lit(b'-')?;
        self.digits(2, 2)?;
        self.lit(b'-')?;
        self.digits(2, 2)?;
        match self.peek() {
            Some(b' ' | b'T') => self.at += 1,
            _ => return Err(Stop::No),
        }
        self.digits(2, 2)?;
        self.lit(b':')?;
        self.digits(2, 2)?;
        self.lit(b':')?;
        self.digits(2, 2)?;
        if matches!(self.peek(), Some(b',' | b'.')) {
            // The fraction is taken whenever a digit follows the separator:
            // what comes after the timestamp (`\s+`) cannot match a digit or
            // the separator, so skipping it never succeeds instead.
            let sep = self.at;
            self.at += 1;
            match self.digits(1, 9) {
                Ok(_) => {}
                Err(Stop::No) => self.at = sep,
                Err(Stop::Ask) => return Err(Stop::Ask),
            }
        }
        Ok(&self.s[start..self.at])
    }

    /// `(?:\[(?P<pid>\d+)\]\s+)?`, before a byte that cannot be `[`.
    fn pid(&mut self) -> Step<Option<&'a str>> {
        if self.peek() != Some(b'[') {
            return Ok(None);
        }
        let back = self.at;
        self.at += 1;
        let inner = (|| {
            let pid = self.digits(1, usize::MAX)?;
            self.lit(b']')?;
            self.spaces(1, usize::MAX)?;
            Ok(pid)
        })();
        match inner {
            Ok(pid) => Ok(Some(pid)),
            Err(Stop::Ask) => Err(Stop::Ask),
            // Without the group, what follows must match at `[`, and it
            // cannot: the pattern does not match.
            Err(Stop::No) => {
                self.at = back;
                Err(Stop::No)
            }
        }
    }
}

const LEVELS: &[&str] = &[
    "DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL",
];

fn python_basic(line: &str) -> Fast<'_> {
    let mut c = Cur { s: line, at: 0 };
    (|| {
        let level = match c.one_of(
            &[
                "DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL", "NOTSET",
            ],
            |b| b == b':',
        ) {
            Ok(l) => l,
            Err(Stop::Ask) => return Err(Stop::Ask),
            Err(Stop::No) => {
                c.one_of(&["Level "], |b| b.is_ascii_digit() || b >= 0x80)?;
                c.digits(1, usize::MAX)?;
                &line[..c.at]
            }
        };
        c.lit(b':')?;
        let logger = c.class(1, usize::MAX, |b| b != b':' && !is_space(b))?;
        c.lit(b':')?;
        Ok(Prefix {
            end: c.at,
            level: Some(level),
            logger: Some(logger),
            ..Prefix::default()
        })
    })()
    .into()
}

fn asctime_level_logger(line: &str) -> Fast<'_> {
    let mut c = Cur { s: line, at: 0 };
    (|| {
        c.spaces(0, usize::MAX)?;
        let timestamp = c.asctime()?;
        c.spaces(1, usize::MAX)?;
        let pid = c.pid()?;
        let level = c.one_of(LEVELS, is_space)?;
        c.spaces(1, usize::MAX)?;
        let logger = c.class(1, usize::MAX, |b| b != b':' && !is_space(b))?;
        c.lit(b':')?;
        c.spaces(0, 1)?;
        Ok(Prefix {
            end: c.at,
            timestamp: Some(timestamp),
            level: Some(level),
            logger: Some(logger),
            pid,
        })
    })()
    .into()
}

fn asctime_dashes(line: &str) -> Fast<'_> {
    let mut c = Cur { s: line, at: 0 };
    (|| {
        c.spaces(0, usize::MAX)?;
        let timestamp = c.asctime()?;
        c.spaces(1, usize::MAX)?;
        let pid = c.pid()?;
        c.lit(b'-')?;
        c.spaces(1, usize::MAX)?;
        let logger = c.class(1, usize::MAX, |b| !is_space(b))?;
        c.spaces(1, usize::MAX)?;
        c.lit(b'-')?;
        c.spaces(1, usize::MAX)?;
        let level = c.one_of(LEVELS, is_space)?;
        c.spaces(1, usize::MAX)?;
        c.lit(b'-')?;
        c.spaces(1, 1)?;
        Ok(Prefix {
            end: c.at,
            timestamp: Some(timestamp),
            level: Some(level),
            logger: Some(logger),
            pid,
        })
    })()
    .into()
}

fn uvicorn(line: &str) -> Fast<'_> {
    let mut c = Cur { s: line, at: 0 };
    (|| {
        let level = c.one_of(&["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], |b| {
            b == b':'
        })?;
        c.lit(b':')?;
        c.spaces(1, usize::MAX)?;
        Ok(Prefix {
            end: c.at,
            level: Some(level),
            ..Prefix::default()
        })
    })()
    .into()
}

#[cfg(test)]
mod tests;

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

use super::{Framed, Grammar, Layer};

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

/// A matcher. `seen` holds what the matchers tried before it on the same
/// line have read of it (one [`Seen`] per line).
pub(super) type Matcher = for<'a> fn(&'a str, &mut Seen<'a>) -> Fast<'a>;

/// What a line's matchers share: both `%(asctime)s` formats begin with the
/// same head, read once a line.
#[derive(Debug, Default)]
pub(super) struct Seen<'a> {
    /// The head, or why it failed.
    head: Option<Step<Head<'a>>>,
}

/// Where a line's asctime head ends, its timestamp and its process id.
type Head<'a> = (usize, &'a str, Option<&'a str>);

const FAST_PYTHON_BASIC: &str = r"^(?P<level>DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL|NOTSET|Level \d+):(?P<logger>[^:\s]+):(?P<message>.*)$";
const FAST_ASCTIME_LEVEL_LOGGER: &str = r"^\s*(?P<timestamp>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[,.]\d{1,9})?)\s+(?:\[(?P<pid>\d+)\]\s+)?(?P<level>DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\s+(?P<logger>[^\s:]+):\s?(?P<message>.*)$";
const FAST_ASCTIME_DASHES: &str = r"^\s*(?P<timestamp>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[,.]\d{1,9})?)\s+(?:\[(?P<pid>\d+)\]\s+)?-\s+(?P<logger>\S+)\s+-\s+(?P<level>DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\s+-\s(?P<message>.*)$";
const FAST_PYTEST_CAPLOG: &str = r"^(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL)\s+(?P<logger>[^\s:]+):[^\s:]+:\d+ (?P<message>.*)$";
const FAST_DOCKER_COMPOSE: &str = r"^(?P<source>[A-Za-z0-9][A-Za-z0-9_.-]*) *\| (?:(?P<timestamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})) )?(?P<message>.*)$";
const FAST_SYSLOG_RFC3164: &str = r"^(?:<\d{1,3}>)?[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} (?P<source>\S+ [^\s\[:]+(?:\[(?P<pid>\d+)\])?): (?P<message>.*)$";
const FAST_UVICORN: &str = r"^(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL):\s+(?P<message>.*)$";

/// Each matcher, by the exact pattern it implements.
pub(super) const FAST: &[(&str, Matcher)] = &[
    (FAST_PYTHON_BASIC, python_basic),
    (FAST_ASCTIME_LEVEL_LOGGER, asctime_level_logger),
    (FAST_ASCTIME_DASHES, asctime_dashes),
    (FAST_UVICORN, uvicorn),
    (FAST_PYTEST_CAPLOG, pytest_caplog),
];

/// Rejecters: matchers of wrapper grammars that only say [`Fast::No`] or
/// [`Fast::Ask`] (never `Yes`: a wrapper's line is framed through the
/// grammar set). Most lines are no collector's, and these let them pass
/// without the set.
pub(super) const REJECT: &[(&str, Matcher)] = &[
    (FAST_DOCKER_COMPOSE, docker_compose),
    (FAST_SYSLOG_RFC3164, syslog_rfc3164),
];

/// The bytes a line that a pattern matches can begin with, by the exact
/// pattern (each pattern's first token; a byte outside ASCII wherever a
/// Unicode class comes first). A line is framed without the grammar set
/// when every grammar that its first byte leaves possible has a
/// hand-written matcher and one of them decides it (`Grammars::frame`).
pub(super) const FIRST_BYTES: &[(&str, FirstByte)] = &[
    // `^\s*\d`
    (FAST_ASCTIME_LEVEL_LOGGER, spaced_digit),
    (FAST_ASCTIME_DASHES, spaced_digit),
    // `^(?P<level>DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL|NOTSET|Level \d+)`
    (FAST_PYTHON_BASIC, |b| b"DIWECFNL".contains(&b)),
    // `^(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL)`
    (FAST_UVICORN, |b| b"DIWEC".contains(&b)),
    (FAST_PYTEST_CAPLOG, |b| b"DIWEC".contains(&b)),
    (
        r"^\[(?P<timestamp>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4})\] \[(?P<pid>\d+)\] \[(?P<level>[A-Z]+)\] (?P<message>.*)$",
        |b| b == b'[',
    ),
    (
        r"^(?P<timestamp>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}) \| (?P<level>[A-Z]+)\s*\| (?P<logger>[^:\s]+):\S* - (?P<message>.*)$",
        digit,
    ),
    (
        r"^(?P<timestamp>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{3})?) (?P<level>[A-Z]+) \([^)]*\) \[(?P<logger>[^\]\s]+)\] (?P<message>.*)$",
        digit,
    ),
    (
        r"^<\d{1,3}>1 (?P<timestamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})) (?P<source>\S+ \S+ (?P<pid>\S+)) \S+ (?:-|\[.*?\]) (?P<message>.*)$",
        |b| b == b'<',
    ),
    (
        r"^(?P<timestamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})) (?P<source>stdout|stderr) (?:(?P<partial>P)|F) (?P<message>.*)$",
        digit,
    ),
    (
        r"^(?P<timestamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{4}|Z)) (?P<source>\S+ [^\s\[:]+(?:\[(?P<pid>\d+)\])?): (?P<message>.*)$",
        digit,
    ),
    (
        r"^(?P<timestamp>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z?) (?P<message>.*)$",
        digit,
    ),
    (FAST_SYSLOG_RFC3164, |b| b == b'<' || b.is_ascii_uppercase()),
    (FAST_DOCKER_COMPOSE, |b| b.is_ascii_alphanumeric()),
];

/// Whether a line beginning with a byte may match.
pub(super) type FirstByte = fn(u8) -> bool;

/// `\d` first: an ASCII digit, or a byte outside ASCII (a Unicode digit).
fn digit(b: u8) -> bool {
    b.is_ascii_digit() || b >= 0x80
}

/// `\s*\d` first.
fn spaced_digit(b: u8) -> bool {
    digit(b) || is_space(b)
}

/// The first-byte test of a pattern, if one is written for it.
pub(super) fn first_bytes_for(pattern: &str) -> Option<FirstByte> {
    FIRST_BYTES
        .iter()
        .find(|(p, _)| *p == pattern)
        .map(|&(_, f)| f)
}

/// The matcher of a pattern, if one is written for it.
pub(super) fn matcher_for(pattern: &str) -> Option<Matcher> {
    FAST.iter()
        .chain(REJECT)
        .find(|(p, _)| *p == pattern)
        .map(|&(_, m)| m)
}

/// Why a step failed: the pattern does not match, or only the regex knows.
#[derive(Debug, Clone, Copy)]
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
struct Cur<'a, 's> {
    s: &'a str,
    at: usize,
    seen: &'s mut Seen<'a>,
}

/// The regex's `\s` within ASCII (Unicode White_Space: tab to carriage
/// return, and space).
fn is_space(b: u8) -> bool {
    b == b' ' || (0x09..=0x0d).contains(&b)
}

/// `[^\s:]` within ASCII.
fn not_space_or_colon(b: u8) -> bool {
    b != b':' && !is_space(b)
}

impl<'a> Cur<'a, '_> {
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
        let first = rest.first().copied();
        for alt in alternatives {
            // The first byte before the rest (a call to `memcmp`): the
            // level names but `WARN` and `WARNING` begin differently.
            if alt.as_bytes().first().copied() != first {
                continue;
            }
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
        if let Some(b) = self.s.as_bytes().get(start..start + 19) {
            // Nearly every line: the 19 bytes at their fixed places, read
            // at once (exactly what the steps below accept).
            let d = |i: usize| b[i].is_ascii_digit();
            if (0..4).chain([5, 6, 8, 9, 11, 12, 14, 15, 17, 18]).all(d)
                && b[4] == b'-'
                && b[7] == b'-'
                && matches!(b[10], b' ' | b'T')
                && b[13] == b':'
                && b[16] == b':'
            {
                self.at += 19;
                return self.fraction(start);
            }
        }
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
        self.fraction(start)
    }

    /// `(?:[,.]\d{1,9})?` after the seconds of an asctime begun at `start`,
    /// and the timestamp.
    fn fraction(&mut self, start: usize) -> Step<&'a str> {
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

    /// `\s*(?P<timestamp>…)\s+(?:\[(?P<pid>\d+)\]\s+)?`: the start that
    /// both asctime formats share.
    /// Read once a line ([`Seen`]): a second matcher starts from the
    /// first one's answer.
    fn asctime_head(&mut self) -> Step<(&'a str, Option<&'a str>)> {
        debug_assert_eq!(self.at, 0);
        let head = match self.seen.head {
            Some(head) => head,
            None => {
                let read = (|| {
                    self.spaces(0, usize::MAX)?;
                    let timestamp = self.asctime()?;
                    self.spaces(1, usize::MAX)?;
                    Ok((timestamp, self.pid()?))
                })();
                let head = read.map(|(timestamp, pid)| (self.at, timestamp, pid));
                self.seen.head = Some(head);
                head
            }
        };
        let (end, timestamp, pid) = head?;
        self.at = end;
        Ok((timestamp, pid))
    }

    /// `(?:\[(?P<pid>\d+)\]\s+)?`, before a byte that cannot be `[`: when
    /// the group fails, what follows must match at the `[`, and it cannot,
    /// so the pattern does not match.
    fn pid(&mut self) -> Step<Option<&'a str>> {
        if self.peek() != Some(b'[') {
            return Ok(None);
        }
        self.at += 1;
        let pid = self.digits(1, usize::MAX)?;
        self.lit(b']')?;
        self.spaces(1, usize::MAX)?;
        Ok(Some(pid))
    }
}

/// Runs a matcher's steps over `line` from its start.
fn matching<'a>(
    line: &'a str,
    seen: &mut Seen<'a>,
    steps: impl FnOnce(&mut Cur<'a, '_>) -> Step<Prefix<'a>>,
) -> Fast<'a> {
    steps(&mut Cur {
        s: line,
        at: 0,
        seen,
    })
    .into()
}

/// The level names of the `%(asctime)s` formats.
const LEVELS: &[&str] = &[
    "DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL",
];

/// The level names of uvicorn's and pytest's formats.
const FIVE_LEVELS: &[&str] = &["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

fn python_basic<'a>(line: &'a str, seen: &mut Seen<'a>) -> Fast<'a> {
    matching(line, seen, |c| {
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
        let logger = c.class(1, usize::MAX, not_space_or_colon)?;
        c.lit(b':')?;
        Ok(Prefix {
            end: c.at,
            level: Some(level),
            logger: Some(logger),
            ..Prefix::default()
        })
    })
}

fn asctime_level_logger<'a>(line: &'a str, seen: &mut Seen<'a>) -> Fast<'a> {
    matching(line, seen, |c| {
        let (timestamp, pid) = c.asctime_head()?;
        let level = c.one_of(LEVELS, is_space)?;
        c.spaces(1, usize::MAX)?;
        let logger = c.class(1, usize::MAX, not_space_or_colon)?;
        c.lit(b':')?;
        c.spaces(0, 1)?;
        Ok(Prefix {
            end: c.at,
            timestamp: Some(timestamp),
            level: Some(level),
            logger: Some(logger),
            pid,
        })
    })
}

fn asctime_dashes<'a>(line: &'a str, seen: &mut Seen<'a>) -> Fast<'a> {
    matching(line, seen, |c| {
        let (timestamp, pid) = c.asctime_head()?;
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
    })
}

fn uvicorn<'a>(line: &'a str, seen: &mut Seen<'a>) -> Fast<'a> {
    matching(line, seen, |c| {
        let level = c.one_of(FIVE_LEVELS, |b| b == b':')?;
        c.lit(b':')?;
        c.spaces(1, usize::MAX)?;
        Ok(Prefix {
            end: c.at,
            level: Some(level),
            ..Prefix::default()
        })
    })
}

impl super::Grammars {
    /// Frames `line` without the grammar set when the grammars its first
    /// byte leaves possible all have hand-written matchers, walked by
    /// priority as the set's answer is: the first that matches frames it,
    /// and a line none matches is bare. `None` when a grammar without a
    /// matcher would have to be asked (`wrappers`: and a wrapper, when no
    /// record grammar matched), or a matcher asks for its regex.
    // Inlined into its callers: a `Framed` is 144 bytes, and returned from
    // a call it was built in a temporary and copied out (`memcpy`, 1.5 % of
    // the dense run's cycles).
    #[inline(always)]
    pub(super) fn frame_fast<'a>(&self, line: &'a str, wrappers: bool) -> Option<Framed<'a>> {
        let &b = line.as_bytes().first()?;
        let mut seen = Seen::default();
        for &i in &self.candidates[usize::from(b)] {
            let g = &self.all[i];
            if g.layer == Layer::Wrapper {
                if !wrappers {
                    break;
                }
                // A rejecter's `No` lets the line pass; anything else is
                // the set's to frame.
                match (g.fast?)(line, &mut seen) {
                    Fast::No => continue,
                    _ => return None,
                }
            }
            match (g.fast?)(line, &mut seen) {
                Fast::Yes(p) => return Some(framed_by(i, line, p)),
                Fast::No => {}
                Fast::Ask => return None,
            }
        }
        Some(self.as_bare(line))
    }
}

/// By a line's first byte, the grammars (records by priority, then
/// wrappers) that may match a line beginning with it.
pub(super) fn candidates(
    all: &[Grammar],
    records: &[usize],
    wrappers: &[usize],
) -> Vec<Vec<usize>> {
    (0..=255u8)
        .map(|b| {
            records
                .iter()
                .chain(wrappers)
                .copied()
                .filter(|&i| first_bytes_for(&all[i].def.pattern).is_none_or(|f| f(b)))
                .collect()
        })
        .collect()
}

/// A line framed by record grammar `i`'s hand-written matcher.
pub(super) fn framed_by<'a>(i: usize, line: &'a str, p: Prefix<'a>) -> Framed<'a> {
    Framed {
        grammar: i,
        wrapper: None,
        timestamp: p.timestamp,
        level: p.level,
        logger: p.logger,
        pid: p.pid,
        stream: None,
        partial: false,
        body: line,
        message: &line[p.end..],
    }
}

fn pytest_caplog<'a>(line: &'a str, seen: &mut Seen<'a>) -> Fast<'a> {
    matching(line, seen, |c| {
        let level = c.one_of(FIVE_LEVELS, is_space)?;
        c.spaces(1, usize::MAX)?;
        let logger = c.class(1, usize::MAX, not_space_or_colon)?;
        c.lit(b':')?;
        c.class(1, usize::MAX, not_space_or_colon)?;
        c.lit(b':')?;
        c.digits(1, usize::MAX)?;
        c.lit(b' ')?;
        Ok(Prefix {
            end: c.at,
            level: Some(level),
            logger: Some(logger),
            ..Prefix::default()
        })
    })
}

/// `^[A-Za-z0-9][A-Za-z0-9_.-]* *\| `: what follows always matches.
fn docker_compose<'a>(line: &'a str, seen: &mut Seen<'a>) -> Fast<'a> {
    matching(line, seen, |c| {
        c.class(1, 1, |b| b.is_ascii_alphanumeric())?;
        c.class(0, usize::MAX, |b| {
            b.is_ascii_alphanumeric() || b"_.-".contains(&b)
        })?;
        c.class(0, usize::MAX, |b| b == b' ')?;
        c.lit(b'|')?;
        c.lit(b' ')?;
        Err(Stop::Ask)
    })
}

/// `^(?:<\d{1,3}>)?[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} `; a priority
/// first, and what follows, are the regex's.
fn syslog_rfc3164<'a>(line: &'a str, seen: &mut Seen<'a>) -> Fast<'a> {
    matching(line, seen, |c| {
        if c.peek() == Some(b'<') {
            return Err(Stop::Ask);
        }
        c.class(1, 1, |b| b.is_ascii_uppercase())?;
        c.class(2, 2, |b| b.is_ascii_lowercase())?;
        c.lit(b' ')?;
        if c.peek() == Some(b' ') {
            c.at += 1;
        } else {
            c.digits(1, 1)?;
        }
        c.digits(1, 1)?;
        c.lit(b' ')?;
        c.digits(2, 2)?;
        c.lit(b':')?;
        c.digits(2, 2)?;
        c.lit(b':')?;
        c.digits(2, 2)?;
        c.lit(b' ')?;
        Err(Stop::Ask)
    })
}

#[cfg(test)]
mod tests;

//! Line grammars: the prefix a logging setup writes before each message,
//! declared as data in `grammars/*.json`.
//!
//! # Brief overview
//! A grammar is a regex with named groups (`message` required; `timestamp`,
//! `level`, `logger`, `pid` optional; wrappers may add `source` and
//! `partial`), a chrono format for its timestamp and
//! sample lines with the fields they must yield. [`check`] enforces, in the
//! manner of lnav's formats, that every sample matches the whole line and
//! yields exactly its declared fields and that no counter-sample matches. The
//! files are embedded in the binary at build time (see `build.rs`), so a new
//! log dialect is a new file.
//!
//! Two layers exist. A `record` grammar is a logging format: its prefix is on
//! the first line of a record only. A `wrapper` grammar is put on every
//! physical line by a log collector (docker, multilog); it is stripped first
//! and the rest is read with the record grammars. Because a wrapper is on
//! every line, it can name the line's source (a `source` group: the
//! container, host and process, or stream), so that records of several
//! sources interleaved line by line are reassembled per source; and it can
//! mark a line as the first part of a longer one (a `partial` group, as
//! Kubernetes' `P` lines), to be joined with what follows.
//!
//! # Example
//! ```
//! use aiolog::grammar::Grammars;
//! let g = Grammars::builtin().unwrap();
//! let f = g.frame("ERROR:asyncio:Task was destroyed but it is pending!", None);
//! assert_eq!(f.level, Some("ERROR"));
//! assert_eq!(f.message, "Task was destroyed but it is pending!");
//! assert_eq!(g.get(f.grammar).name, "python_basic");
//! ```

use regex::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

mod check;
mod fast;
mod timestamp;

pub use timestamp::normalize_timestamp;

pub use check::check;
use check::parse;

include!(concat!(env!("OUT_DIR"), "/grammars.rs"));

/// The fields a grammar may capture besides `message`.
pub const FIELDS: &[&str] = &[
    "timestamp",
    "level",
    "logger",
    "pid",
    "message",
    "source",
    "partial",
];

/// The fields only a wrapper may capture: they describe every physical line.
pub const WRAPPER_FIELDS: &[&str] = &["source", "partial"];

/// Whether a grammar describes a logging format or a collector's wrapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// A logging format; the prefix is on a record's first line only.
    Record,
    /// A prefix on every physical line, put there by a log collector.
    Wrapper,
}

/// A sample line and the fields it must yield.
#[derive(Debug, Clone, Deserialize)]
pub struct Sample {
    /// The line.
    pub line: String,
    /// Every captured field, by group name.
    pub fields: BTreeMap<String, String>,
}

/// A grammar file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrammarFile {
    /// Short identifier, used by `--grammar`.
    pub name: String,
    /// One line for people.
    pub title: String,
    /// What produces this format.
    pub description: String,
    /// Record or wrapper.
    pub layer: Layer,
    /// Higher is tried first.
    pub priority: i32,
    /// The regex, with named groups.
    pub pattern: String,
    /// chrono format of the `timestamp` group.
    #[serde(default)]
    pub timestamp_format: Option<String>,
    /// Lines that must match, with their fields.
    pub samples: Vec<Sample>,
    /// Lines that must not match.
    #[serde(default)]
    pub counter_samples: Vec<String>,
}

/// A loaded grammar. Its regexes are compiled when first used: most runs
/// frame lines with a few of the built-in grammars, and a log without
/// asyncio records frames none.
#[derive(Debug, Clone)]
pub struct Grammar {
    /// The file's contents.
    pub def: GrammarFile,
    /// The file it came from.
    pub file: String,
    /// The compiled pattern.
    regex: OnceLock<Regex>,
    /// What decides whether a line matches, and how.
    matcher: OnceLock<Matcher>,
    /// The hand-written matcher of the pattern, if it has one.
    fast: Option<fast::Matcher>,
    /// Whether the pattern has a `level` group: a line it matches is surely
    /// the start of a new log record ([`Framed::starts_record`]). Known
    /// without compiling a built-in pattern.
    levelled: OnceLock<bool>,
}

/// The compiled pattern a line is matched with.
#[derive(Debug, Clone)]
struct Matcher {
    /// When the pattern ends with `(?P<message>.*)$`: the pattern without
    /// it. The message is then the rest of the line after the prefix match,
    /// and matching never has to run over a long message. Otherwise the
    /// whole pattern.
    regex: Regex,
    /// Whether `regex` is the prefix alone.
    prefix: bool,
}

impl std::ops::Deref for Grammar {
    type Target = GrammarFile;
    fn deref(&self) -> &GrammarFile {
        &self.def
    }
}

/// A grammar that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GrammarError {
    /// Not valid JSON or not the expected shape.
    #[error("{file}: {message}")]
    Json {
        /// The file.
        file: String,
        /// serde_json's message (with line and column).
        message: String,
    },
    /// The pattern does not compile.
    #[error("{file}: invalid pattern: {message}")]
    Pattern {
        /// The file.
        file: String,
        /// regex's message.
        message: String,
    },
    /// A sample check failed.
    #[error("{file}: {problem}\n  help: {help}")]
    Check {
        /// The file.
        file: String,
        /// What is wrong.
        problem: String,
        /// How to fix it.
        help: String,
    },
}

/// A line split by a grammar. All strings borrow from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framed<'a> {
    /// Index of the record grammar that matched (in [`Grammars::all`]).
    pub grammar: usize,
    /// Index of the wrapper grammar that was stripped first, if any.
    pub wrapper: Option<usize>,
    /// The timestamp as written (the record's, else the wrapper's).
    pub timestamp: Option<&'a str>,
    /// Level name as written.
    pub level: Option<&'a str>,
    /// Logger name.
    pub logger: Option<&'a str>,
    /// Process id.
    pub pid: Option<&'a str>,
    /// The stream the wrapper names (its `source` group: container, host
    /// and process, stdout or stderr): lines of different streams never
    /// continue each other's records.
    pub stream: Option<&'a str>,
    /// The wrapper marks the line as the first part of a longer one, to be
    /// joined with the next line of the same stream.
    pub partial: bool,
    /// The line without the wrapper's prefix (the whole line when no
    /// wrapper matched): what the program wrote.
    pub body: &'a str,
    /// The message: the line without its prefixes.
    pub message: &'a str,
}

impl Framed<'_> {
    /// Whether a record grammar with a level matched: such a line starts a
    /// new log record and cannot continue the previous one.
    pub fn starts_record(&self, grammars: &Grammars) -> bool {
        let g = grammars.get(self.grammar);
        *g.levelled.get_or_init(|| match g.regex.get() {
            // A user's pattern, compiled at load; or one compiled since.
            Some(r) => r.capture_names().flatten().any(|n| n == "level"),
            None => check::group_names(&g.def.pattern).contains(&"level"),
        })
    }
}

/// The loaded grammars, record grammars sorted by priority (highest first).
#[derive(Debug, Clone)]
pub struct Grammars {
    all: Vec<Grammar>,
    wrappers: Vec<usize>,
    bare: usize,
    /// The record grammars other than `bare`, in one automaton: a line is
    /// matched against all of them in one pass, and captured only by the
    /// first that matches. Most lines framed are continuation lines that no
    /// prefix matches; they then cost one quick rejection.
    /// Grammar index of each of the first patterns in `all_set`.
    record_set_idx: Vec<usize>,
    /// Record grammars (`record_set_idx`) then wrappers, in one
    /// automaton: most lines framed match none, and cost one pass. What a
    /// wrapper leaves is matched with it too, reading the record grammars'
    /// answers alone. Compiled when first used, as the grammars' own
    /// regexes.
    all_set: OnceLock<regex::RegexSet>,
    /// By a line's first byte, the grammars (records by priority, then
    /// wrappers; not `bare`) that may match a line beginning with it.
    candidates: Vec<Vec<usize>>,
}

impl Grammars {
    /// Loads and checks the grammars embedded from `grammars/`.
    ///
    /// The built-in grammars are not checked against their samples here:
    /// their test does that (`builtin_grammars_load_and_pass_their_checks`,
    /// with [`Grammars::check_builtin`]). Their regexes are compiled when
    /// first used.
    pub fn builtin() -> Result<Grammars, GrammarError> {
        Grammars::builtin_plus(&[])
    }

    /// The built-in grammars and the user's grammar files (`--grammar FILE`,
    /// `aiolog grammars --check FILE`), each checked.
    pub fn builtin_plus(extra: &[std::path::PathBuf]) -> Result<Grammars, GrammarError> {
        let mut all = Vec::new();
        for (f, text) in BUILTIN_GRAMMARS {
            all.push(parse(&format!("grammars/{f}"), text)?);
        }
        for p in extra {
            let text = std::fs::read_to_string(p).map_err(|e| GrammarError::Json {
                file: p.display().to_string(),
                message: format!("cannot read it: {}", crate::input::describe_io_error(&e)),
            })?;
            let g = parse(&p.display().to_string(), &text)?;
            check(&g)?;
            all.push(g);
        }
        Grammars::assemble(all, !extra.is_empty())
    }

    /// Every built-in grammar checked against its samples.
    pub fn check_builtin() -> Result<(), GrammarError> {
        for (f, text) in BUILTIN_GRAMMARS {
            check(&parse(&format!("grammars/{f}"), text)?)?;
        }
        Ok(())
    }

    /// Loads and checks grammars from `(file name, JSON text)` pairs.
    pub fn load(
        files: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Grammars, GrammarError> {
        let mut all = Vec::new();
        for (file, text) in files {
            let g = parse(&file, &text)?;
            check(&g)?;
            all.push(g);
        }
        Grammars::assemble(all, true)
    }

    /// Orders the grammars and prepares their sets; `eager` compiles the
    /// sets now, so that a user's grammar that cannot join them is reported
    /// at load.
    fn assemble(mut all: Vec<Grammar>, eager: bool) -> Result<Grammars, GrammarError> {
        all.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.name.cmp(&b.name)));
        let records: Vec<usize> = (0..all.len())
            .filter(|&i| all[i].layer == Layer::Record)
            .collect();
        let wrappers: Vec<usize> = (0..all.len())
            .filter(|&i| all[i].layer == Layer::Wrapper)
            .collect();
        let bare = match records.iter().copied().find(|&i| all[i].name == "bare") {
            Some(b) => b,
            None => {
                return Err(GrammarError::Check {
                    file: "grammars/bare.json".into(),
                    problem: "the `bare` grammar is missing".into(),
                    help: "aiolog needs a record grammar named `bare` that matches every line"
                        .into(),
                })
            }
        };
        let record_set_idx: Vec<usize> = records.iter().copied().filter(|&i| i != bare).collect();
        let candidates = fast::candidates(&all, &record_set_idx, &wrappers);
        let g = Grammars {
            all,
            wrappers,
            bare,
            record_set_idx,
            all_set: OnceLock::new(),
            candidates,
        };
        if eager {
            let all_set = g.build_set().map_err(|e| GrammarError::Pattern {
                file: "(all grammars)".into(),
                message: e.to_string(),
            })?;
            let _ = g.all_set.set(all_set);
        }
        Ok(g)
    }

    /// The record grammars other than `bare` in one set, then the wrappers.
    /// Each is the pattern its matcher uses, taken from the text first, so
    /// that the grammars' own regexes are compiled only for the grammars
    /// that frame a line; when a prefix alone does not compile, from the
    /// matchers.
    fn build_set(&self) -> Result<regex::RegexSet, regex::Error> {
        let order = || self.record_set_idx.iter().chain(&self.wrappers);
        regex::RegexSet::new(order().map(|&i| self.all[i].prefix_pattern())).or_else(|_| {
            regex::RegexSet::new(order().map(|&i| self.all[i].matcher().regex.as_str()))
        })
    }

    fn all_set(&self) -> &regex::RegexSet {
        self.all_set
            .get_or_init(|| self.build_set().expect("the built-in grammars form a set"))
    }

    /// Every grammar, in the order they are tried.
    pub fn all(&self) -> &[Grammar] {
        &self.all
    }

    /// A grammar by index.
    pub fn get(&self, i: usize) -> &Grammar {
        &self.all[i]
    }

    /// A grammar's index by name.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.all.iter().position(|g| g.name == name)
    }

    /// Splits a line into prefix fields and message.
    ///
    /// Without `forced`, the record grammars are tried by priority; if only
    /// `bare` matches, the wrappers are tried and the record grammars run
    /// again on what a wrapper leaves. With `forced`, that grammar is tried
    /// first, and a line it does not match is read as bare: the warnings
    /// module writes to stderr without any logging prefix even in an
    /// application whose logging has one.
    pub fn frame<'a>(&self, line: &'a str, forced: Option<usize>) -> Framed<'a> {
        if let Some(f) = forced {
            let g = &self.all[f];
            if g.layer == Layer::Wrapper {
                if let Some(c) = g.regex().captures(line) {
                    let ts = c.name("timestamp").map(|m| m.as_str());
                    let rest = c.name("message").map_or("", |m| m.as_str());
                    let mut fr = self.frame_records(rest, true);
                    fr.wrapper = Some(f);
                    fr.timestamp = fr.timestamp.or(ts);
                    fr.stream = c.name("source").map(|m| m.as_str());
                    fr.partial = c.name("partial").is_some();
                    return fr;
                }
            } else if let Some(fr) = self.try_record(f, line) {
                return fr;
            }
            return self.frame_records(line, false);
        }
        match self.frame_fast(line, true) {
            Some(fr) => fr,
            None => self.frame_by_set(line),
        }
    }

    /// [`Grammars::frame`] without a forced grammar, by the grammar set.
    fn frame_by_set<'a>(&self, line: &'a str) -> Framed<'a> {
        // One pass over every prefix pattern: most lines framed are
        // continuation lines that match none, and a line that matches is
        // framed from the same pass.
        let matched = self.all_set().matches(line);
        if !matched.matched_any() {
            return self.frame_records(line, false);
        }
        let fr = self.first_record(line, |si| matched.matched(si));
        if fr.grammar != self.bare {
            return fr;
        }
        let n = self.record_set_idx.len();
        for (wi, &w) in self.wrappers.iter().enumerate() {
            if !matched.matched(n + wi) {
                continue;
            }
            let g = &self.all[w];
            let m = g.matcher();
            if let Some(c) = m.regex.captures(line) {
                let ts = c.name("timestamp").map(|m| m.as_str());
                let rest = match m.prefix {
                    true => &line[c.get(0).map_or(0, |m| m.end())..],
                    false => c.name("message").map_or("", |m| m.as_str()),
                };
                let mut inner = self.frame_records(rest, true);
                inner.wrapper = Some(w);
                inner.timestamp = inner.timestamp.or(ts);
                inner.stream = c.name("source").map(|m| m.as_str());
                inner.partial = c.name("partial").is_some();
                return inner;
            }
        }
        fr
    }

    /// Frames `line` with the record grammars (`all`), or as bare.
    fn frame_records<'a>(&self, line: &'a str, all: bool) -> Framed<'a> {
        if all {
            return match self.frame_fast(line, false) {
                Some(fr) => fr,
                None => self.records_by_set(line),
            };
        }
        self.as_bare(line)
    }

    /// The record grammars' framing of `line`, by the grammar set.
    fn records_by_set<'a>(&self, line: &'a str) -> Framed<'a> {
        let matched = self.all_set().matches(line);
        self.first_record(line, |si| matched.matched(si))
    }

    /// The first record grammar by priority whose pattern matched
    /// (`matched`, by index in `record_set_idx`) and that frames `line`, or bare.
    fn first_record<'a>(&self, line: &'a str, matched: impl Fn(usize) -> bool) -> Framed<'a> {
        for (si, &gi) in self.record_set_idx.iter().enumerate() {
            if matched(si) {
                if let Some(f) = self.try_record(gi, line) {
                    return f;
                }
            }
        }
        self.as_bare(line)
    }

    fn as_bare<'a>(&self, line: &'a str) -> Framed<'a> {
        Framed {
            grammar: self.bare,
            wrapper: None,
            timestamp: None,
            level: None,
            logger: None,
            pid: None,
            stream: None,
            partial: false,
            body: line,
            message: line,
        }
    }

    fn try_record<'a>(&self, i: usize, line: &'a str) -> Option<Framed<'a>> {
        let g = &self.all[i];
        if let Some(fast) = g.fast {
            match fast(line, &mut fast::Seen::default()) {
                fast::Fast::No => return None,
                fast::Fast::Yes(p) => return Some(fast::framed_by(i, line, p)),
                fast::Fast::Ask => {}
            }
        }
        let m = g.matcher();
        let c = m.regex.captures(line)?;
        let get = |n: &str| c.name(n).map(|m| m.as_str());
        let message = match m.prefix {
            true => &line[c.get(0).map_or(0, |m| m.end())..],
            false => get("message").unwrap_or(""),
        };
        Some(Framed {
            grammar: i,
            wrapper: None,
            timestamp: get("timestamp"),
            level: get("level"),
            logger: get("logger"),
            pid: get("pid"),
            stream: None,
            partial: false,
            body: line,
            message,
        })
    }

    /// The timestamp of a framed line in ISO 8601 (`2024-05-01T12:00:00.123`)
    /// when the grammar's format (or a common fallback) reads it; otherwise
    /// Frames a line as the record stage reads it: its text, or the text
    /// of the JSON object it holds, whose collector names the line's stream
    /// as a wrapper grammar does.
    pub fn frame_read<'a>(
        &self,
        line: &'a crate::frame::ReadLine<'_>,
        forced: Option<usize>,
    ) -> Framed<'a> {
        let mut framed = self.frame(line.text(), forced);
        if let Some(stream) = line.stream() {
            framed.stream = Some(stream);
        }
        framed
    }

    /// the text as written.
    pub fn normalize_timestamp(&self, framed: &Framed<'_>) -> Option<String> {
        let ts = framed.timestamp?;
        let formats = [
            self.all[framed.grammar].timestamp_format.as_deref(),
            framed
                .wrapper
                .and_then(|w| self.all[w].timestamp_format.as_deref()),
        ];
        normalize_timestamp(ts, formats.iter().flatten().copied())
    }
}

/// The usual end of a pattern: the message is the rest of the line.
pub(crate) const MESSAGE_TO_END: &str = "(?P<message>.*)$";

impl Grammar {
    /// The compiled pattern. A user's grammar was compiled (and checked)
    /// when it was loaded; a built-in one is compiled here, and its test
    /// guarantees that it compiles.
    pub fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            Regex::new(&self.def.pattern).expect("a built-in grammar's pattern compiles")
        })
    }

    /// The pattern used to decide whether a line matches: the prefix alone
    /// when the message runs to the end of the line.
    fn matcher(&self) -> &Matcher {
        self.matcher.get_or_init(|| {
            let prefix = (self.prefix_pattern().len() < self.def.pattern.len())
                .then(|| Regex::new(self.prefix_pattern()).ok())
                .flatten();
            let (regex, prefix) = match prefix {
                Some(r) => (r, true),
                None => (self.regex().clone(), false),
            };
            Matcher { regex, prefix }
        })
    }

    /// The pattern without its final `(?P<message>.*)$`, as the matcher's
    /// regex is when that compiles.
    fn prefix_pattern(&self) -> &str {
        self.def
            .pattern
            .strip_suffix(MESSAGE_TO_END)
            .filter(|p| !p.is_empty())
            .unwrap_or(&self.def.pattern)
    }

    /// A grammar read from its file, not compiled yet.
    fn new(def: GrammarFile, file: String) -> Grammar {
        Grammar {
            fast: fast::matcher_for(&def.pattern),
            def,
            file,
            regex: OnceLock::new(),
            matcher: OnceLock::new(),
            levelled: OnceLock::new(),
        }
    }
}

#[cfg(test)]
mod tests;

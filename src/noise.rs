//! Noise control: configuration, filters, baselines, owners (after the
//! aggregate stage, before rendering).
//!
//! # Brief overview
//! * [`Config`] reads `[tool.aiolog]` from the nearest `pyproject.toml`, or
//!   `aiolog.toml`; an unknown key is an error that names the key and the
//!   file, with a suggestion when it is a near miss.
//! * [`Filter`] keeps or drops findings one by one: rule selection
//!   (`select`/`ignore` by code or prefix, as ruff does), kinds, file globs,
//!   function names, a time range, findings during shutdown.
//! * [`fingerprint`] identifies a finding across runs (kind, rule, site,
//!   subject; anchored on the source statement when the source was read, so
//!   that unrelated line shifts do not change it); baselines are lists of them.
//! * [`Owners`] applies a `CODEOWNERS` file, last matching rule wins.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::aggregate::Group;
use crate::correlate::Finding;
use crate::kinds::Kind;
use crate::source::analyze::Evidence;

/// Keys of `[tool.aiolog]`.
pub const KEYS: &[&str] = &[
    "src",
    "path-map",
    "min-seconds",
    "select",
    "ignore",
    "ignore-files",
    "ignore-functions",
    "severity",
    "baseline",
];

/// Settings from a configuration file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// The file they came from.
    pub file: Option<PathBuf>,
    /// `src`.
    pub src: Vec<PathBuf>,
    /// `path-map`.
    pub path_map: Vec<String>,
    /// `min-seconds`.
    pub min_seconds: Option<f64>,
    /// `select`: codes or prefixes to keep.
    pub select: Vec<String>,
    /// `ignore`: codes or prefixes to drop.
    pub ignore: Vec<String>,
    /// `ignore-files`: globs over the site's path.
    pub ignore_files: Vec<String>,
    /// `ignore-functions`: globs over the site's function or the subject.
    pub ignore_functions: Vec<String>,
    /// `severity`: code → `error`, `warning` or `note`.
    pub severity: BTreeMap<String, String>,
    /// `baseline`: a baseline file.
    pub baseline: Option<PathBuf>,
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + (ca != *cb) as usize)
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The known key closest to `key`, if it is a near miss.
pub fn did_you_mean(key: &str, known: &[&str]) -> Option<String> {
    known
        .iter()
        .map(|k| (levenshtein(key, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k.to_string())
}

impl Config {
    /// The configuration that applies in `dir`: the nearest `aiolog.toml`,
    /// or `pyproject.toml` with a `[tool.aiolog]` table, searching upwards.
    pub fn discover(dir: &Path) -> Result<Config, String> {
        let mut d = Some(dir);
        while let Some(here) = d {
            let own = here.join("aiolog.toml");
            if own.is_file() {
                return Config::load(&own);
            }
            let py = here.join("pyproject.toml");
            if py.is_file() {
                let text =
                    std::fs::read_to_string(&py).map_err(|e| format!("{}: {e}", py.display()))?;
                if text.contains("[tool.aiolog") {
                    return Config::load(&py);
                }
            }
            d = here.parent();
        }
        Ok(Config::default())
    }

    /// Reads one file: `aiolog.toml` (keys at the top) or `pyproject.toml`
    /// (keys under `[tool.aiolog]`).
    pub fn load(path: &Path) -> Result<Config, String> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
        let value: toml::Table = text.parse().map_err(|e| format!("{name}: {e}"))?;
        let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
        let table = if is_pyproject {
            match value.get("tool").and_then(|t| t.get("aiolog")) {
                Some(toml::Value::Table(t)) => t.clone(),
                _ => return Ok(Config::default()),
            }
        } else {
            value
        };
        let section = if is_pyproject {
            "[tool.aiolog]"
        } else {
            "the top level"
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let mut c = Config {
            file: Some(path.to_path_buf()),
            ..Config::default()
        };
        for (key, v) in &table {
            let strings = |v: &toml::Value| -> Result<Vec<String>, String> {
                v.as_array()
                    .ok_or_else(|| {
                        format!("{name}: `{key}` in {section} must be a list of strings")
                    })?
                    .iter()
                    .map(|x| {
                        x.as_str().map(str::to_string).ok_or_else(|| {
                            format!("{name}: `{key}` in {section} must be a list of strings")
                        })
                    })
                    .collect()
            };
            match key.as_str() {
                "src" => c.src = strings(v)?.into_iter().map(|s| base.join(s)).collect(),
                "path-map" => c.path_map = strings(v)?,
                "min-seconds" => {
                    c.min_seconds = Some(
                        v.as_float()
                            .or_else(|| v.as_integer().map(|i| i as f64))
                            .ok_or_else(|| {
                                format!("{name}: `min-seconds` in {section} must be a number")
                            })?,
                    )
                }
                "select" => c.select = strings(v)?,
                "ignore" => c.ignore = strings(v)?,
                "ignore-files" => c.ignore_files = strings(v)?,
                "ignore-functions" => c.ignore_functions = strings(v)?,
                "baseline" => {
                    c.baseline = Some(base.join(v.as_str().ok_or_else(|| {
                        format!("{name}: `baseline` in {section} must be a path")
                    })?))
                }
                "severity" => {
                    let t = v.as_table().ok_or_else(|| {
                        format!(
                            "{name}: `severity` in {section} must be a table of CODE = \"level\""
                        )
                    })?;
                    for (code, level) in t {
                        let level = level.as_str().unwrap_or("");
                        if !["error", "warning", "note"].contains(&level) {
                            return Err(format!(
                                "{name}: severity of {code} must be \"error\", \"warning\" or \"note\", not {level:?}"
                            ));
                        }
                        if crate::rules::by_code(code).is_none() {
                            return Err(format!(
                                "{name}: severity names no rule `{code}` (see `aiolog rules`)"
                            ));
                        }
                        c.severity
                            .insert(code.to_ascii_uppercase(), level.to_string());
                    }
                }
                other => {
                    let hint = did_you_mean(other, KEYS)
                        .map_or(String::new(), |k| format!("; did you mean `{k}`?"));
                    return Err(format!("{name}: unknown key `{other}` in {section}{hint}"));
                }
            }
        }
        Ok(c)
    }
}

/// A shell-style glob: `*` within a path segment, `**` across segments, `?`
/// one character. A pattern without `/` matches the last segment (a file
/// name or function name) as well as the whole text.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    fn rec(p: &[u8], t: &[u8]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some(b'*') if p.get(1) == Some(&b'*') => {
                let rest = p[2..].strip_prefix(b"/").unwrap_or(&p[2..]);
                (0..=t.len()).any(|i| rec(rest, &t[i..]))
            }
            Some(b'*') => (0..=t.len())
                .take_while(|&i| i == 0 || t[i - 1] != b'/')
                .any(|i| rec(&p[1..], &t[i..])),
            Some(b'?') => !t.is_empty() && t[0] != b'/' && rec(&p[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && rec(&p[1..], &t[1..]),
        }
    }
    rec(pattern.as_bytes(), text.as_bytes())
        || (!pattern.contains('/')
            && rec(
                pattern.as_bytes(),
                text.rsplit('/').next().unwrap_or(text).as_bytes(),
            ))
}

/// What `--select`, `--ignore`, `--fail-on` and the configuration's
/// `select`/`ignore` name: one reading for all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleSelector {
    /// `all` (`--fail-on` only).
    All,
    /// A kind's name, such as `never_awaited` (`--fail-on` only).
    Kind(Kind),
    /// A rule code or a prefix of codes (`AIO1`, `aio101`), upper-cased; it
    /// names at least one rule, and `AIO` names them all.
    Code(String),
}

impl RuleSelector {
    /// A code or code prefix that names at least one rule.
    pub fn code(text: &str) -> Option<RuleSelector> {
        let up = text.to_ascii_uppercase();
        (up.len() >= 3 && crate::rules::RULES.iter().any(|r| r.code.starts_with(&up)))
            .then_some(RuleSelector::Code(up))
    }

    /// `all`, a kind's name, or a code or code prefix.
    pub fn parse(text: &str) -> Option<RuleSelector> {
        if text == "all" {
            return Some(RuleSelector::All);
        }
        if let Some(k) = Kind::ALL.iter().find(|k| k.as_str() == text) {
            return Some(RuleSelector::Kind(*k));
        }
        RuleSelector::code(text)
    }

    /// Whether a finding of this rule code and kind is selected.
    pub fn matches(&self, code: &str, kind: Kind) -> bool {
        match self {
            RuleSelector::All => true,
            RuleSelector::Kind(k) => *k == kind,
            RuleSelector::Code(prefix) => code.starts_with(prefix.as_str()),
        }
    }
}

/// Which findings to keep.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Codes or prefixes to keep (empty: all).
    pub select: Vec<RuleSelector>,
    /// Codes or prefixes to drop.
    pub ignore: Vec<RuleSelector>,
    /// Kinds to keep (empty: all).
    pub kinds: Vec<Kind>,
    /// Globs over the site path: keep only these (empty: all).
    pub files: Vec<String>,
    /// Globs over the site path: drop these.
    pub ignore_files: Vec<String>,
    /// Function names (globs): keep only these (empty: all).
    pub functions: Vec<String>,
    /// Function names (globs): drop these.
    pub ignore_functions: Vec<String>,
    /// ISO 8601 lower bound on the timestamp.
    pub since: Option<String>,
    /// ISO 8601 upper bound on the timestamp.
    pub until: Option<String>,
    /// Drop findings during shutdown.
    pub no_shutdown: bool,
}

impl Filter {
    /// Whether no filter drops anything. (Every field is named, so that a
    /// new filter cannot be forgotten here.)
    pub fn drops_nothing(&self) -> bool {
        let Filter {
            select,
            ignore,
            kinds,
            files,
            ignore_files,
            functions,
            ignore_functions,
            since,
            until,
            no_shutdown,
        } = self;
        select.is_empty()
            && ignore.is_empty()
            && kinds.is_empty()
            && files.is_empty()
            && ignore_files.is_empty()
            && functions.is_empty()
            && ignore_functions.is_empty()
            && since.is_none()
            && until.is_none()
            && !no_shutdown
    }

    /// Whether a finding stays.
    pub fn keep(&self, f: &Finding) -> bool {
        let by_code = |sel: &RuleSelector| sel.matches(f.code, f.kind);
        if !self.select.is_empty() && !self.select.iter().any(by_code) {
            return false;
        }
        if self.ignore.iter().any(by_code) {
            return false;
        }
        if !self.kinds.is_empty() && !self.kinds.contains(&f.kind) {
            return false;
        }
        let path = f.site.as_ref().map(|s| s.path.as_str()).unwrap_or("");
        if !self.files.is_empty() && !self.files.iter().any(|g| glob_match(g, path)) {
            return false;
        }
        if self.ignore_files.iter().any(|g| glob_match(g, path)) {
            return false;
        }
        let names: Vec<&str> = [
            f.site.as_ref().and_then(|s| s.function.as_deref()),
            f.subject.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let named = |globs: &[String]| globs.iter().any(|g| names.iter().any(|n| glob_match(g, n)));
        if !self.functions.is_empty() && !named(&self.functions) {
            return false;
        }
        if named(&self.ignore_functions) {
            return false;
        }
        if let Some(ts) = &f.timestamp {
            if self.since.as_ref().is_some_and(|s| ts < s)
                || self.until.as_ref().is_some_and(|u| ts > u)
            {
                return false;
            }
        } else if self.since.is_some() || self.until.is_some() {
            // A time range asks for findings the log dates.
            return false;
        }
        !(self.no_shutdown && f.during_shutdown)
    }
}

/// A `--since`/`--until` value as the ISO 8601 form timestamps take
/// (`2024-05-01T12:00:00.000`); a date alone is its midnight.
pub fn parse_time(s: &str) -> Result<String, String> {
    let s = s.trim();
    let full = if s.len() == 10 {
        format!("{s} 00:00:00")
    } else {
        s.to_string()
    };
    crate::grammar::normalize_timestamp(&full, std::iter::empty())
        .filter(|n| n.contains('T') && n.len() == 23)
        .ok_or_else(|| format!("{s:?} is not a time like 2024-05-01 or 2024-05-01T12:30:00"))
}

/// FNV-1a, 64 bits, over the parts with a NUL after each: small and stable
/// across platforms and versions (baselines and SARIF fingerprints).
pub fn hash_parts(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The stable fingerprint of a finding group: kind, rule, site path,
/// function and subject, anchored on the source statement when it was read
/// (so that unrelated line shifts do not change it), else on the line.
pub fn fingerprint(g: &Group, ev: Option<&Evidence>) -> String {
    let (path, line, func) = match &g.key.site {
        Some(s) => (
            s.path.as_str(),
            s.line.to_string(),
            s.function.as_deref().unwrap_or(""),
        ),
        None => ("", String::new(), ""),
    };
    let anchor = ev
        .filter(|e| e.source == crate::source::analyze::SourceStatus::Read)
        .and_then(|e| {
            e.code
                .iter()
                .find(|c| c.line.to_string() == line)
                .map(|c| c.text.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .unwrap_or(line);
    hash_parts(&[
        g.key.kind.as_str(),
        g.code,
        path,
        func,
        g.subject.as_deref().unwrap_or(""),
        &anchor,
        if g.key.shutdown { "shutdown" } else { "" },
    ])
}

/// A CODEOWNERS file.
#[derive(Debug, Clone, Default)]
pub struct Owners {
    rules: Vec<(String, Vec<String>)>,
    /// Where it was found.
    pub file: Option<PathBuf>,
}

impl Owners {
    /// The CODEOWNERS of `root`, in GitHub's places (`.github/`, the root,
    /// `docs/`), if any.
    pub fn discover(root: &Path) -> Owners {
        for rel in [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"] {
            let p = root.join(rel);
            if let Ok(text) = std::fs::read_to_string(&p) {
                let mut o = Owners::parse(&text);
                o.file = Some(p);
                return o;
            }
        }
        Owners::default()
    }

    /// Parses CODEOWNERS text: `PATTERN OWNER…` per line, `#` comments.
    pub fn parse(text: &str) -> Owners {
        let rules = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                let pattern = w.next()?.to_string();
                Some((pattern, w.map(str::to_string).collect()))
            })
            .collect();
        Owners { rules, file: None }
    }

    /// The owners of a path relative to the repository root: the last
    /// matching rule wins, as on GitHub.
    pub fn of(&self, rel: &str) -> Vec<String> {
        let rel = rel.trim_start_matches("./").trim_start_matches('/');
        self.rules
            .iter()
            .rev()
            .find(|(p, _)| codeowners_match(p, rel))
            .map(|(_, o)| o.clone())
            .unwrap_or_default()
    }
}

/// GitHub's CODEOWNERS matching (gitignore-like): `/x` is anchored at the
/// root, a pattern without a `/` inside matches at any depth, `dir/` matches
/// everything below it.
fn codeowners_match(pattern: &str, rel: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let anchored = pattern.starts_with('/') || pattern.trim_end_matches('/').contains('/');
    let p = pattern.trim_start_matches('/');
    let dir = p.ends_with('/');
    let p = p.trim_end_matches('/');
    let candidates: Vec<&str> = if anchored {
        vec![rel]
    } else {
        // Any suffix of the path that starts at a segment.
        let mut v = vec![rel];
        v.extend(rel.match_indices('/').map(|(i, _)| &rel[i + 1..]));
        v
    };
    candidates.iter().any(|c| {
        // The pattern names the path or one of its parent directories.
        let mut prefix = String::new();
        for (i, seg) in c.split('/').enumerate() {
            if i > 0 {
                prefix.push('/');
            }
            prefix.push_str(seg);
            let whole = prefix.len() == c.len();
            if glob_match_exact(p, &prefix) && (!dir || !whole) {
                return true;
            }
        }
        false
    })
}

fn glob_match_exact(pattern: &str, text: &str) -> bool {
    // `glob_match` without its last-segment rule.
    if pattern.contains('/') {
        glob_match(pattern, text)
    } else {
        !text.contains('/') && glob_match(pattern, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_reading_of_rule_selectors() {
        use RuleSelector as S;
        assert_eq!(S::code("aio1"), Some(S::Code("AIO1".into())));
        assert_eq!(S::code("AIO"), Some(S::Code("AIO".into())));
        assert_eq!(S::code("AI"), None);
        assert_eq!(S::code("AIO9"), None);
        assert_eq!(S::code("all"), None);
        assert_eq!(S::parse("all"), Some(S::All));
        assert_eq!(S::parse("never_awaited"), Some(S::Kind(Kind::NeverAwaited)));
        let code = crate::rules::RULES[0].code;
        assert!(S::code(code).unwrap().matches(code, Kind::SlowCallback));
        assert!(S::Kind(Kind::NeverAwaited).matches("AIO999", Kind::NeverAwaited));
        assert!(!S::Code("AIO2".into()).matches("AIO101", Kind::SlowCallback));
    }

    #[test]
    fn globs() {
        assert!(glob_match("**/cpu_work.py", "/app/cpu_work.py"));
        assert!(glob_match("cpu_*.py", "/app/cpu_work.py"));
        assert!(glob_match("flush_*", "flush_metrics"));
        assert!(glob_match("/app/**", "/app/a/b.py"));
        assert!(!glob_match("/app/*.py", "/app/a/b.py"));
        assert!(!glob_match("flush_*", "rotate_logs"));
    }

    #[test]
    fn codeowners_last_match_wins() {
        let o = Owners::parse("# comment\n* @everyone\n*.py @python\n/app/ @app-team\napp/billing/ @billing\ndocs/*.md @docs\n");
        assert_eq!(o.of("app/api.py"), vec!["@app-team"]);
        assert_eq!(o.of("app/billing/pay.py"), vec!["@billing"]);
        assert_eq!(o.of("lib/x.py"), vec!["@python"]);
        assert_eq!(o.of("README"), vec!["@everyone"]);
        assert_eq!(o.of("docs/a.md"), vec!["@docs"]);
        assert_eq!(o.of("docs/sub/a.md"), vec!["@everyone"]);
    }

    #[test]
    fn near_misses_are_suggested() {
        assert_eq!(did_you_mean("ignor", KEYS).as_deref(), Some("ignore"));
        assert_eq!(
            did_you_mean("min_seconds", KEYS).as_deref(),
            Some("min-seconds")
        );
        assert_eq!(did_you_mean("colour", KEYS), None);
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("2024-05-01").unwrap(), "2024-05-01T00:00:00.000");
        assert_eq!(
            parse_time("2024-05-01 12:30:00").unwrap(),
            "2024-05-01T12:30:00.000"
        );
        assert!(parse_time("yesterday").is_err());
    }
}

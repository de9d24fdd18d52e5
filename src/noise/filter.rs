//! Which findings to keep: one rule selector ([`RuleSelector`]) and the
//! filters of the command line and the configuration ([`Filter`]).

use crate::correlate::Finding;
use crate::kinds::Kind;

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
        let names = [
            f.site.as_ref().and_then(|s| s.function.as_deref()),
            f.subject.as_deref(),
        ];
        let named = |globs: &[String]| {
            globs
                .iter()
                .any(|g| names.iter().flatten().any(|n| glob_match(g, n)))
        };
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
    fn times() {
        assert_eq!(parse_time("2024-05-01").unwrap(), "2024-05-01T00:00:00.000");
        assert_eq!(
            parse_time("2024-05-01 12:30:00").unwrap(),
            "2024-05-01T12:30:00.000"
        );
        assert!(parse_time("yesterday").is_err());
    }
}

//! The rule catalog: one stable code per kind of finding, with what it
//! detects, why it hurts and how to fix it. Each kind's file holds its rules
//! ([`crate::kinds`]); this module lists them by code for the renderers
//! (SARIF rules, Markdown, the brief), `aiolog rules` and `explain`.
//!
//! Codes are never reused: AIO1xx blocking the event loop, AIO2xx
//! coroutines never awaited, AIO3xx task lifecycle, AIO4xx exceptions.

use serde::Serialize;

use crate::kinds::Kind;

/// One rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable code, e.g. `AIO101`.
    pub code: &'static str,
    /// kebab-case name.
    pub name: &'static str,
    /// The kind of finding it covers.
    pub kind: Kind,
    /// One line.
    pub summary: &'static str,
    /// Why it hurts.
    pub why: &'static str,
    /// What to change.
    pub fix: &'static str,
    /// A log excerpt that this rule reports.
    pub example_log: &'static str,
    /// Python code before and after the fix.
    pub example_fix: &'static str,
}

/// Every rule, by code: each kind's ([`crate::kinds::KindSpec::RULES`]).
pub static RULES: std::sync::LazyLock<Vec<Rule>> = std::sync::LazyLock::new(|| {
    let mut all: Vec<Rule> = Kind::ALL
        .iter()
        .flat_map(|k| k.rules().iter().copied())
        .collect();
    all.sort_by_key(|r| r.code);
    all
});

/// A rule by code.
pub fn by_code(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_well_formed_and_cover_every_kind() {
        let mut codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), RULES.len());
        assert!(
            RULES.windows(2).all(|w| w[0].code < w[1].code),
            "RULES is listed by code"
        );
        for r in RULES.iter() {
            assert!(r.code.len() == 6 && r.code.starts_with("AIO"), "{}", r.code);
            assert!(!r.summary.ends_with('.') && !r.why.is_empty() && !r.fix.is_empty());
        }
        for &k in Kind::ALL {
            assert!(RULES.iter().any(|r| r.kind == k), "{k}");
            assert!(k.rules().iter().all(|r| r.kind == k), "{k}'s rules name it");
        }
        assert_eq!(by_code("aio201").unwrap().kind, Kind::NeverAwaited);
    }
}

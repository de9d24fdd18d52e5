//! A kind that exists only in unit tests, to prove the recipe in
//! [`crate::kinds`]: this file and one registry line are all it takes for
//! the scanner, the event dispatcher, correlation, ranking, the rule
//! catalog, `--kind`, the live line, the brief and the source evidence to
//! know a kind.
//!
//! Its records are lines no interpreter prints:
//! `Leaked test widget NAME at PATH:LINE`.

use super::{KindSpec, Placed, Tally};
use crate::aggregate::{times, Group};
use crate::correlate::{loc_site, Basis, Finding};
use crate::event::{repr, Location, Unrecognized};
use crate::rules::Rule;
use crate::source::analyze::{Confidence, Reading};

const MARKER: &str = "Leaked test widget ";

/// `Leaked test widget NAME at PATH:LINE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestKind {
    /// The widget.
    pub widget: String,
    /// Where it leaked.
    pub location: Option<Location>,
}

impl KindSpec for TestKind {
    const NAME: &'static str = "test_kind";
    const TITLE: &'static str = "Widgets leaked (a test kind)";
    const HELP: &'static str = "Leaked widgets (unit tests only)";
    const MARKERS: &'static [&'static str] = &[MARKER];
    const TABLE_NOTE: &'static str = "Ranked by count.";
    const RULES: &'static [Rule] = &[Rule {
        code: "AIO899",
        name: "test-widget-leaked",
        kind: super::Kind::TestKind,
        summary: "a widget leaked",
        why: "Widgets are finite.",
        fix: "Return the widget.",
        example_log: "Leaked test widget w1 at /app/t.py:2",
        example_fix: "# before\nw = take()\n# after\nwith take() as w: ...",
    }];

    fn parse(first: &str, _text: &str) -> Option<Result<Self, Unrecognized>> {
        let rest = &first[first.find(MARKER)? + MARKER.len()..];
        Some(
            (|| {
                let (widget, at) = rest.split_once(" at ")?;
                Some(TestKind {
                    widget: widget.to_string(),
                    location: Some(repr::location(at.trim())?),
                })
            })()
            .ok_or_else(|| Unrecognized::new("test-kind line that does not parse")),
        )
    }

    fn subject(&self) -> Option<String> {
        Some(self.widget.clone())
    }

    fn location(&self) -> Option<Location> {
        self.location.clone()
    }

    fn site(&self) -> Placed {
        match self.location.as_ref().and_then(|l| loc_site(l, None)) {
            Some(site) => (Some(site), Basis::WarningLine, None),
            None => (None, Basis::Unknown, None),
        }
    }

    fn why(g: &Group, short: &str) -> String {
        format!("leaked {}; {short}", times(g.count))
    }

    fn live(_f: &Finding, subject: &str) -> String {
        format!("widget {subject} leaked")
    }

    fn symptom(t: &Tally) -> String {
        format!("- {} widget(s) leaked at {} site(s).", t.events, t.sites)
    }

    fn questions(_g: &Group, site: &str) -> Vec<String> {
        vec![format!("Who returns the widget taken at {site}?")]
    }

    fn evidence(r: &mut Reading<'_>) {
        r.statement_only();
        if r.ev.statement.as_deref().is_some_and(|s| s.contains("take(")) {
            r.ev.confidence = Confidence::ConfirmedInSource;
            r.ev.summary = format!("{}:{} takes a widget", r.site.path, r.line);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::aggregate::Aggregator;
    use crate::grammar::Grammars;
    use crate::kinds::Kind;
    use crate::pipeline::{analyze_bytes, Options};
    use crate::source::analyze::{Analyzer, Confidence, SourceStatus};
    use crate::source::Roots;

    /// One file and one registry line: every stage knows the kind.
    #[test]
    fn a_new_kind_is_one_file_and_one_registry_line() {
        let dir = std::env::temp_dir().join(format!("aiolog-test-kind-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("t.py"), "import widgets\nw = widgets.take()\n").unwrap();
        let path = dir.join("t.py");
        let log = format!(
            "app started\n2024-05-01 10:00:00,000 WARNING Leaked test widget w1 at {}:2\nGET / 200\n",
            path.display()
        );

        // Scan, records, events, correlation: the line is a finding.
        let grammars = Grammars::builtin().unwrap();
        let (findings, stats) = analyze_bytes("t.log", log.as_bytes(), &grammars, Options::default());
        assert!(stats.balanced(), "{stats:?}");
        assert_eq!(stats.records, 1, "{stats:?}");
        let [f] = &findings[..] else {
            panic!("{findings:?}")
        };
        assert_eq!(f.kind, Kind::TestKind);
        assert_eq!(f.code, "AIO899");
        assert_eq!(f.site.as_ref().unwrap().line, 2);

        // The command line's name, the rule catalog, the wording.
        assert_eq!(Kind::from_name("test_kind"), Some(Kind::TestKind));
        assert_eq!(crate::rules::by_code("aio899").unwrap().kind, Kind::TestKind);
        assert!(crate::render::live_line(f).ends_with("test_kind: widget w1 leaked"));

        // Aggregation and ranking.
        let mut agg = Aggregator::new();
        agg.add(f);
        let ranked = agg.ranked();
        assert_eq!(ranked.len(), 1);
        assert!(ranked[0].why.starts_with("leaked once; "), "{}", ranked[0].why);

        // Source evidence.
        let roots = Roots::new(std::slice::from_ref(&dir), &[]).unwrap();
        let ev = Analyzer::new(roots, 1).evidence(&ranked[0].group);
        assert_eq!(ev.source, SourceStatus::Read);
        assert_eq!(ev.confidence, Confidence::ConfirmedInSource);
        assert_eq!(ev.statement.as_deref(), Some("w = widgets.take()"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

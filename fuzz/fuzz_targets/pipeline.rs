//! The whole pipeline and every renderer on arbitrary input: no panic, valid
//! JSON, and no raw control character in the human formats.
#![no_main]
use aiolog::aggregate::Aggregator;
use aiolog::grammar::Grammars;
use aiolog::pipeline::{analyze_bytes, Options};
use aiolog::render;
use aiolog::report::Report;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static G: OnceLock<Grammars> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let g = G.get_or_init(|| Grammars::builtin().unwrap());
    let (findings, stats) = analyze_bytes("fuzz.log", data, g, Options::default());
    assert!(stats.balanced());
    let mut agg = Aggregator::new();
    for f in &findings {
        agg.add(f);
        assert!(!render::live_line(f).chars().any(|c| c.is_control()));
    }
    // The per-host figures of a fleet's report are rendered too.
    agg.assign_host("fuzz-host");
    let ranked = agg.ranked();
    let report = Report {
        inputs: vec!["fuzz.log".into()],
        stats,
        evidence: vec![None; ranked.len()],
        ranked,
        events: agg.events,
        interrupted: false,
        timeline: agg.timeline(),
        owners: Vec::new(),
        severity: Default::default(),
        baseline_hidden: None,
        withheld: Default::default(),
        by_host: true,
    };
    let json = render::json::document(&report);
    let _: serde_json_check::Value = serde_json_check::from_str(&json.to_string()).unwrap();
    let md = render::markdown::to_markdown(&report);
    assert!(!md.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
    let html = render::html::to_html(&report);
    assert!(!html.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
    let _ = render::brief::to_brief(&report);
    let _ = render::sarif::sarif(&report);
});

//! Real asyncio output pasted in public bug reports (tests/corpus/, see its
//! README): aiolog must find in each excerpt what EXPECTED.jsonl lists.
//!
//! Each expected finding is compared on (kind, subject, location,
//! created_at, duration_s) with its count, for every file and every kind.

use crate::common::StreamTester;
use aiolog::grammar::Grammars;
use aiolog::pipeline::{analyze_bytes, Options};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

type Row = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn entries() -> Vec<Value> {
    std::fs::read_to_string(corpus().join("EXPECTED.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn expected(entry: &Value, only: Option<&[&str]>) -> BTreeMap<Row, u64> {
    let mut m = BTreeMap::new();
    for f in entry["findings"].as_array().unwrap() {
        let kind = f["kind"].as_str().unwrap().to_string();
        if only.is_some_and(|k| !k.contains(&kind.as_str())) {
            continue;
        }
        let s = |k: &str| f[k].as_str().map(str::to_string);
        let dur = f["duration_s"].as_f64().map(|d| format!("{d:.3}"));
        *m.entry((kind, s("subject"), s("location"), s("created_at"), dur))
            .or_default() += f["count"].as_u64().unwrap();
    }
    m
}

fn found(file: &str) -> BTreeMap<Row, u64> {
    let g = Grammars::builtin().unwrap();
    let data = std::fs::read(corpus().join(file)).unwrap();
    // Read every way the analyzer can be fed (tests/common/stream.rs).
    let (findings, stats) = StreamTester::new(file, &data, &g).run();
    assert!(stats.balanced(), "{file}: {stats:?}");
    let mut m = BTreeMap::new();
    for f in findings {
        let row = (
            f.kind.as_str().to_string(),
            f.subject.clone(),
            f.location.as_ref().map(|l| l.to_string()),
            f.created_at.as_ref().map(|l| l.to_string()),
            f.seconds.map(|d| format!("{d:.3}")),
        );
        *m.entry(row).or_default() += 1;
    }
    m
}

#[test]
fn every_file_gives_exactly_its_expected_findings() {
    let mut failures = Vec::new();
    for e in entries() {
        let file = e["file"].as_str().unwrap();
        let (want, got) = (expected(&e, None), found(file));
        if got != want {
            failures.push(format!("{file}\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} corpus files differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn no_corpus_file_leaves_an_asyncio_record_unread() {
    let g = Grammars::builtin().unwrap();
    for e in entries() {
        let file = e["file"].as_str().unwrap();
        let data = std::fs::read(corpus().join(file)).unwrap();
        let (_, stats) = analyze_bytes(file, &data, &g, Options::default());
        assert_eq!(
            stats.unrecognized_records, 0,
            "{file}: {:?}",
            stats.unrecognized_samples
        );
    }
}

#[test]
fn negative_control_has_no_findings_and_every_line_passes_through() {
    let g = Grammars::builtin().unwrap();
    let data = std::fs::read(corpus().join("052-rosys-example-log-negative-control.log")).unwrap();
    let (findings, stats) = StreamTester::new("052", &data, &g).run();
    assert!(findings.is_empty());
    assert_eq!(stats.passed_through, stats.lines);
    assert_eq!(stats.lines, 30);
}

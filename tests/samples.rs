//! Every sample log, produced by a real CPython from a scenario script, gives
//! exactly the findings its script declares in `# expect:` comments.

use crate::common::*;

#[test]
fn every_scenario_declares_findings_and_has_both_logs() {
    let scenarios = scenarios();
    assert!(scenarios.len() >= 8, "at least eight scenarios");
    for s in &scenarios {
        assert!(
            !expected_from_scenario(s).is_empty() || expects_none(s),
            "{} declares no finding (a negative control says `# expect-none`)",
            s.display()
        );
        for v in variants_of(s) {
            let log = root()
                .join("samples")
                .join(format!("{}{v}", s.file_stem().unwrap().to_string_lossy()));
            assert!(log.is_file(), "missing {}", log.display());
        }
    }
}

#[test]
fn each_sample_log_gives_exactly_the_declared_findings() {
    for s in scenarios() {
        let want = expected_from_scenario(&s);
        for v in variants_of(&s) {
            let log = root()
                .join("samples")
                .join(format!("{}{v}", s.file_stem().unwrap().to_string_lossy()));
            let doc = run_json(&[log.to_str().unwrap()]);
            assert_eq!(summarize(&doc), want, "{}", log.display());
            let input = &doc["input"];
            assert_eq!(input["skipped_lines"], 0, "{}", log.display());
            assert_eq!(
                input["lines"].as_u64().unwrap(),
                input["parsed_lines"].as_u64().unwrap()
                    + input["passed_through_lines"].as_u64().unwrap(),
                "{}: every line is parsed or passed through",
                log.display()
            );
        }
    }
}

#[test]
fn timestamped_samples_carry_first_and_last_seen() {
    let doc = run_json(&[root()
        .join("samples/blocking_sleep.timestamped.log")
        .to_str()
        .unwrap()]);
    let f = &doc["findings"][0];
    let (first, last) = (
        f["first_seen"].as_str().unwrap(),
        f["last_seen"].as_str().unwrap(),
    );
    assert!(first.len() == 23 && first.contains('T'), "{first}");
    assert!(first < last, "{first} < {last}");
}

#[test]
fn all_samples_together_rank_blocking_sites_by_total_time() {
    let logs: Vec<String> = std::fs::read_dir(root().join("samples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let args: Vec<&str> = logs.iter().map(String::as_str).collect();
    let doc = run_json(&args);
    let slow: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "slow_callback")
        .collect();
    assert!(slow.len() >= 4);
    for pair in slow.windows(2) {
        let (a, b) = (
            pair[0]["total_seconds"].as_f64().unwrap(),
            pair[1]["total_seconds"].as_f64().unwrap(),
        );
        assert!(a >= b, "ranked by total blocked time: {a} >= {b}");
        assert_eq!(
            pair[0]["rank"].as_u64().unwrap() + 1,
            pair[1]["rank"].as_u64().unwrap()
        );
    }
    // time.sleep(0.25) twice per log, two logs: one site, counted 4 times,
    // in its place by total blocked time (checked above).
    let sleep = slow
        .iter()
        .find(|f| f["site"]["path"] == "/app/blocking_sleep.py")
        .unwrap();
    assert_eq!(sleep["count"], 4);
}

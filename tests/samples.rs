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

#[test]
fn asyncio_debug_and_info_lines_are_debug_mode_lines_in_every_version() {
    // flow_control.py logs nothing but asyncio's own DEBUG and INFO lines
    // (a server, a connection, transports and a stream protocol under flow
    // control): each line that the interpreter's logging prefix marks as
    // asyncio's must be counted as one of debug mode's lines, and the rest
    // passed through.
    let logs: Vec<_> = files_under(&root().join("samples"), "log")
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("flow_control.")
        })
        .collect();
    assert!(logs.len() >= 2 * 7, "both logs of each CPython: {logs:?}");
    for log in logs {
        let text = std::fs::read_to_string(&log).unwrap();
        for words in [
            "> is serving",
            "> connected to ",
            "> pauses reading",
            "> resumes reading",
            "> pauses writing",
            "> resumes writing",
            "> received EOF",
        ] {
            assert!(text.contains(words), "{}: no {words:?}", log.display());
        }
        let asyncio = text
            .lines()
            .filter(|l| {
                ["DEBUG:asyncio:", "INFO:asyncio:"]
                    .iter()
                    .any(|p| l.starts_with(p))
                    || [" DEBUG asyncio: ", " INFO asyncio: "]
                        .iter()
                        .any(|p| l.contains(p))
            })
            .count() as u64;
        let doc = run_json(&[log.to_str().unwrap()]);
        let input = &doc["input"];
        assert_eq!(input["debug_records"], asyncio, "{}", log.display());
        assert_eq!(
            input["passed_through_lines"],
            text.lines().count() as u64 - asyncio,
            "{}",
            log.display()
        );
    }
}

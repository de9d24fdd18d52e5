//! Records of several sources interleaved in one stream are reassembled per
//! source: three real logs (captured from CPython, see samples/), merged
//! line by line as `docker compose logs`, journald or syslog would give
//! them, yield the same findings as the three logs read apart. Kubernetes'
//! split (`P`) lines are joined.
//!
//! The prefixes are written by these tests in the collectors' formats; every
//! line after a prefix is CPython's own output, byte for byte.

use crate::common::{run_json, sample, summarize, Expect, TempDir};
use serde_json::Value;
use std::path::Path;

/// Multi-line records of every shape: exception-handler records with
/// `source_traceback:`, a traceback, and never-awaited warnings.
const LOGS: [&str; 3] = [
    "shutdown_destroyed.log",
    "exception_never_retrieved.log",
    "forgot_await_nested.log",
];

fn lines_of(name: &str) -> Vec<String> {
    std::fs::read_to_string(sample(name))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Line `i` of every log in turn, each behind `prefix(source, line)`.
fn round_robin(logs: &[Vec<String>], prefix: impl Fn(usize) -> String) -> String {
    let mut out = String::new();
    let longest = logs.iter().map(Vec::len).max().unwrap();
    for i in 0..longest {
        for (s, log) in logs.iter().enumerate() {
            if let Some(l) = log.get(i) {
                out.push_str(&prefix(s));
                out.push_str(l);
                out.push('\n');
            }
        }
    }
    out
}

fn apart() -> Vec<Expect> {
    let paths: Vec<String> = LOGS.iter().map(|n| sample(n)).collect();
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    let doc = run_json(&args);
    let f = summarize(&doc);
    assert!(f.len() >= 4, "the three logs give findings: {f:?}");
    f
}

fn analyze(dir: &Path, name: &str, text: &str) -> Value {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let doc = run_json(&["--stats", path.to_str().unwrap()]);
    let input = &doc["input"];
    assert_eq!(input["unrecognized_records"], 0, "{input}");
    let lines = text.lines().count() as u64;
    assert_eq!(input["lines"], lines, "{input}");
    let counted = input["parsed_lines"].as_u64().unwrap()
        + input["passed_through_lines"].as_u64().unwrap()
        + input["skipped_lines"].as_u64().unwrap();
    assert_eq!(counted, lines, "every line accounted for: {input}");
    doc
}

fn temp_dir() -> TempDir {
    TempDir::new("interleave")
}

fn logs() -> Vec<Vec<String>> {
    LOGS.iter().map(|n| lines_of(n)).collect()
}

#[test]
fn docker_compose_three_containers_line_by_line() {
    let dir = temp_dir();
    let names = ["api-1", "worker-1", "scheduler-1"];
    let text = round_robin(&logs(), |s| format!("{:<11} | ", names[s]));
    let doc = analyze(&dir, "compose.log", &text);
    assert_eq!(summarize(&doc), apart());
}

#[test]
fn docker_compose_with_timestamps() {
    let dir = temp_dir();
    let text = round_robin(&logs(), |s| {
        format!("svc_{}  | 2024-05-01T12:00:0{s}.123456789Z ", s + 1)
    });
    let doc = analyze(&dir, "compose-t.log", &text);
    assert_eq!(summarize(&doc), apart());
    let first = &doc["findings"][0]["first_seen"];
    assert!(
        first
            .as_str()
            .is_some_and(|t| t.starts_with("2024-05-01T12:00:0")),
        "the wrapper's timestamp is read: {first}"
    );
}

#[test]
fn journald_three_processes_on_one_host() {
    let dir = temp_dir();
    let text = round_robin(&logs(), |s| {
        format!("2024-05-01T12:00:00+0000 web1 python3[{}]: ", 800 + s)
    });
    let doc = analyze(&dir, "journal.log", &text);
    assert_eq!(summarize(&doc), apart());
}

#[test]
fn syslog_three_hosts() {
    let dir = temp_dir();
    let text = round_robin(&logs(), |s| format!("May  1 12:00:00 web{s} app[812]: "));
    let doc = analyze(&dir, "syslog.log", &text);
    assert_eq!(summarize(&doc), apart());
}

/// `journalctl -o json`: one object per line a process wrote, with its host,
/// identifier and pid.
#[test]
fn journald_json_three_processes() {
    let dir = temp_dir();
    let mut text = String::new();
    let logs = logs();
    let longest = logs.iter().map(Vec::len).max().unwrap();
    for i in 0..longest {
        for (s, log) in logs.iter().enumerate() {
            if let Some(l) = log.get(i) {
                let obj = serde_json::json!({
                    "MESSAGE": l,
                    "_HOSTNAME": "web1",
                    "SYSLOG_IDENTIFIER": "python3",
                    "_PID": format!("{}", 800 + s),
                    "PRIORITY": "3",
                });
                text.push_str(&obj.to_string());
                text.push('\n');
            }
        }
    }
    let doc = analyze(&dir, "journal.json", &text);
    assert_eq!(summarize(&doc), apart());
}

/// Without a source on each line, the same interleaving cannot be taken
/// apart: the test above would fail if aiolog ignored the sources.
#[test]
fn without_sources_the_interleaving_mixes_records() {
    let dir = temp_dir();
    let text = round_robin(&logs(), |_| String::new());
    let path = &dir.join("mixed.log");
    std::fs::write(path, text).unwrap();
    let doc = run_json(&[path.to_str().unwrap()]);
    assert_ne!(summarize(&doc), apart());
}

/// A shared log file: three processes append whole records (one write per
/// record, as logging's handlers do), so records interleave record by
/// record, and only the first line of each names its process.
#[test]
fn shared_file_record_by_record() {
    let dir = temp_dir();
    let names = [
        "shutdown_destroyed.timestamped.log",
        "exception_never_retrieved.timestamped.log",
        "forgot_await_nested.timestamped.log",
    ];
    // A write unit starts at a line that is not a continuation: not
    // indented, not a `key: value` line of a record, not an exception line.
    let units: Vec<Vec<Vec<String>>> = names
        .iter()
        .map(|n| {
            let mut units: Vec<Vec<String>> = Vec::new();
            for l in lines_of(n) {
                let starts = l.starts_with("20") || l.starts_with("/app/");
                match units.last_mut() {
                    Some(u) if !starts => u.push(l),
                    _ => units.push(vec![l]),
                }
            }
            units
        })
        .collect();
    let mut text = String::new();
    let most = units.iter().map(Vec::len).max().unwrap();
    for i in 0..most {
        for u in &units {
            for l in u.get(i).into_iter().flatten() {
                text.push_str(l);
                text.push('\n');
            }
        }
    }
    let doc = analyze(&dir, "shared.log", &text);
    let paths: Vec<String> = names.iter().map(|n| sample(n)).collect();
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    assert_eq!(summarize(&doc), summarize(&run_json(&args)));
}

/// Kubernetes' CRI log: the runtime splits a long line into `P` parts and a
/// last `F` part; stdout and stderr of the container interleave. The parts
/// are joined per stream before the line is read.
#[test]
fn kubernetes_partial_lines_are_joined_per_stream() {
    let dir = temp_dir();
    let log = "exception_never_retrieved.log";
    let mut text = String::new();
    let mut physical = 0;
    for (i, line) in lines_of(log).iter().enumerate() {
        // Application chatter on stdout between the parts.
        text.push_str(&format!(
            "2024-05-01T12:00:00.{i:09}Z stdout F GET /health {i} 200\n"
        ));
        physical += 1;
        let chars: Vec<char> = line.chars().collect();
        let parts: Vec<String> = if chars.is_empty() {
            vec![String::new()]
        } else {
            // The runtime splits at 16 KiB, far past the asyncio marker at
            // the start of a record's first line; here at 40 characters, so
            // that most lines of the record are split, some several times.
            chars.chunks(40).map(|c| c.iter().collect()).collect()
        };
        for (j, part) in parts.iter().enumerate() {
            let flag = if j + 1 == parts.len() { 'F' } else { 'P' };
            text.push_str(&format!(
                "2024-05-01T12:00:00.{i:09}Z stderr {flag} {part}\n"
            ));
            physical += 1;
            if flag == 'P' && j % 2 == 0 {
                text.push_str(&format!("2024-05-01T12:00:00.{i:09}Z stdout F tick {j}\n"));
                physical += 1;
            }
        }
    }
    let doc = analyze(&dir, "cri.log", &text);
    assert_eq!(doc["input"]["lines"], physical);
    assert_eq!(summarize(&doc), summarize(&run_json(&[&sample(log)])));
    let f = &doc["findings"][0];
    assert_eq!(f["kind"], "exception_never_retrieved");
    assert!(
        f["record"]
            .as_str()
            .is_none_or(|r| r.contains("ValueError")),
        "the joined record: {f}"
    );
}

//! Hostile input: half-written records, binary garbage, enormous lines, and
//! text that someone else controls. aiolog never crashes, never loses or
//! invents a finding, and never lets a log's content act on the reader's
//! terminal.

use crate::common::*;
use aiolog::aggregate::{Aggregator, MAX_GROUPS};
use aiolog::grammar::Grammars;
use aiolog::pipeline::{analyze_bytes, Options};
use std::io::Write;
use std::process::Stdio;

/// A file holding `data`, and the directory that holds it (removed when
/// dropped).
fn temp(name: &str, data: &[u8]) -> (TempDir, String) {
    let dir = TempDir::new("hostile");
    let p = dir.file(name, data).to_string_lossy().into_owned();
    (dir, p)
}

#[test]
fn a_200_mib_line_without_newline_is_cut_in_bounded_memory() {
    let mut child = spawn(
        aiolog()
            .args(["--stats", "--format", "ndjson"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let mut stdin = child.stdin.take().unwrap();
    let out = Lines::of(child.stdout.take().unwrap());
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..200 {
        stdin.write_all(&chunk).unwrap();
    }
    stdin
        .write_all(b"\nExecuting <Handle f() at /app/a.py:3> took 0.200 seconds\nnext\n")
        .unwrap();
    // The finding is out once the line after its record is read: the
    // 200 MiB line is behind aiolog. Its peak memory since it started
    // (VmHWM: the process's own, not the test binary's it was forked from,
    // which the kernel's rusage at exit would count too).
    let finding: serde_json::Value = serde_json::from_str(&out.next("the finding")).unwrap();
    assert_eq!(finding["data"]["site"]["line"], 3, "{finding}");
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap();
    drop(stdin);
    let summary: serde_json::Value = serde_json::from_str(&out.next("the summary")).unwrap();
    assert_eq!(child.finish().status.code(), Some(0));
    let input = &summary["data"]["input"];
    assert_eq!(input["lines"], 3, "{summary}");
    assert_eq!(input["truncated_lines"], 1);
    assert!(
        kib > 0 && kib < 64 * 1024,
        "peak memory {kib} KiB for a 200 MiB line"
    );
}

#[test]
fn nul_bytes_invalid_utf8_crlf_and_lone_cr_are_read() {
    let data = b"\x00\x00binary\xff\xfe junk\r\n\
progress 10%\rprogress 20%\rExecuting <Handle a() at /app/a.py:1> took 0.200 seconds\r\n\
Executing <Handle b() at /app/\xff\xfeb.py:2> took 0.300 seconds\n\
\x00Executing <Handle c() at /app/c.py:3> took 0.400 seconds\x00\n";
    let g = Grammars::builtin().unwrap();
    let (found, stats) = analyze_bytes("t", data, &g, Options::default());
    assert!(stats.balanced());
    assert_eq!(stats.lines, 4);
    let sites: Vec<String> = found
        .iter()
        .map(|f| f.site.as_ref().unwrap().location())
        .collect();
    assert_eq!(
        sites,
        ["/app/a.py:1", "/app/\u{fffd}\u{fffd}b.py:2", "/app/c.py:3"]
    );
    assert!(stats.invalid_utf8_lines >= 1);
}

#[test]
fn a_record_cut_short_at_the_end_is_reported_not_lost() {
    let (_dir, p) = temp(
        "cut.log",
        b"GET / 200\nExecuting <Task pending name='Task-1' coro=<handler() running at /app/ap",
    );
    let o = run(&["--stats", &p]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cut short at the end of the input"), "{err}");
    let doc = run_json(&[&p]);
    assert_eq!(doc["input"]["unrecognized_records"], 1);
    assert_eq!(doc["input"]["skipped_lines"], 1);
    assert_eq!(doc["input"]["lines"], 2);
}

#[test]
fn a_million_distinct_sites_stay_within_the_cap() {
    let g = Grammars::builtin().unwrap();
    let mut log = String::with_capacity(80_000_000);
    for i in 0..1_000_000u32 {
        log.push_str(&format!(
            "Executing <Handle f{i}() at /app/m{}.py:{i}> took 0.100 seconds\n",
            i % 97
        ));
    }
    let (found, stats) = analyze_bytes(
        "t",
        log.as_bytes(),
        &g,
        Options {
            before: 0,
            after: 0,
            ..Options::default()
        },
    );
    assert_eq!(found.len(), 1_000_000);
    assert!(stats.balanced());
    let mut agg = Aggregator::new();
    found.iter().for_each(|f| agg.add(f));
    let ranked = agg.ranked();
    assert_eq!(ranked.len(), MAX_GROUPS + 1);
    let other = ranked.iter().find(|r| r.group.key.other).unwrap();
    assert_eq!(other.group.count, 1_000_000 - MAX_GROUPS as u64);
    assert_eq!(agg.events, 1_000_000);
}

#[test]
fn interleaved_records_from_many_processes_are_all_found() {
    let mut log = String::new();
    let mut want = 0;
    for i in 0..200 {
        let pid = 1000 + i % 50;
        log.push_str(&format!(
            "2024-05-01 12:00:00,{:03} [{pid}] INFO app: request {i}\n",
            i % 1000
        ));
        log.push_str(&format!(
            "2024-05-01 12:00:00,{:03} [{pid}] WARNING asyncio: Executing <Handle cb{i}() at /app/p{pid}.py:{i}> took 0.150 seconds\n",
            i % 1000
        ));
        want += 1;
        if i % 10 == 0 {
            log.push_str(&format!("2024-05-01 12:00:00,000 [{pid}] ERROR asyncio: Task was destroyed but it is pending!\n"));
            log.push_str(&format!(
                "task: <Task pending name='Task-{i}' coro=<job{i}() running at /app/j.py:{i}>>\n"
            ));
            want += 1;
        }
    }
    let g = Grammars::builtin().unwrap();
    let (found, stats) = analyze_bytes("t", log.as_bytes(), &g, Options::default());
    assert!(stats.balanced());
    assert_eq!(found.len(), want);
    assert_eq!(stats.unrecognized_records, 0);
}

#[test]
fn deeply_nested_reprs_do_not_overflow_the_stack() {
    let deep = format!(
        "Executing <Task pending name='x' coro=<{}f() running at /a.py:1> took 0.200 seconds\n",
        "<".repeat(200_000)
    );
    let also = format!(
        "Task was destroyed but it is pending!\ntask: {}{}\n",
        "<Task pending coro=<".repeat(50_000),
        ">".repeat(100_000)
    );
    let (_dir, p) = temp("deep.log", format!("{deep}{also}").as_bytes());
    let o = run(&["--stats", &p]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Escape sequences a log might carry: a screen clear, a cursor move, a
/// window title change and an OSC 8 hyperlink.
const ESCAPES: &str = "\u{1b}[2J\u{1b}[10;10H\u{1b}]0;pwned\u{7}\u{1b}]8;;http://evil.example/\u{7}click\u{1b}]8;;\u{7}";

fn hostile_log() -> (TempDir, String) {
    temp(
        "escapes.log",
        format!(
            "Executing <Task pending name='{ESCAPES}' coro=<evil{ESCAPES}() running at /app/{ESCAPES}.py:3>> took 0.500 seconds\n\
             /app/x{ESCAPES}.py:9: RuntimeWarning: coroutine 'A{ESCAPES}' was never awaited\n"
        )
        .as_bytes(),
    )
}

#[test]
fn escape_sequences_never_reach_the_reader_raw_in_any_format() {
    let (_dir, p) = hostile_log();
    for format in [
        "table", "json", "ndjson", "markdown", "sarif", "github", "html", "brief",
    ] {
        let o = run(&["--format", format, "--stats", &p]);
        assert_eq!(o.status.code(), Some(0), "{format}");
        for (stream, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
            assert!(
                !bytes.contains(&0x1b) && !bytes.contains(&0x07),
                "{format} {stream}: raw control bytes"
            );
        }
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("evil"), "{format}: the finding is there");
        if format.contains("json") || format == "sarif" {
            for line in text.lines().filter(|_| format == "ndjson") {
                let _: serde_json::Value = serde_json::from_str(line).unwrap();
            }
            if format != "ndjson" {
                let _: serde_json::Value = serde_json::from_str(&text).unwrap();
            }
        }
    }
    // Live lines too.
    let mut child = spawn(aiolog().stdin(Stdio::piped()).stdout(Stdio::piped()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&p).unwrap())
        .unwrap();
    let out = child.wait_with_output();
    assert!(!out.stdout.contains(&0x1b), "live lines");
    assert!(String::from_utf8_lossy(&out.stdout).contains("evil"));
}

#[test]
fn an_output_error_other_than_a_closed_pipe_exits_2() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        skipped(
            "an_output_error_other_than_a_closed_pipe_exits_2",
            "no /dev/full here",
        );
        return;
    };
    let o = aiolog()
        .arg(root().join("samples/blocking_sleep.log"))
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("aiolog: error:"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

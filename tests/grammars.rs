//! Every file in grammars/ loads, passes its own sample checks, and its
//! samples are recognized as that grammar when aiolog detects grammars on
//! its own.

use crate::common::*;
use aiolog::grammar::{Grammars, Layer, BUILTIN_GRAMMARS};
use std::path::PathBuf;

fn files() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("grammars");
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_grammar_file_is_embedded_and_loads() {
    let on_disk = files();
    let embedded: Vec<(String, String)> = BUILTIN_GRAMMARS
        .iter()
        .map(|(f, s)| (f.to_string(), s.to_string()))
        .collect();
    assert_eq!(on_disk, embedded);
    let g = Grammars::load(on_disk).unwrap_or_else(|e| panic!("{e}"));
    for name in [
        "bare",
        "python_basic",
        "asctime_level_logger",
        "asctime_dashes",
    ] {
        assert!(g.find(name).is_some(), "{name}");
    }
}

#[test]
fn samples_are_detected_as_their_own_grammar() {
    let g = Grammars::builtin().unwrap();
    for gr in g.all() {
        for s in &gr.samples {
            let f = g.frame(&s.line, None);
            let chosen = match gr.layer {
                Layer::Record => f.grammar,
                Layer::Wrapper => f.wrapper.expect("a wrapper is detected"),
            };
            assert_eq!(g.get(chosen).name, gr.name, "{:?}", s.line);
            if gr.layer == Layer::Record {
                assert_eq!(
                    Some(f.message),
                    s.fields.get("message").map(String::as_str),
                    "{:?}",
                    s.line
                );
            }
        }
    }
}

fn bin() -> std::process::Command {
    aiolog()
}

#[test]
fn grammars_are_listed_and_user_files_checked_and_used() {
    let o = output_of(bin().arg("grammars"));
    let list = String::from_utf8_lossy(&o.stdout);
    for name in [
        "uvicorn",
        "gunicorn",
        "loguru",
        "pytest_caplog",
        "kubernetes_cri",
        "journald_short_iso",
        "syslog_rfc3164",
        "syslog_rfc5424",
    ] {
        assert!(list.contains(name), "{name}");
    }
    let dir = TempDir::new("grammar");
    let good = dir.join("pipes.json");
    std::fs::write(
        &good,
        r#"{"name": "pipes", "title": "APP|LEVEL|logger|message", "description": "a custom format", "layer": "record",
            "priority": 40, "pattern": "^APP\\|(?P<level>[A-Z]+)\\|(?P<logger>[^|]+)\\|(?P<message>.*)$",
            "samples": [{"line": "APP|ERROR|asyncio|Task was destroyed but it is pending!",
                         "fields": {"level": "ERROR", "logger": "asyncio", "message": "Task was destroyed but it is pending!"}}]}"#,
    )
    .unwrap();
    let o = output_of(bin().args(["grammars", "--check"]).arg(&good));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&good)
            .unwrap()
            .replace("\"level\": \"ERROR\"", "\"level\": \"WARNING\""),
    )
    .unwrap();
    let o = output_of(bin().args(["grammars", "--check"]).arg(&bad));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.json") && err.contains("help:"), "{err}");
    // A user's file is named as given, not as if it were in grammars/.
    assert!(
        err.starts_with(&format!("aiolog: error: {}: ", bad.display())),
        "{err}"
    );
    let missing = dir.join("missing.json");
    let o = output_of(bin().args(["grammars", "--check"]).arg(&missing));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err.trim_end(),
        format!(
            "aiolog: error: {}: cannot read it: No such file or directory",
            missing.display()
        )
    );
    // --grammar FILE reads a log in that format.
    let log = dir.join("app.log");
    std::fs::write(&log, "APP|INFO|app|started\nAPP|ERROR|asyncio|Task was destroyed but it is pending!\ntask: <Task pending name='Task-1' coro=<poll() running at /srv/p.py:3>>\n").unwrap();
    let o = output_of(
        bin()
            .args(["--format", "json", "--grammar"])
            .arg(&good)
            .arg(&log),
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["findings"][0]["site"]["path"], "/srv/p.py");
}

#[test]
fn json_log_lines_are_read_whatever_the_logger() {
    let g = Grammars::builtin().unwrap();
    let log = concat!(
        // python-json-logger
        r#"{"asctime": "2024-05-01 12:00:00,123", "levelname": "WARNING", "name": "asyncio", "message": "Executing <Handle flush() at /app/m.py:12 created at /app/m.py:18> took 0.150 seconds"}"#,
        "\n",
        // structlog, a whole record with its traceback in one string
        r#"{"event": "Task exception was never retrieved\nfuture: <Task finished name='Task-2' coro=<sync() done, defined at /app/s.py:12> exception=ConnectionError('x')>\nTraceback (most recent call last):\n  File \"/app/s.py\", line 14, in sync\n    raise ConnectionError('x')\nConnectionError: x", "level": "error", "logger": "asyncio", "timestamp": "2024-05-01T12:00:01.000000Z"}"#,
        "\n",
        // docker's json-file: one JSON line per physical line, `<` escaped
        r#"{"log":"Executing \u003cTask pending name='Task-3' coro=\u003chandle() running at /app/h.py:9\u003e\u003e took 0.300 seconds\n","stream":"stderr","time":"2024-05-01T12:00:02.0Z"}"#,
        "\n",
        r#"{"log":"/app/r.py:13: RuntimeWarning: coroutine 'Repo.save' was never awaited\n","stream":"stderr","time":"2024-05-01T12:00:03.0Z"}"#,
        "\n",
        r#"{"log":"Coroutine created at (most recent call last)\n","stream":"stderr","time":"2024-05-01T12:00:03.0Z"}"#,
        "\n",
        r#"{"log":"  File \"/app/r.py\", line 13, in handle\n","stream":"stderr","time":"2024-05-01T12:00:03.0Z"}"#,
        "\n",
        r#"{"log":"    self.save(item)\n","stream":"stderr","time":"2024-05-01T12:00:03.0Z"}"#,
        "\n",
        r#"{"log":"GET / 200\n","stream":"stdout","time":"2024-05-01T12:00:04.0Z"}"#,
        "\n",
    );
    let (found, stats) = StreamTester::new("json.log", log.as_bytes(), &g).run();
    assert!(stats.balanced(), "{stats:?}");
    // (Task-lifecycle findings wait for the next application line, so the
    // order is not the log's.)
    let mut got: Vec<String> = found
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f.kind,
                f.site.as_ref().map(|s| s.location()).unwrap_or_default()
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "exception_never_retrieved /app/s.py:14",
            "never_awaited /app/r.py:13",
            "slow_callback /app/h.py:9",
            "slow_callback /app/m.py:12",
        ]
    );
    assert_eq!(
        found[0].timestamp.as_deref(),
        Some("2024-05-01T12:00:00.123")
    );
    let warning = found
        .iter()
        .find(|f| f.kind.as_str() == "never_awaited")
        .unwrap();
    assert_eq!(
        warning.record.lines().count(),
        4,
        "the warning's lines from four JSON lines"
    );
}

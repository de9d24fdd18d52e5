//! Every file in grammars/ loads, passes its own sample checks, and its
//! samples are recognized as that grammar when aiolog detects grammars on
//! its own.

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
    std::process::Command::new(env!("CARGO_BIN_EXE_aiolog"))
}

#[test]
fn grammars_are_listed_and_user_files_checked_and_used() {
    let o = bin().arg("grammars").output().unwrap();
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
    let dir = std::env::temp_dir().join(format!("aiolog-grammar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("pipes.json");
    std::fs::write(
        &good,
        r#"{"name": "pipes", "title": "APP|LEVEL|logger|message", "description": "a custom format", "layer": "record",
            "priority": 40, "pattern": "^APP\\|(?P<level>[A-Z]+)\\|(?P<logger>[^|]+)\\|(?P<message>.*)$",
            "samples": [{"line": "APP|ERROR|asyncio|Task was destroyed but it is pending!",
                         "fields": {"level": "ERROR", "logger": "asyncio", "message": "Task was destroyed but it is pending!"}}]}"#,
    )
    .unwrap();
    let o = bin()
        .args(["grammars", "--check"])
        .arg(&good)
        .output()
        .unwrap();
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
    let o = bin()
        .args(["grammars", "--check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.json") && err.contains("help:"), "{err}");
    // --grammar FILE reads a log in that format.
    let log = dir.join("app.log");
    std::fs::write(&log, "APP|INFO|app|started\nAPP|ERROR|asyncio|Task was destroyed but it is pending!\ntask: <Task pending name='Task-1' coro=<poll() running at /srv/p.py:3>>\n").unwrap();
    let o = bin()
        .args(["--format", "json", "--grammar"])
        .arg(&good)
        .arg(&log)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["findings"][0]["site"]["path"], "/srv/p.py");
    let _ = std::fs::remove_dir_all(dir);
}

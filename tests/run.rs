//! `aiolog run -- COMMAND` with a real python3 (each test says SKIPPED on
//! stderr and checks nothing when python3 is missing).

use crate::common::*;
use std::process::{Command, Output};

fn script(name: &str) -> String {
    root()
        .join("tests/scripts")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// `aiolog --format json -o REPORT run ARGS`; returns the output and the report.
fn aiolog_run(args: &[&str]) -> (Output, serde_json::Value) {
    let dir = TempDir::new("run");
    let report = dir.join("report.json");
    let out = output_of(
        aiolog()
            .args(["--format", "json", "-o", report.to_str().unwrap(), "run"])
            .args(args)
            .env_remove("PYTHONASYNCIODEBUG")
            // aiolog run's sitecustomize directory goes there too, so that
            // it goes with the test's directory even if aiolog is killed.
            .env("TMPDIR", &*dir),
    );
    let doc = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    (out, doc)
}

/// The `# expect:` lines of a script (with the probe: its `#
/// expect-probe:` lines instead of the slow steps'), with the script's real
/// path.
fn expected(name: &str, probe: bool) -> Vec<Expect> {
    let path = root().join("tests/scripts").join(name);
    let found = if probe {
        expected_with_probe(&path)
    } else {
        expected_from_scenario(&path)
    };
    found
        .into_iter()
        .map(|mut e| {
            e.location = e
                .location
                .replace(&format!("/app/{name}"), &path.to_string_lossy());
            e
        })
        .collect()
}

#[test]
fn reports_the_blocking_site_and_returns_the_childs_exit_status() {
    let Some(py) = python(module_path!()) else {
        return;
    };
    let (out, doc) = aiolog_run(&[
        "--slow",
        "0.3",
        "--",
        &py,
        &script("blocking_then_exit_3.py"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The probe names the statement that blocked; the warning's line is
    // kept as the finding's location.
    assert_eq!(summarize(&doc), expected("blocking_then_exit_3.py", true));
    let warned = expected("blocking_then_exit_3.py", false);
    assert_eq!(
        doc["findings"][0]["location"].as_str(),
        Some(warned[0].location.as_str())
    );
    // Without it, debug mode's warning alone: the line after the step.
    let (out, doc) = aiolog_run(&[
        "--slow",
        "0.3",
        "--no-probe",
        "--",
        &py,
        &script("blocking_then_exit_3.py"),
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(summarize(&doc), warned);
    // The probe alone, without debug mode: the same finding.
    let (out, doc) = aiolog_run(&[
        "--slow",
        "0.3",
        "--light",
        "--",
        &py,
        &script("blocking_then_exit_3.py"),
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(summarize(&doc), expected("blocking_then_exit_3.py", true));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("Executing <"));

    let (out, doc) = aiolog_run(&[
        "--",
        &py,
        &root()
            .join("samples/scenarios/blocking_sleep.py")
            .to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    // The blocking call itself (`# expect-blocking:`), not the await after it.
    assert_eq!(doc["findings"][0]["kind"], "loop_stall");
    assert_eq!(doc["findings"][0]["site"]["line"], 17);
    assert_eq!(doc["findings"][0]["count"], 2);
    // The child's own output passes through unchanged.
    let so = String::from_utf8_lossy(&out.stdout);
    assert!(
        so.contains("listening on :8080") && so.contains("request 1 done"),
        "{so}"
    );
    let se = String::from_utf8_lossy(&out.stderr);
    assert!(se.contains("Executing <Task pending name='Task-2'"), "{se}");
}

#[test]
fn debug_mode_stays_on_when_the_program_turns_it_off() {
    let Some(py) = python(module_path!()) else {
        return;
    };
    // Without aiolog run's help, the program hides its own blocking call.
    let plain = output_of(
        Command::new(&py)
            .arg(script("debug_off_server.py"))
            .env("PYTHONASYNCIODEBUG", "1"),
    );
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("Executing"));
    let (out, doc) = aiolog_run(&["--slow", "0.3", "--", &py, &script("debug_off_server.py")]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(summarize(&doc), expected("debug_off_server.py", true));
    let (out, doc) = aiolog_run(&[
        "--slow",
        "0.3",
        "--no-probe",
        "--",
        &py,
        &script("debug_off_server.py"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(summarize(&doc), expected("debug_off_server.py", false));
    // --no-inject leaves the program as it is: nothing found, and a warning.
    let (out, doc) = aiolog_run(&["--no-inject", "--", &py, &script("debug_off_server.py")]);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
    let _ = out;
}

#[test]
fn slow_sets_the_threshold_in_the_child() {
    let Some(py) = python(module_path!()) else {
        return;
    };
    // time.sleep(0.5) is slow at 0.3 s, not at 2 s.
    let (_, doc) = aiolog_run(&["--slow", "2", "--", &py, &script("blocking_then_exit_3.py")]);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
    let (_, doc) = aiolog_run(&[
        "--slow",
        "0.3",
        "--",
        &py,
        &script("blocking_then_exit_3.py"),
    ]);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
}

/// tracemalloc slows a program several times over: it is on only when
/// asked for, and then traces as many frames as asked.
#[test]
fn tracemalloc_is_opt_in() {
    let Some(py) = python(module_path!()) else {
        return;
    };
    let probe = "import os, tracemalloc; print(os.environ.get('PYTHONTRACEMALLOC'), tracemalloc.is_tracing(), tracemalloc.get_traceback_limit())";
    let (out, _) = aiolog_run(&["--", &py, "-c", probe]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "None False 1\n");
    let (out, _) = aiolog_run(&["--tracemalloc", "5", "--", &py, "-c", probe]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "5 True 5\n");
}

#[test]
fn warns_when_the_child_ran_no_debug_loop() {
    let Some(py) = python(module_path!()) else {
        return;
    };
    let (out, _) = aiolog_run(&["--", &py, "-c", "print('no asyncio here')"]);
    assert_eq!(out.status.code(), Some(0));
    let se = String::from_utf8_lossy(&out.stderr);
    assert!(
        se.contains("ran no asyncio event loop in debug mode"),
        "{se}"
    );
    // The summary says so too, instead of asking whether debug mode is on.
    let dir = TempDir::new("run");
    let out = output_of(
        aiolog()
            .args(["run", "--", &py, "-c", "print('no asyncio here')"])
            .env_remove("PYTHONASYNCIODEBUG")
            .env("TMPDIR", &*dir),
    );
    let se = String::from_utf8_lossy(&out.stderr);
    assert!(
        se.contains("the program ran no asyncio event loop in debug mode.")
            && !se.contains("Is debug mode on"),
        "{se}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "no asyncio here\n");
}

#[test]
fn a_missing_program_is_an_error() {
    let out = run(&["run", "--", "no-such-program-aiolog"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot run no-such-program-aiolog"));
}

#[test]
fn a_child_killed_by_a_signal_gives_128_plus_its_number() {
    let out = run(&["run", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(out.status.code(), Some(128 + 15));
}

#[test]
fn sigterm_is_passed_on_and_the_summary_printed() {
    let Some(py) = python(module_path!()) else {
        return;
    };
    let dir = TempDir::new("run-term");
    let report = dir.join("report.json");
    let ready = dir.join("ready");
    let child = spawn(
        aiolog()
            .args([
                "--format",
                "json",
                "-o",
                report.to_str().unwrap(),
                "run",
                "--",
                &py,
                &script("warn_then_wait.py"),
            ])
            .env("AIOLOG_TEST_READY", &ready)
            .env("TMPDIR", &*dir)
            .stderr(std::process::Stdio::null()),
    );
    // The script says when its warning is out; a loaded machine may take
    // seconds. aiolog reads the child's output to its end after passing
    // SIGTERM on, so nothing written before the signal can be missed.
    let start = std::time::Instant::now();
    while !ready.exists() {
        assert!(start.elapsed() < HANG, "the script did not get going");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.signal(libc::SIGTERM);
    let status = child.wait();
    // Python's default SIGTERM action ends it: 128 + 15.
    assert_eq!(status.code(), Some(143));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(summarize(&doc), expected("warn_then_wait.py", true));
}

#[test]
fn stdout_is_analyzed_unless_left_alone() {
    let Some(py) = python(module_path!()) else {
        return;
    };
    let code =
        "print('Executing <Handle f() at /app/a.py:3 created at /app/a.py:9> took 0.200 seconds')";
    let (out, doc) = aiolog_run(&["--", &py, "-c", code]);
    assert_eq!(doc["findings"][0]["site"]["line"], 3);
    // Passed through unchanged all the same.
    assert!(String::from_utf8_lossy(&out.stdout).contains("took 0.200 seconds"));
    let (out, doc) = aiolog_run(&["--no-stdout", "--", &py, "-c", code]);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("took 0.200 seconds"));
}

/// The child's stdout and stderr are one process's output (issue #17): an
/// access log line on stdout is the context before a warning on stderr.
/// The child writes each line only after the one before it has come
/// through aiolog (which passes a line on only once it is queued for
/// analysis), so the order is the child's, not a race of two pipes.
#[test]
fn an_access_line_on_stdout_is_context_for_a_warning_on_stderr() {
    let Some(py) = python(module_path!()) else {
        return;
    };
    let dir = TempDir::new("run-merged");
    let report = dir.join("report.json");
    let code = "import sys\n\
        sys.stderr.write('INFO:     Started server process [1]\\n'); sys.stderr.flush()\n\
        sys.stdin.readline()\n\
        sys.stdout.write('INFO:     127.0.0.1:5000 - \"GET /report HTTP/1.1\" 200 OK\\n'); sys.stdout.flush()\n\
        sys.stdin.readline()\n\
        sys.stderr.write('Executing <Handle f() at /app/a.py:3 created at /app/a.py:9> took 0.200 seconds\\n')\n";
    let mut child = spawn(
        aiolog()
            .args(["--format", "json", "-o", report.to_str().unwrap(), "run"])
            .args(["--", &py, "-c", code])
            .env("TMPDIR", &*dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped()),
    );
    let lines = Lines::of(child.stdout.take().unwrap());
    let errs = Lines::of(child.stderr.take().unwrap());
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        errs.until("Started server process");
        stdin.write_all(b"go\n").unwrap();
        stdin.flush().unwrap();
        lines.until("GET /report");
        stdin.write_all(b"go\n").unwrap();
    }
    assert!(child.wait().success());
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let f = &doc["findings"][0];
    assert_eq!(f["site"]["line"], 3, "{doc:#}");
    let before: Vec<&str> = f["context"]["before"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(
        before.last().copied(),
        Some("INFO:     127.0.0.1:5000 - \"GET /report HTTP/1.1\" 200 OK"),
        "{before:?}"
    );
    // One input, named after the program.
    assert_eq!(
        doc["input"]["files"].as_array().map(|v| v.len()),
        Some(1),
        "{:#}",
        doc["input"]
    );
}

#[test]
fn probe_path_starts_the_probe_with_no_wrapper() {
    let Some(py) = python(module_path!()) else {
        return;
    };
    let dir = TempDir::new("probe-path");
    let path = output_of(
        aiolog()
            .arg("probe-path")
            .env("XDG_CACHE_HOME", dir.join("cache")),
    );
    assert!(path.status.success());
    let probe_dir = String::from_utf8_lossy(&path.stdout).trim().to_string();
    assert!(
        probe_dir.starts_with(&*dir.join("cache").to_string_lossy()),
        "{probe_dir}"
    );
    // Also with the heartbeat alone (AIOLOG_PROBE_STEPS=0: no wrapper
    // around each callback, the cheapest mode).
    for steps in ["1", "0"] {
        let child = output_of(
            Command::new(&py)
                .arg(script("blocking_then_exit_3.py"))
                .env("PYTHONPATH", &probe_dir)
                .env("AIOLOG_PROBE", "1")
                .env("AIOLOG_PROBE_THRESHOLD", "0.3")
                .env("AIOLOG_PROBE_STEPS", steps)
                .env_remove("PYTHONASYNCIODEBUG"),
        );
        assert_eq!(child.status.code(), Some(3));
        let log = dir.join(format!("child-{steps}.log"));
        std::fs::write(&log, &child.stderr).unwrap();
        let doc = run_json(&[log.to_str().unwrap()]);
        assert_eq!(
            summarize(&doc),
            expected("blocking_then_exit_3.py", true),
            "AIOLOG_PROBE_STEPS={steps}: {}",
            String::from_utf8_lossy(&child.stderr)
        );
    }
}

/// The modules a scenario needs from PyPI (`# requires: aiohttp`) that
/// `py` cannot import.
fn missing_modules(py: &str, scenario: &std::path::Path) -> Vec<String> {
    const CAPABILITIES: &[&str] = &["sockets", "threads", "subprocess", "shutdown"];
    let text = std::fs::read_to_string(scenario).unwrap();
    let mut missing = Vec::new();
    for line in text.lines() {
        let Some((_, words)) = line.split_once("# requires: ") else {
            continue;
        };
        for m in words.split_whitespace() {
            if CAPABILITIES.contains(&m) || m.starts_with("python>=") {
                continue;
            }
            let ok = Command::new(py)
                .args(["-c", &format!("import {m}")])
                .output()
                .is_ok_and(|o| o.status.success());
            if !ok {
                missing.push(m.to_string());
            }
        }
    }
    missing
}

#[test]
fn every_probe_scenario_under_aiolog_run_and_run_light() {
    // `aiolog run` (the probe with debug mode) and `aiolog run --light` (the
    // probe alone) name the statements the scenario marks `# expect-probe:`;
    // the negative control gives nothing either way.
    let Some(py) = python(module_path!()) else {
        return;
    };
    let mut checked = 0;
    for s in scenarios() {
        let text = std::fs::read_to_string(&s).unwrap();
        if !text.contains("# probe: on") {
            continue;
        }
        let name = s.file_name().unwrap().to_string_lossy().into_owned();
        let missing = missing_modules(&py, &s);
        if !missing.is_empty() {
            skipped(
                &format!("{}: {name}", module_path!()),
                &format!(
                    "{py} lacks {} (set AIOLOG_TEST_PYTHON to a Python that has them; .ci/run makes one)",
                    missing.join(", ")
                ),
            );
            continue;
        }
        let want: Vec<Expect> = expected_with_probe(&s)
            .into_iter()
            .map(|mut e| {
                e.location = e
                    .location
                    .replace(&format!("/app/{name}"), &s.to_string_lossy());
                e
            })
            .collect();
        for light in [false, true] {
            let mut args = vec![];
            if light {
                args.push("--light");
            }
            let script = s.to_string_lossy().into_owned();
            args.extend(["--", py.as_str(), script.as_str()]);
            let (out, doc) = aiolog_run(&args);
            let said = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{name} light={light}: {said}");
            assert_eq!(summarize(&doc), want, "{name} light={light}: {said}");
            if light {
                assert!(!said.contains("Executing <"), "{name}: debug mode was on");
            }
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} runs");
}

#[test]
fn never_awaited_coroutines_are_each_counted() {
    // The warnings module prints a line once by default; `aiolog run`
    // shows RuntimeWarnings `always`, so the count is exact.
    let Some(py) = python(module_path!()) else {
        return;
    };
    // `--slow 2`: three collections under tracemalloc can make a slow
    // step of their own on a loaded machine; not what this tests.
    let (out, doc) = aiolog_run(&["--slow", "2", "--", &py, &script("never_awaited_thrice.py")]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert_eq!(
        summarize(&doc),
        expected("never_awaited_thrice.py", false),
        "{said}"
    );
    assert!(!doc["findings"][0]["why"]
        .as_str()
        .unwrap()
        .contains("at least"));
}

#[test]
fn a_count_of_one_says_it_is_a_lower_bound() {
    // A line the warnings module printed once, in a log not made with
    // `always`: it may have run more often.
    let doc = run_json(&[&root()
        .join("samples/forgot_await_method.log")
        .to_string_lossy()]);
    assert!(doc["findings"][0]["why"]
        .as_str()
        .unwrap()
        .contains("at least"));
}

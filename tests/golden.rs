//! Golden outputs: every report format, and the `--stats` account, for every
//! log the project holds (samples, every interpreter version's captures, the
//! corpus of public excerpts and the framework excerpts), compared byte for
//! byte with `tests/golden/`.
//!
//! They pin behaviour, so that a refactoring can show it changed nothing;
//! they are not the truth (the scenarios' `# expect:` comments and the
//! corpus's EXPECTED.jsonl are). When a change is meant to change an output,
//! rewrite them on purpose and review the diff:
//!
//!     AIOLOG_BLESS=1 cargo test --test tests golden::
//!     git diff --stat tests/golden/

use crate::common::*;
use std::path::{Path, PathBuf};

/// The formats, in the order a golden file holds them.
const FORMATS: &[&str] = &[
    "table", "json", "ndjson", "markdown", "sarif", "github", "html", "brief",
];

/// Every log, as a path relative to the project root (so that the outputs,
/// which name their inputs, do not depend on where the clone is).
fn logs() -> Vec<String> {
    let mut v = Vec::new();
    let mut add = |dir: &Path| {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "log") {
                let rel = p.strip_prefix(root()).unwrap();
                v.push(rel.to_string_lossy().into_owned());
            }
        }
    };
    add(Path::new("samples"));
    let mut versions: Vec<PathBuf> = std::fs::read_dir(root().join("samples/versions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    versions.sort();
    for d in versions {
        add(d.strip_prefix(root()).unwrap());
    }
    add(Path::new("tests/corpus"));
    add(Path::new("tests/frameworks"));
    v.sort();
    v
}

fn golden_path(log: &str) -> PathBuf {
    root().join("tests/golden").join(format!("{log}.golden"))
}

/// What aiolog prints for `log` in every format: stdout, stderr when there
/// is any, and the exit status, under a header per run.
fn render(log: &str) -> String {
    let mut text = String::new();
    for format in FORMATS {
        let mut args = vec!["--format", format];
        if *format == "table" {
            args.push("--stats");
        }
        args.push(log);
        let o = output_of(
            aiolog()
                .args(&args)
                .current_dir(root())
                .env_remove("AIOLOG_FORMAT")
                .env_remove("COLUMNS"),
        );
        text.push_str(&format!("=== aiolog {} ===\n", args.join(" ")));
        text.push_str(&String::from_utf8_lossy(&o.stdout));
        if !o.stderr.is_empty() {
            text.push_str("=== stderr ===\n");
            text.push_str(&String::from_utf8_lossy(&o.stderr));
        }
        text.push_str(&format!("=== exit {:?} ===\n", o.status.code()));
    }
    text
}

/// The first line where two texts differ, for the failure message.
fn first_difference(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let i = w
        .iter()
        .zip(&g)
        .position(|(a, b)| a != b)
        .unwrap_or(w.len().min(g.len()));
    format!(
        "line {}:\n    golden: {:?}\n    now:    {:?}",
        i + 1,
        w.get(i).copied().unwrap_or("<end>"),
        g.get(i).copied().unwrap_or("<end>")
    )
}

#[test]
fn every_format_of_every_log_matches_its_golden_output() {
    let bless = std::env::var_os("AIOLOG_BLESS").is_some_and(|v| v == "1");
    let logs = logs();
    assert!(logs.len() >= 300, "only {} logs", logs.len());
    // The logs shared out over the cores, each thread rendering its share.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<(String, String)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let Some(log) = logs.get(i) else {
                            return done;
                        };
                        done.push((log.clone(), render(log)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let mut failures = Vec::new();
    for (log, got) in &results {
        let path = golden_path(log);
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if &want == got => {}
            Ok(want) => failures.push(format!("{log}: {}", first_difference(&want, got))),
            Err(_) => failures.push(format!("{log}: no golden output {}", path.display())),
        }
    }
    // A golden file whose log is gone is stale.
    let wanted: std::collections::HashSet<PathBuf> =
        results.iter().map(|(l, _)| golden_path(l)).collect();
    let mut stack = vec![root().join("tests/golden")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !wanted.contains(&p) {
                if bless {
                    std::fs::remove_file(&p).unwrap();
                } else {
                    failures.push(format!("{}: stale: no such log", p.display()));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} logs differ from tests/golden/ (if the change is meant, rewrite them with \
         AIOLOG_BLESS=1 cargo test --test tests golden:: and review the diff):\n{}",
        failures.len(),
        results.len(),
        failures.join("\n")
    );
}

//! Helpers shared by the integration tests.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The aiolog binary built for this test run.
pub fn aiolog() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aiolog"))
}

/// Runs aiolog and returns its output.
pub fn run(args: &[&str]) -> Output {
    aiolog().args(args).output().expect("aiolog runs")
}

/// Runs `aiolog --format json ARGS` and parses the document.
pub fn run_json(args: &[&str]) -> Value {
    let out = aiolog()
        .arg("--format")
        .arg("json")
        .args(args)
        .output()
        .expect("aiolog runs");
    assert!(
        out.status.success(),
        "aiolog {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// A finding reduced to what the sample tests check.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expect {
    pub kind: String,
    pub location: String,
    pub function: String,
    pub count: u64,
}

/// The findings of a JSON document as [`Expect`] rows, sorted.
pub fn summarize(doc: &Value) -> Vec<Expect> {
    let mut v: Vec<Expect> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| Expect {
            kind: f["kind"].as_str().unwrap().to_string(),
            location: format!(
                "{}:{}",
                f["site"]["path"].as_str().unwrap_or("?"),
                f["site"]["line"]
            ),
            function: f["site"]["function"].as_str().unwrap_or("").to_string(),
            count: f["count"].as_u64().unwrap(),
        })
        .collect();
    v.sort();
    v
}

/// The findings a scenario script declares with `# expect: KIND FUNCTION
/// [count=N]` comments on the line each finding must point at. The path is
/// the one the regenerate script maps the scenarios to: `/app/NAME.py`.
///
/// A scenario whose findings point into a module beside it (a library under
/// `site-packages/`) names it with `# findings-in: RELATIVE/PATH.py`; that
/// file's `# expect:` comments count too, at `/app/RELATIVE/PATH.py`.
pub fn expected_from_scenario(script: &Path) -> Vec<Expect> {
    let text = std::fs::read_to_string(script).unwrap();
    let name = script.file_name().unwrap().to_string_lossy();
    let mut v = expectations_in(&text, &format!("/app/{name}"));
    for line in text.lines() {
        if let Some(rel) = line.trim().strip_prefix("# findings-in: ") {
            let other = std::fs::read_to_string(script.parent().unwrap().join(rel)).unwrap();
            v.extend(expectations_in(&other, &format!("/app/{rel}")));
        }
    }
    v.sort();
    v
}

fn expectations_in(text: &str, path: &str) -> Vec<Expect> {
    let mut v = Vec::new();
    for (i, line) in text.lines().enumerate() {
        // A finding whose record names no line of code (a slow name lookup
        // names a host): `# expect-unsited: KIND [count=N]`.
        if let Some(idx) = line.find("# expect-unsited: ") {
            let mut words = line[idx + "# expect-unsited: ".len()..].split_whitespace();
            let kind = words.next().expect("kind").to_string();
            let count = words
                .next()
                .and_then(|w| w.strip_prefix("count="))
                .map_or(1, |n| n.parse().unwrap());
            v.push(Expect {
                kind,
                location: "?:null".to_string(),
                function: String::new(),
                count,
            });
            continue;
        }
        let Some(idx) = line.find("# expect: ") else {
            continue;
        };
        let mut words = line[idx + "# expect: ".len()..].split_whitespace();
        let kind = words.next().expect("kind").to_string();
        let function = words.next().expect("function").to_string();
        let count = words
            .next()
            .map(|w| w.strip_prefix("count=").expect("count=N").parse().unwrap())
            .unwrap_or(1);
        v.push(Expect {
            kind,
            location: format!("{path}:{}", i + 1),
            function,
            count,
        });
    }
    v
}

/// The scenario scripts (not the helper modules starting with `_`).
pub fn scenarios() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("samples/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('_'))
        .collect();
    v.sort();
    v
}

/// The log variants the regenerate script writes for each scenario.
pub const VARIANTS: &[&str] = &[".log", ".timestamped.log"];

/// The Python interpreter for tests that run real Python: `AIOLOG_TEST_PYTHON`,
/// else `python3`. When it cannot be run, says so on stderr (with the test's
/// name) and returns `None`: the caller then checks nothing.
pub fn python(test: &str) -> Option<String> {
    let py = std::env::var("AIOLOG_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string());
    if Command::new(&py).arg("--version").output().is_ok() {
        Some(py)
    } else {
        eprintln!("SKIPPED {test}: `{py}` not found; install Python 3 to run it");
        None
    }
}

/// The counts of a JSON report's `input` object.
pub const INPUT_COUNTS: &[&str] = &[
    "bytes",
    "lines",
    "parsed_lines",
    "passed_through_lines",
    "skipped_lines",
    "records",
    "unrecognized_records",
    "findings",
];

/// A fresh virtual environment at `dir` (made with `python`), with
/// `pip install ARGS` run in it. Returns its python.
pub fn venv_with(python: &str, dir: &Path, pip_args: &[&str]) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    let ok = Command::new(python)
        .args(["-m", "venv"])
        .arg(dir)
        .status()
        .unwrap();
    assert!(ok.success(), "python -m venv {}", dir.display());
    let py = dir.join("bin/python");
    let out = Command::new(&py)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(pip_args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pip install {pip_args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    py
}

/// Every sample log, sorted.
pub fn sample_logs() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("samples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A sample log's path.
pub fn sample(name: &str) -> String {
    root()
        .join("samples")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

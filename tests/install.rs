//! Installing aiolog the ways its users do: the Python wheel in a fresh
//! virtual environment, shell completions and the manual page.

use crate::common::*;
use std::process::Command;

#[test]
fn version_names_the_commit_when_built_from_a_checkout() {
    let o = run(&["--version"]);
    let v = String::from_utf8_lossy(&o.stdout);
    assert!(
        v.starts_with(&format!("aiolog {}", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    if root().join(".git").exists() {
        assert!(v.contains('(') && v.trim_end().ends_with(')'), "{v}");
    }
}

#[test]
fn completions_are_produced_for_each_shell_and_parse() {
    let bash = run(&["completions", "bash"]);
    let text = String::from_utf8_lossy(&bash.stdout);
    assert!(
        text.contains("complete -F _aiolog") && text.contains("--follow"),
        "{text}"
    );
    // bash itself checks the syntax.
    if let Ok(out) = Command::new("bash").args(["-n", "-c", &text]).output() {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let zsh = String::from_utf8_lossy(&run(&["completions", "zsh"]).stdout).into_owned();
    assert!(
        zsh.starts_with("#compdef aiolog") && zsh.contains("--grammar"),
        "{zsh}"
    );
    let fish = String::from_utf8_lossy(&run(&["completions", "fish"]).stdout).into_owned();
    assert!(
        fish.contains("complete -c aiolog") && fish.contains("-l stats"),
        "{fish}"
    );
}

#[test]
fn the_man_page_is_well_formed_roff() {
    let o = run(&["man"]);
    assert!(o.status.success());
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(page.contains(".TH aiolog 1"), "{page}");
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH DESCRIPTION",
        ".SH OPTIONS",
        ".SH SUBCOMMANDS",
    ] {
        assert!(page.contains(section), "missing {section}");
    }
    // When man is installed, it renders the page without complaint.
    let dir = TempDir::new("man");
    let p = dir.join("aiolog.1");
    std::fs::write(&p, page.as_bytes()).unwrap();
    if let Ok(out) = Command::new("man")
        .arg("-l")
        .arg(&p)
        .env("MANWIDTH", "80")
        .output()
    {
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                text.contains("Find what stalls your asyncio event loop"),
                "{text}"
            );
        }
    }
}

/// Builds the wheel with scripts/build-wheel.sh, installs it into a fresh
/// virtual environment and analyzes a sample with the installed command.
/// Needs python3 with venv and the PyPI registry (for maturin); says SKIPPED
/// when python3 is missing.
#[test]
fn the_wheel_installs_into_a_fresh_venv_and_works() {
    let Some(py) = python("the_wheel_installs_into_a_fresh_venv_and_works") else {
        return;
    };
    // The debug binary that `cargo test` has built: packing is what is
    // tested here, and a release build would take half a minute.
    // The other tests run a copy of the binary that maturin is about to
    // build again in place; make sure the copy is there first.
    let _ = aiolog_bin();
    let build = Command::new(root().join("scripts/build-wheel.sh"))
        .env("PYTHON", &py)
        .env("AIOLOG_WHEEL_PROFILE", "dev")
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let wheel = String::from_utf8_lossy(&build.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();
    assert!(wheel.ends_with(".whl"), "{wheel}");

    let dir = TempDir::new("wheel-venv");
    let venv = dir.join("venv");
    let wheel_path = root().join(&wheel);
    venv_with(&py, &venv, &["--no-index", wheel_path.to_str().unwrap()]);

    let installed = venv.join("bin/aiolog");
    let v = Command::new(&installed).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&v.stdout).starts_with("aiolog "));
    let o = Command::new(&installed)
        .args(["--format", "json"])
        .arg(root().join("samples/forgot_await_method.log"))
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        summarize(&doc),
        expected_from_scenario(&root().join("samples/scenarios/forgot_await_method.py"))
    );

    // The wheel's .pth file starts the stall probe in the environment's
    // Python when AIOLOG_PROBE=1, with no code change and no wrapper: the
    // same finding as `aiolog run` (tests/run.rs), and nothing without it.
    let script = root().join("tests/scripts/blocking_then_exit_3.py");
    let python = venv.join("bin/python");
    let quiet = Command::new(&python).arg(&script).output().unwrap();
    assert_eq!(quiet.status.code(), Some(3));
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    let probed = Command::new(&python)
        .arg(&script)
        .env("AIOLOG_PROBE", "1")
        .env("AIOLOG_PROBE_THRESHOLD", "0.3")
        .output()
        .unwrap();
    assert_eq!(probed.status.code(), Some(3));
    let log = dir.join("probed.log");
    std::fs::write(&log, &probed.stderr).unwrap();
    let o = Command::new(&installed)
        .args(["--format", "json"])
        .arg(&log)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let want: Vec<Expect> = expected_with_probe(&script)
        .into_iter()
        .map(|mut e| {
            e.location = e
                .location
                .replace("/app/blocking_then_exit_3.py", &script.to_string_lossy());
            e
        })
        .collect();
    assert_eq!(
        summarize(&doc),
        want,
        "{}",
        String::from_utf8_lossy(&probed.stderr)
    );
}

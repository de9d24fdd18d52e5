//! Running the scenarios again with this machine's python3 gives the same
//! findings as the committed logs. This test runs real Python: without
//! python3 on PATH it says so on stderr and checks nothing else.

use crate::common::*;
use std::process::Command;

#[test]
fn regenerated_samples_give_the_same_findings() {
    let Some(python) = python("regenerated_samples_give_the_same_findings") else {
        return;
    };
    let out_dir = TempDir::new("regen");
    // regenerate.py runs every scenario, one after another: about 90 s on
    // this project's 2-core machine alone, more beside the other tests.
    // The bound is for a hang.
    let out = output_within(
        Command::new(&python)
            .arg(root().join("samples/regenerate.py"))
            .arg("--python")
            .arg(&python)
            .arg("--out")
            .arg(&*out_dir),
        std::time::Duration::from_secs(900),
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "regenerate.py failed: {said}");
    // What it skipped and why (a module from PyPI this interpreter lacks).
    for line in said.lines().filter(|l| l.starts_with("skipped ")) {
        skipped("regenerated_samples_give_the_same_findings", line);
    }
    for s in scenarios() {
        let stem = s.file_stem().unwrap().to_string_lossy().into_owned();
        for v in variants_of(&s) {
            let fresh = out_dir.join(format!("{stem}{v}"));
            let committed = root().join("samples").join(format!("{stem}{v}"));
            if !fresh.exists() {
                // regenerate.py said why on stderr (a module from PyPI that
                // this interpreter lacks, such as pytest).
                skipped(&format!("{stem}{v}"), &format!("not made by {python}"));
                continue;
            }
            let fresh_doc = run_json(&[fresh.to_str().unwrap()]);
            let committed_doc = run_json(&[committed.to_str().unwrap()]);
            assert_eq!(
                summarize(&fresh_doc),
                summarize(&committed_doc),
                "{stem}{v}"
            );
            assert_eq!(
                summarize(&fresh_doc),
                expected_from_scenario(&s),
                "{stem}{v}"
            );
            // The mappings leave no path of this machine in the log.
            let text = std::fs::read_to_string(&fresh).unwrap();
            assert!(
                !text.contains(&*std::env::temp_dir().to_string_lossy()),
                "{stem}{v} leaks a temp path"
            );
        }
    }
}

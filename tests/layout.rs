//! The layout's invariants, read from the source: the stages in `src/lib.rs`
//! order import no later stage, no file is much over 600 lines, and a kind
//! of finding is named by its own file and the registry only.

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The library's modules in `src/lib.rs` order.
fn module_order() -> Vec<String> {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').to_string())
        .collect()
}

/// The library's source files.
fn rust_files() -> Vec<PathBuf> {
    crate::common::files_under(&root().join("src"), "rs")
}

/// The code of a file without its comments and its unit tests.
fn code_of(text: &str) -> String {
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `crate::NAME` modules a file's code uses.
fn uses(code: &str) -> Vec<String> {
    let mut v: Vec<String> = code
        .match_indices("crate::")
        .map(|(i, m)| {
            code[i + m.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn no_stage_imports_a_later_one() {
    let order = module_order();
    let stages_start = order.iter().position(|m| m == "input").unwrap();
    let stages_end = order.iter().position(|m| m == "render").unwrap();
    let files = rust_files();
    let mut wrong = Vec::new();
    for f in files {
        let rel = f.strip_prefix(root().join("src")).unwrap();
        let module = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let Some(at) = order.iter().position(|m| *m == module) else {
            continue; // the binary: main, cli, app, signals
        };
        // The kinds sit beside the stages (ARCHITECTURE.md); the wiring
        // after them may use any stage.
        if at < stages_start || at > stages_end {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&f).unwrap());
        for used in uses(&code) {
            if let Some(u) = order.iter().position(|m| *m == used) {
                if u > at && u <= stages_end {
                    wrong.push(format!("{} uses crate::{used}", rel.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "stages importing later ones: {wrong:#?}");
}

#[test]
fn no_source_file_is_much_over_600_lines() {
    let files = rust_files();
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > 620).then(|| format!("{}: {n} lines", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "{long:#?}");
}

#[test]
fn kinds_are_named_only_in_their_files_and_the_registry() {
    // A kind's name (`Kind::SlowCallback`) outside `src/kinds/` would be a
    // list that a new kind has to join: the stages ask the registry
    // instead (`Kind::ALL`, `kind.timed()`, …). Unit tests may name kinds.
    let files = rust_files();
    let mut named = Vec::new();
    for f in files {
        let rel = f.strip_prefix(root().join("src")).unwrap().to_path_buf();
        let rel_s = rel.display().to_string();
        // A module's unit tests in a file of their own (`aggregate/tests.rs`).
        if rel_s.starts_with("kinds/") || rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&f).unwrap());
        for (i, _) in code.match_indices("Kind::") {
            let before = code[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // ErrorKind::, MatchKind::, LocationKind::
            }
            let rest: String = code[i + 6..]
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .collect();
            if rest.chars().next().is_some_and(char::is_uppercase) && rest != "ALL" {
                named.push(format!("{rel_s}: Kind::{rest}"));
            }
        }
    }
    assert!(named.is_empty(), "{named:#?}");
}

//! Embeds every `grammars/*.json` file in the binary, so that adding a log
//! dialect is adding a file: no Rust code lists them. Also sets
//! `AIOLOG_VERSION`: the crate version, with the git commit when built from a
//! checkout (`0.1.0 (3f2a1bc)`).

use std::env;
use std::fs;
use std::path::Path;
use std::process::Command;

fn version() -> String {
    let version = env::var("CARGO_PKG_VERSION").unwrap();
    let root = env::var("CARGO_MANIFEST_DIR").unwrap();
    let git = Path::new(&root).join(".git");
    if !git.exists() {
        return version;
    }
    println!("cargo:rerun-if-changed={}", git.join("HEAD").display());
    println!("cargo:rerun-if-changed={}", git.join("refs").display());
    let commit = Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .current_dir(&root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|c| !c.is_empty());
    match commit {
        Some(c) => format!("{version} ({c})"),
        None => version,
    }
}

fn main() {
    println!("cargo:rustc-env=AIOLOG_VERSION={}", version());
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("grammars");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("grammars/ directory")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = String::from("/// `(file name, contents)` of every grammar in `grammars/`.\npub static BUILTIN_GRAMMARS: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        out.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            f.file_name().unwrap().to_string_lossy(),
            f.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("grammars.rs");
    fs::write(dest, out).unwrap();
}

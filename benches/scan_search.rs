//! The block search alone, as aiolog builds it (aho-corasick, leftmost
//! first): every match of a set of patterns in a file, the best of N runs.
//!
//!     cargo run --release --example scan_search -- FILE PATTERNS [RUNS]
//!
//! PATTERNS is a file with one pattern per line (`gen_workload --markers`
//! writes aiolog's markers). The README's Performance section compares the
//! markers with other sets this way: one rare literal, anchors, markers
//! added.

use aho_corasick::{AhoCorasickBuilder, MatchKind};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, patterns, rest @ ..] = args.as_slice() else {
        eprintln!("usage: scan_search FILE PATTERNS [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = rest.first().and_then(|r| r.parse().ok()).unwrap_or(15);
    let hay = std::fs::read(file).expect("the file");
    let text = std::fs::read_to_string(patterns).expect("the patterns");
    let pats: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    let ac = AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostFirst)
        .build(&pats)
        .expect("valid patterns");
    let mut best = f64::MAX;
    let mut hits = 0u64;
    for _ in 0..runs {
        let t = Instant::now();
        hits = 0;
        let mut at = 0;
        while let Some(m) = ac.find(&hay[at..]) {
            hits += 1;
            at += m.end();
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{} patterns, {hits} matches in {} MB: best of {runs} {:.1} ms ({:.1} GB/s)",
        pats.len(),
        hay.len() / 1_000_000,
        best * 1e3,
        hay.len() as f64 / best / 1e9
    );
}

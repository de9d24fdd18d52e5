//! Streaming invariants, checked over every captured log and generated
//! workloads through the stream tester: any split of reads, pauses and
//! parallel parts give the same findings; two logs concatenated give the
//! union of their findings; every line is accounted for as parsed, passed
//! through or skipped.

use crate::common::*;
use aiolog::correlate::Finding;
use aiolog::grammar::Grammars;
use aiolog::pipeline::{analyze_bytes, Options};

fn inputs() -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for dir in ["samples", "tests/corpus"] {
        let mut files: Vec<_> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "log"))
            .collect();
        files.sort();
        for f in files {
            v.push((f.display().to_string(), std::fs::read(&f).unwrap()));
        }
    }
    for seed in 1..=3 {
        let mut w = Vec::new();
        aiolog::workload::generate(&mut w, seed, 300_000).unwrap();
        v.push((format!("workload seed {seed}"), w));
    }
    v
}

/// Every captured log: the samples, every version's, the corpus, the
/// frameworks' and generated workloads.
fn every_log() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = committed_logs()
        .into_iter()
        .map(|f| (f.display().to_string(), std::fs::read(&f).unwrap()))
        .collect();
    v.extend(
        inputs()
            .into_iter()
            .filter(|(n, _)| n.starts_with("workload")),
    );
    v
}

#[test]
fn every_log_gives_the_same_findings_every_way_it_is_read() {
    // Whole, in 1-byte and random reads, with pauses, in parallel parts
    // (tests/common/stream.rs).
    let g = Grammars::builtin().unwrap();
    let logs = every_log();
    assert!(logs.len() > 300, "{}", logs.len());
    for (name, data) in &logs {
        StreamTester::new(name, data, &g).run();
    }
}

/// With a tiny line bound, lines are cut all the time: the account of cut
/// lines, invalid UTF-8 and findings still does not depend on the reads
/// (the fuzzer found two ways it did).
#[test]
fn the_account_of_cut_lines_does_not_depend_on_reads() {
    let g = Grammars::builtin().unwrap();
    let opts = Options {
        max_line: 64,
        ..Options::default()
    };
    for (name, data) in inputs().into_iter().take(40) {
        StreamTester::new(&name, &data, &g).opts(opts).run();
    }
}

/// What identifies a finding regardless of where its input starts.
fn key(f: &Finding) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}",
        f.kind, f.site, f.subject, f.seconds, f.location
    )
}

#[test]
fn concatenated_logs_give_the_union_of_their_findings() {
    let g = Grammars::builtin().unwrap();
    let all = inputs();
    for pair in all.windows(2) {
        let ((na, a), (nb, b)) = (&pair[0], &pair[1]);
        // Logs that end without a newline would join their last line to the next log's first.
        if !a.ends_with(b"\n") {
            continue;
        }
        let (fa, sa) = analyze_bytes("t", a, &g, Options::default());
        let (fb, sb) = analyze_bytes("t", b, &g, Options::default());
        let both: Vec<u8> = [a.as_slice(), b.as_slice()].concat();
        let (fab, sab) = analyze_bytes("t", &both, &g, Options::default());
        let mut want: Vec<String> = fa.iter().chain(&fb).map(key).collect();
        let mut got: Vec<String> = fab.iter().map(key).collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{na} + {nb}");
        assert_eq!(sab.lines, sa.lines + sb.lines, "{na} + {nb}");
        assert_eq!(sab.parsed, sa.parsed + sb.parsed, "{na} + {nb}");
        assert!(sab.balanced());
    }
}

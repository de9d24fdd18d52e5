//! Streaming invariants, checked over every sample, every corpus file and
//! generated workloads: any split of reads gives the same findings; two logs
//! concatenated give the union of their findings; every line is accounted
//! for as parsed, passed through or skipped.

use crate::common::*;
use aiolog::correlate::Finding;
use aiolog::grammar::Grammars;
use aiolog::pipeline::{analyze_bytes, drive, pieces, InputAnalyzer, Options};
use aiolog::report::LineStats;
use aiolog::scan::Scanner;
use aiolog::workload::Rng;

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

/// Feeds `data` in reads of random sizes (1 byte up to `max`).
fn split_run(g: &Grammars, data: &[u8], rng: &mut Rng, max: u64) -> (Vec<Finding>, LineStats) {
    split_run_with(g, data, rng, max, Options::default())
}

fn split_run_with(
    g: &Grammars,
    data: &[u8],
    rng: &mut Rng,
    max: u64,
    opts: Options,
) -> (Vec<Finding>, LineStats) {
    let s = Scanner::new();
    let mut a = InputAnalyzer::new("t", g, &s, opts);
    let mut found = Vec::new();
    let sizes = move || (1 + rng.next_u64() % max) as usize;
    drive(&mut a, max as usize, pieces(data, sizes), |out| {
        found.append(out);
        Ok(std::ops::ControlFlow::Continue(()))
    })
    .unwrap();
    (found, a.stats().clone())
}

#[test]
fn any_split_of_reads_gives_the_same_findings() {
    let g = Grammars::builtin().unwrap();
    let mut rng = Rng(7);
    for (name, data) in inputs() {
        let whole = analyze_bytes("t", &data, &g, Options::default());
        assert!(whole.1.balanced(), "{name}: {:?}", whole.1);
        for max in [1, 3, 17, 300, 70_000] {
            if max == 1 && data.len() > 100_000 {
                continue;
            }
            let split = split_run(&g, &data, &mut rng, max);
            assert_eq!(split, whole, "{name}, reads of at most {max} bytes");
        }
    }
}

/// With a tiny line bound, lines are cut all the time: the account of cut
/// lines, invalid UTF-8 and findings still does not depend on the reads
/// (the fuzzer found two ways it did).
#[test]
fn the_account_of_cut_lines_does_not_depend_on_reads() {
    let g = Grammars::builtin().unwrap();
    let mut rng = Rng(11);
    let opts = Options {
        max_line: 64,
        ..Options::default()
    };
    for (name, data) in inputs().into_iter().take(40) {
        let whole = analyze_bytes("t", &data, &g, opts);
        assert!(whole.1.balanced(), "{name}");
        for max in [1, 5, 97, 4096] {
            assert_eq!(
                split_run_with(&g, &data, &mut rng, max, opts),
                whole,
                "{name}, reads of at most {max} bytes"
            );
        }
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

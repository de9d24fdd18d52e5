//! The record assembler across reads: the same bytes delivered in any split
//! give the same findings and the same line account, and every line is
//! accounted for.
#![no_main]
use aiolog::grammar::Grammars;
use aiolog::pipeline::{drive, pieces, InputAnalyzer, Options};
use aiolog::scan::Scanner;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static G: OnceLock<(Grammars, Scanner)> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (g, s) = G.get_or_init(|| (Grammars::builtin().unwrap(), Scanner::new()));
    if data.is_empty() {
        return;
    }
    let opts = Options { max_line: 64, ..Options::default() };
    let run = |step: usize| {
        let mut a = InputAnalyzer::new("f", g, s, opts);
        let mut found = Vec::new();
        let _ = drive(&mut a, step, pieces(&data[1..], || usize::MAX), |out| {
            found.append(out);
            Ok(std::ops::ControlFlow::Continue(()))
        });
        (found, a.stats().clone())
    };
    let whole = run(data.len());
    let split = run(1 + data[0] as usize % 17);
    assert!(whole.1.balanced(), "{:?}", whole.1);
    assert_eq!(whole, split);
});

//! The stream tester, in the manner of ripgrep's `SearcherTester`: one input
//! run every way the analyzer can be fed, all of which must agree. Most
//! format and kind tests go through it, so that each of them also checks
//! the invariants: the same findings and account whatever the reads, a
//! pause where nothing is held back changes nothing, parallel parts (with
//! the context seeded before each) equal the serial run, and every line is
//! accounted for.

use std::ops::ControlFlow;

use aiolog::aggregate::Aggregator;
use aiolog::correlate::Finding;
use aiolog::grammar::Grammars;
use aiolog::parallel::analyze_file;
use aiolog::pipeline::{drive, pieces, InputAnalyzer, Options, Step};
use aiolog::report::LineStats;
use aiolog::scan::Scanner;
use aiolog::workload::Rng;

use super::TempDir;

/// What one run gives.
pub type Run = (Vec<Finding>, LineStats);

/// One input and the ways to feed it.
pub struct StreamTester<'a> {
    name: &'a str,
    data: &'a [u8],
    grammars: &'a Grammars,
    opts: Options,
}

/// Inputs up to this size are also read one byte at a time.
const ONE_BYTE_MAX: usize = 200_000;

impl<'a> StreamTester<'a> {
    /// The input `data`, called `name` in findings and messages.
    pub fn new(name: &'a str, data: &'a [u8], grammars: &'a Grammars) -> Self {
        StreamTester {
            name,
            data,
            grammars,
            opts: Options::default(),
        }
    }

    /// Other options.
    pub fn opts(mut self, opts: Options) -> Self {
        self.opts = opts;
        self
    }

    /// Runs the input every way and checks that all agree; returns the
    /// findings and account of the whole input read at once.
    pub fn run(&self) -> Run {
        let name = self.name;
        let whole = self.split(self.data.len(), || usize::MAX);
        assert!(
            whole.1.balanced(),
            "{name}: unbalanced account {:?}",
            whole.1
        );
        assert_eq!(whole.1.bytes, self.data.len() as u64, "{name}: bytes");
        if self.data.len() <= ONE_BYTE_MAX {
            assert_eq!(self.split(1, || 1), whole, "{name}: 1-byte reads");
        }
        for (seed, max) in [(1u64, 7usize), (2, 300), (3, 70_000)] {
            let mut rng = Rng(seed);
            let run = self.split(max, move || 1 + (rng.next_u64() % max as u64) as usize);
            assert_eq!(run, whole, "{name}: random reads of at most {max} bytes");
        }
        assert_eq!(self.paused(true), whole, "{name}: pauses where settled");
        let every = self.paused(false);
        assert!(every.1.balanced(), "{name}: pauses after every line");
        assert_eq!(
            every.1.lines, whole.1.lines,
            "{name}: pauses after every line"
        );
        self.check_parallel(&whole);
        whole
    }

    fn analyzer<'s>(&'s self, scanner: &'s Scanner) -> InputAnalyzer<'s> {
        InputAnalyzer::new(self.name, self.grammars, scanner, self.opts)
    }

    /// Reads of the sizes `sizes` gives, through the driver loop.
    fn split(&self, chunk: usize, sizes: impl FnMut() -> usize + 'a) -> Run {
        let scanner = Scanner::new();
        let mut an = self.analyzer(&scanner);
        let mut found = Vec::new();
        drive(&mut an, chunk, pieces(self.data, sizes), |out| {
            found.append(out);
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
        (found, an.stats().clone())
    }

    /// One line per read, and a pause ([`Step::Idle`]) after each line:
    /// only where the analyzer is settled, or after every one.
    fn paused(&self, only_settled: bool) -> Run {
        let scanner = Scanner::new();
        let mut an = self.analyzer(&scanner);
        let mut out = Vec::new();
        for line in self.data.split_inclusive(|&b| b == b'\n') {
            an.step(Step::Data(line), &mut out);
            if !only_settled || an.settled() {
                an.step(Step::Idle, &mut out);
            }
        }
        an.step(Step::End, &mut out);
        (out, an.stats().clone())
    }

    /// Two and three parts on as many threads, each with the lines before
    /// it as context, merged: the serial run's groups and account.
    fn check_parallel(&self, whole: &Run) {
        let mut serial = Aggregator::new();
        whole.0.iter().for_each(|f| serial.add(f));
        let dir = TempDir::new("stream");
        let path = dir.join("input.log");
        std::fs::write(&path, self.data).unwrap();
        for threads in [2, 3] {
            let par = analyze_file(&path, self.name, self.grammars, self.opts, threads, 0).unwrap();
            let name = self.name;
            assert_eq!(par.stats, whole.1, "{name}: {} parallel parts", par.parts);
            assert_eq!(
                par.agg.ranked(),
                serial.ranked(),
                "{name}: {} parallel parts",
                par.parts
            );
        }
    }
}

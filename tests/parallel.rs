//! A large file analyzed in parallel parts gives exactly the serial result.

use crate::common::*;
use aiolog::grammar::Grammars;
use aiolog::parallel::analyze_file;
use aiolog::pipeline::Options;

#[test]
fn parallel_parts_equal_the_serial_run() {
    let dir = TempDir::new("parallel");
    let path = dir.join("w.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    aiolog::workload::generate(&mut f, 11, 6_000_000).unwrap();
    drop(f);
    let g = Grammars::builtin().unwrap();
    let serial = analyze_file(&path, "w.log", &g, Options::default(), 1, 0).unwrap();
    assert_eq!(serial.parts, 1);
    assert!(serial.agg.events > 100, "{}", serial.agg.events);
    assert!(serial.stats.balanced());
    for threads in [2, 3, 7] {
        let par = analyze_file(&path, "w.log", &g, Options::default(), threads, 0).unwrap();
        assert_eq!(par.parts, threads, "safe boundaries found for every part");
        assert_eq!(par.stats, serial.stats, "{threads} threads");
        assert_eq!(par.agg.events, serial.agg.events);
        assert_eq!(par.agg.ranked(), serial.agg.ranked(), "{threads} threads");
    }
}

//! Writes the synthetic benchmark workload (see `aiolog::workload`).
//!
//!     cargo run --release --example gen_workload -- SEED SIZE OUT
//!
//! SIZE takes a K, M or G suffix (powers of 1024).

use std::io::{BufWriter, Write};

fn parse_size(s: &str) -> Option<u64> {
    let (num, mult) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1u64 << 10),
        'M' | 'm' => (&s[..s.len() - 1], 1 << 20),
        'G' | 'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: gen_workload SEED SIZE OUT   (SIZE like 100M or 1G)";
    let [seed, size, out] = args.as_slice() else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let (Ok(seed), Some(size)) = (seed.parse::<u64>(), parse_size(size)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let file = std::fs::File::create(out).unwrap_or_else(|e| {
        eprintln!("gen_workload: cannot write {out}: {e}");
        std::process::exit(2);
    });
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let n = aiolog::workload::generate(&mut w, seed, size).expect("write");
    w.flush().expect("write");
    eprintln!("gen_workload: wrote {n} bytes to {out}");
}

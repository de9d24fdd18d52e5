//! Writes the synthetic benchmark workload (see `aiolog::workload`).
//!
//!     cargo run --release --example gen_workload -- SEED SIZE OUT [RECORDS_PER_MIB]
//!
//! SIZE takes a K, M or G suffix (powers of 1024). RECORDS_PER_MIB makes a
//! dense workload (about that many asyncio records per MiB; the default mix
//! has some 57). `gen_workload --markers` prints the block search's markers
//! instead, one per line.

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
    if args.first().map(String::as_str) == Some("--markers") {
        // The block search's markers, one per line: what `rg -F -f` is
        // given to compare the search alone.
        for m in aiolog::scan::markers() {
            println!("{m}");
        }
        return;
    }
    let usage = "usage: gen_workload SEED SIZE OUT [RECORDS_PER_MIB]   (SIZE like 100M or 1G)";
    let (seed, size, out, density) = match args.as_slice() {
        [seed, size, out] => (seed, size, out, None),
        [seed, size, out, d] => match d.parse::<u64>() {
            Ok(d) => (seed, size, out, Some(d)),
            Err(_) => {
                eprintln!("{usage}");
                std::process::exit(2);
            }
        },
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
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
    let n = aiolog::workload::generate_dense(&mut w, seed, size, density).expect("write");
    w.flush().expect("write");
    eprintln!("gen_workload: wrote {n} bytes to {out}");
}

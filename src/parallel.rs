//! Both cores on one large file (orchestration, after the aggregate stage).
//!
//! # Brief overview
//! A regular file is cut into parts at *safe* line boundaries: just before a
//! line that holds a scan marker and that always starts a record of its own
//! ([`crate::record::hit_line_always_starts_record`]). No record can span such
//! a boundary, so each part is analyzed on its own thread exactly as it would
//! be in one pass, and the parts' aggregates and line accounts are merged in
//! file order, line numbers shifted. The result equals the serial run's (a test
//! compares them). Each thread reads its part in [`crate::input::CHUNK_SIZE`]
//! chunks: memory stays flat whatever the file's size.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use crate::aggregate::Aggregator;
use crate::correlate::Finding;
use crate::frame::ReadLine;
use crate::grammar::Grammars;
use crate::input::{read_chunk, CHUNK_SIZE};
use crate::pipeline::{drive, InputAnalyzer, Options};
use crate::record::hit_line_always_starts_record;
use crate::report::LineStats;
use crate::scan::Scanner;

/// Files smaller than this are not worth splitting.
pub const MIN_PARALLEL_BYTES: u64 = 32 << 20;

/// How far past a nominal cut to look for a safe boundary.
const SEARCH_LIMIT: u64 = 64 << 20;

/// The analysis of a whole file.
#[derive(Debug, Default)]
pub struct FileResult {
    /// The findings, aggregated.
    pub agg: Aggregator,
    /// The line account.
    pub stats: LineStats,
    /// How many parts were analyzed.
    pub parts: usize,
}

/// Analyzes `path` with up to `threads` threads (in one piece if it is
/// small, if `threads` is 1, or if no safe boundary is found).
pub fn analyze_file(
    path: &Path,
    name: &str,
    grammars: &Grammars,
    opts: Options,
    threads: usize,
    min_bytes: u64,
) -> io::Result<FileResult> {
    let len = std::fs::metadata(path)?.len();
    let scanner = Scanner::new();
    let bounds = if threads > 1 && len >= min_bytes {
        boundaries(path, len, threads, grammars, &scanner, opts)?
    } else {
        vec![0, len]
    };
    let parts: Vec<(u64, u64)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    let results: Vec<io::Result<Part>> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .iter()
            .map(|&(start, end)| {
                let scanner = &scanner;
                // What happened at shutdown is told by all the parts
                // together, below.
                let opts = Options {
                    mark_shutdown: false,
                    ends_input: opts.ends_input && end == len,
                    ..opts
                };
                s.spawn(move || {
                    crate::allocator::with_cache(|| {
                        analyze_part(path, name, grammars, scanner, opts, start, end)
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .collect()
    });
    let mut out = FileResult {
        parts: parts.len(),
        ..FileResult::default()
    };
    let mut parts = results.into_iter().collect::<io::Result<Vec<Part>>>()?;
    // A part's task-lifecycle findings that no application line followed
    // happened at shutdown only if no later part has an application line,
    // and some part shows the program's teardown (as one reading decides
    // in `HoldBack::finish`).
    let teardown = parts.iter().any(|p| p.teardown);
    for k in 0..parts.len() {
        let later_app_line = parts[k + 1..].iter().any(|p| p.saw_app_line);
        for mut f in std::mem::take(&mut parts[k].tail) {
            f.during_shutdown = opts.mark_shutdown && teardown && !later_app_line;
            parts[k].agg.add(&f);
        }
    }
    let mut offset = 0;
    for Part { agg, mut stats, .. } in parts {
        out.agg.merge_shifted(agg, offset);
        for s in &mut stats.unrecognized_samples {
            s.line += offset;
        }
        offset += stats.lines;
        out.stats.merge(&stats);
    }
    Ok(out)
}

/// What one part gives: its aggregate and account, the task-lifecycle
/// findings that no application line followed in it (not yet marked),
/// whether it has an application line at all, and whether it shows the
/// program's teardown.
struct Part {
    agg: Aggregator,
    stats: LineStats,
    tail: Vec<Finding>,
    saw_app_line: bool,
    teardown: bool,
}

fn analyze_part(
    path: &Path,
    name: &str,
    grammars: &Grammars,
    scanner: &Scanner,
    opts: Options,
    start: u64,
    end: u64,
) -> io::Result<Part> {
    let mut f = File::open(path)?;
    let mut an = InputAnalyzer::new(name, grammars, scanner, opts);
    if start > 0 && opts.before > 0 {
        // The lines just before the part, for the context of its first record.
        let from = start.saturating_sub(64 << 10);
        f.seek(SeekFrom::Start(from))?;
        let mut prev = vec![0u8; (start - from) as usize];
        f.read_exact(&mut prev)?;
        let body = prev.strip_suffix(b"\n").unwrap_or(&prev);
        let mut lines: Vec<&[u8]> = body.rsplit(|&b| b == b'\n').take(opts.before).collect();
        if from > 0 && lines.len() == body.split(|&b| b == b'\n').count() {
            lines.pop(); // the first line of the window may be cut
        }
        lines.reverse();
        an.seed_context(&lines);
    }
    f.seek(SeekFrom::Start(start))?;
    let mut part = f.take(end - start);
    let mut agg = Aggregator::new();
    let failed = drive(
        &mut an,
        CHUNK_SIZE,
        |buf| read_chunk(&mut part, buf),
        |out| {
            out.drain(..).for_each(|f| agg.add(&f));
            Ok(std::ops::ControlFlow::Continue(()))
        },
    )?;
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(Part {
        agg,
        stats: an.stats().clone(),
        tail: an.take_tail(),
        saw_app_line: an.saw_application_line(),
        teardown: an.shows_teardown(),
    })
}

/// `0`, the safe boundaries found near `len * k / parts`, and `len`.
fn boundaries(
    path: &Path,
    len: u64,
    parts: usize,
    grammars: &Grammars,
    scanner: &Scanner,
    opts: Options,
) -> io::Result<Vec<u64>> {
    let mut f = File::open(path)?;
    let mut out = vec![0];
    for k in 1..parts as u64 {
        let nominal = len * k / parts as u64;
        if nominal <= *out.last().unwrap() {
            continue;
        }
        if let Some(b) = safe_boundary_after(&mut f, nominal, len, grammars, scanner, opts)? {
            if b > *out.last().unwrap() && b < len {
                out.push(b);
            }
        }
    }
    out.push(len);
    Ok(out)
}

/// The start of the first line at or after `from` (a line that begins after
/// a `\n`) that holds a marker and always starts a record. Reads at most
/// [`SEARCH_LIMIT`] bytes, [`CHUNK_SIZE`] at a time.
fn safe_boundary_after(
    f: &mut File,
    from: u64,
    len: u64,
    grammars: &Grammars,
    scanner: &Scanner,
    opts: Options,
) -> io::Result<Option<u64>> {
    // Start one byte early so that a line beginning exactly at `from` is seen
    // to begin after a newline; then skip to the first line start.
    let mut off = from.saturating_sub(1);
    f.seek(SeekFrom::Start(off))?;
    let mut reader = f.take(SEARCH_LIMIT.min(len - off));
    let mut buf: Vec<u8> = Vec::with_capacity(2 * CHUNK_SIZE);
    let mut chunk = crate::input::ReadBuf::new(CHUNK_SIZE);
    let mut at_line_start = false;
    loop {
        let n = read_chunk(&mut reader, &mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if !at_line_start {
            // `buf` starts mid-line: drop up to the first newline.
            match memchr::memchr(b'\n', &buf) {
                Some(nl) => {
                    buf.drain(..=nl);
                    off += nl as u64 + 1;
                    at_line_start = true;
                }
                None => {
                    off += buf.len() as u64;
                    buf.clear();
                    continue;
                }
            }
        }
        // `buf` starts at a line start; look at its complete lines.
        let Some(last_nl) = memchr::memrchr(b'\n', &buf) else {
            if buf.len() > 4 * CHUNK_SIZE {
                // An enormous line: no boundary in it; skip to its end.
                off += buf.len() as u64;
                buf.clear();
                at_line_start = false;
            }
            continue;
        };
        let complete = &buf[..=last_nl];
        let mut pos = 0;
        while let Some(hit) = scanner.find(&complete[pos..]).map(|h| pos + h) {
            let start = memchr::memrchr(b'\n', &complete[..hit]).map_or(0, |i| i + 1);
            let end = start + memchr::memchr(b'\n', &complete[start..]).expect("complete lines");
            // Framed as the analysis reads it: a collector's JSON object
            // names its stream, and no record of one stream can be known to
            // end at a line of another.
            let line = ReadLine::read(&complete[start..end], opts.max_line);
            let framed = grammars.frame_read(&line, opts.forced_grammar);
            if hit_line_always_starts_record(&framed, grammars) {
                return Ok(Some(off + start as u64));
            }
            pos = end + 1;
        }
        buf.drain(..=last_nl);
        off += last_nl as u64 + 1;
    }
}

//! Batch analysis: files and standard input read to their end (in parallel
//! parts for a large file), and `aiolog merge`'s reports read back.

use std::io::{self, IsTerminal, Write};

use aiolog::input::{self, InputSpec, CHUNK_SIZE};
use aiolog::parallel;
use aiolog::pipeline::{drive, InputAnalyzer};
use aiolog::report::Report;
use std::ops::ControlFlow;

use super::live::live_loop;
use super::{describe_io_error, Ctx};
use crate::signals;

/// Files and standard input, one after the other.
pub(super) fn read_inputs(files: &[String], ctx: &mut Ctx) -> io::Result<()> {
    let specs: Vec<InputSpec> = if files.is_empty() {
        vec![InputSpec::Stdin]
    } else {
        files.iter().map(|a| InputSpec::from_arg(a)).collect()
    };
    for spec in &specs {
        let opened = match input::open(spec) {
            Ok(o) => o,
            Err(e) => {
                eprintln!(
                    "aiolog: error: cannot read {}: {}",
                    e.name,
                    describe_io_error(&e.source)
                );
                ctx.errored = true;
                ctx.withheld.unread_inputs += 1;
                continue;
            }
        };
        ctx.names.push(opened.name.clone());
        if opened.live {
            if *spec == InputSpec::Stdin && io::stdin().is_terminal() {
                eprintln!("aiolog: reading the terminal; pipe a log in or name a file (Ctrl-D ends the input)");
            }
            if let Some(c) = ctx.confirm.as_mut() {
                // omprog's handshake: ready for the first message.
                c.write_all(b"OK\n")?;
                c.flush()?;
            }
            let (tx, rx) = input::live_channel();
            input::spawn_reader(0, opened.reader, None, tx);
            live_loop(rx, std::slice::from_ref(&opened.name), ctx, &mut |_| true)?;
        } else if let (InputSpec::File(path), true) = (
            spec,
            // A filtered run reads a large file in one piece, as its findings
            // are filtered one by one.
            ctx.threads > 1 && !ctx.sink.wants_every_finding() && ctx.filter.drops_nothing(),
        ) {
            drop(opened);
            match parallel::analyze_file(
                path,
                &ctx.names[ctx.names.len() - 1],
                ctx.grammars,
                ctx.opts,
                ctx.threads,
                parallel::MIN_PARALLEL_BYTES,
            ) {
                Ok(r) => {
                    ctx.agg.merge(r.agg);
                    ctx.stats.merge(&r.stats);
                }
                Err(e) => {
                    eprintln!(
                        "aiolog: error: reading {}: {}",
                        path.display(),
                        describe_io_error(&e)
                    );
                    ctx.errored = true;
                }
            }
        } else {
            read_batch(opened.reader, &opened.name, ctx)?;
        }
        if ctx.interrupted {
            break;
        }
    }
    Ok(())
}

/// A regular file: large reads, no timers.
pub(super) fn read_batch(
    mut reader: Box<dyn io::Read + Send>,
    name: &str,
    ctx: &mut Ctx,
) -> io::Result<()> {
    let mut an = InputAnalyzer::new(name, ctx.grammars, ctx.scanner, ctx.opts);
    let failed = drive(
        &mut an,
        CHUNK_SIZE,
        |buf| input::read_chunk(&mut reader, buf),
        |out| {
            ctx.emit(out, false)?;
            // Signals are caught only once a live source was read; then a
            // later file stops at the next chunk.
            if signals::take().is_some() {
                ctx.interrupted = true;
                return Ok(ControlFlow::Break(()));
            }
            Ok(ControlFlow::Continue(()))
        },
    )?;
    if let Some(e) = failed {
        eprintln!("aiolog: error: reading {name}: {}", describe_io_error(&e));
        ctx.errored = true;
    }
    ctx.stats.merge(an.stats());
    Ok(())
}

/// `aiolog merge`.
pub(super) fn merge_reports(reports: &[std::path::PathBuf], ctx: &mut Ctx) -> io::Result<()> {
    use std::io::Read;
    for path in reports {
        let name = path.display();
        let bytes = if path.as_os_str() == "-" {
            let mut b = Vec::new();
            io::stdin().lock().read_to_end(&mut b).map(|_| b)
        } else {
            std::fs::read(path)
        };
        let text = match bytes {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                eprintln!(
                    "aiolog: error: cannot read report {name}: {}",
                    describe_io_error(&e)
                );
                ctx.errored = true;
                ctx.withheld.unread_inputs += 1;
                continue;
            }
        };
        let Some(doc) = aiolog::merge::is_report(&text) else {
            // An NDJSON stream: its findings go through the filter and the
            // sink as an analysis's would.
            let mut read = aiolog::merge::read_stream(&text, &mut ctx.stats, &mut ctx.names);
            let first = read.first_unreadable.as_ref();
            if read.findings.is_empty() && read.summaries == 0 {
                let why = first.map_or(String::new(), |(l, why)| format!(" (line {l}: {why})"));
                eprintln!(
                    "aiolog: error: cannot read report {name}: neither an aiolog JSON report nor an NDJSON stream{why}"
                );
                ctx.errored = true;
                ctx.withheld.unread_inputs += 1;
                continue;
            }
            if let Some((line, why)) = first {
                eprintln!(
                    "aiolog: warning: {name}: {} not read as aiolog NDJSON, the first at line {line}: {why}",
                    aiolog::text::plural(read.unreadable, "line", "lines")
                );
            }
            ctx.emit(&mut read.findings, false)?;
            continue;
        };
        if let Err(e) =
            aiolog::merge::read_report(&doc, &mut ctx.agg, &mut ctx.stats, &mut ctx.names)
        {
            eprintln!("aiolog: error: {name} is not an aiolog JSON report: {e}");
            ctx.errored = true;
            ctx.withheld.unread_inputs += 1;
        }
    }
    Ok(())
}

pub(super) fn print_stats(r: &Report) {
    let s = &r.stats;
    let mut e = io::stderr().lock();
    let _ = writeln!(
        e,
        "aiolog: line account of {}, {} bytes",
        aiolog::text::plural(r.inputs.len() as u64, "input", "inputs"),
        s.bytes
    );
    let rows = [
        ("lines read", s.lines, String::new()),
        (
            "parsed",
            s.parsed,
            format!(
                "lines of {} that became findings, and of debug-mode lines",
                aiolog::text::plural(s.records, "asyncio record", "asyncio records")
            ),
        ),
        (
            "  debug lines",
            s.debug_records,
            "of them: asyncio debug-mode DEBUG/INFO lines, recognized".into(),
        ),
        (
            "passed through",
            s.passed_through,
            "application lines, counted and not read".into(),
        ),
        (
            "skipped",
            s.skipped,
            format!(
                "lines of {} with asyncio markers that aiolog could not read",
                aiolog::text::plural(s.unrecognized_records, "record", "records")
            ),
        ),
        (
            "truncated",
            s.truncated_lines,
            "lines cut at --max-line-bytes".into(),
        ),
        (
            "invalid UTF-8",
            s.invalid_utf8_lines,
            "lines with bytes replaced by U+FFFD".into(),
        ),
    ];
    for (name, n, note) in rows {
        let _ = writeln!(e, "  {name:<15} {n:>12}  {note}");
    }
    if !s.balanced() {
        let _ = writeln!(
            e,
            "  warning: the account does not add up; please report this"
        );
    }
    for u in &s.unrecognized_samples {
        let _ = writeln!(e, "  not read: {}:{}: {}", u.input, u.line, u.reason);
        for line in u.text.lines().take(4) {
            let _ = writeln!(e, "    | {}", aiolog::render::terminal_safe(line));
        }
    }
}

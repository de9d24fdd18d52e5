//! Runs the inputs through the pipeline and hands the results to a renderer.
//! Only this module and `main` know about exit codes.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Once;

use aiolog::aggregate::Aggregator;
use aiolog::correlate::Finding;
use aiolog::grammar::Grammars;
use aiolog::input::{self, InputSpec, LiveMsg, LiveReader, CHUNK_SIZE, IDLE_FLUSH};
use aiolog::pipeline::{LineStats, Options, SourceAnalyzer};
use aiolog::render::json::Json;
use aiolog::render::table::TableSink;
use aiolog::render::{Report, Sink};
use aiolog::scan::Scanner;

use crate::cli::{Args, Format};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every input was read.
    Success,
    /// Something could not be read, or the arguments were wrong.
    Error,
    /// Ctrl-C.
    Interrupted,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        match s {
            Status::Success => ExitCode::SUCCESS,
            Status::Error => ExitCode::from(2),
            Status::Interrupted => ExitCode::from(130),
        }
    }
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static HANDLER: Once = Once::new();

/// Ctrl-C stops reading; the summary of what was read is still printed.
/// Installed only for live inputs, so that a batch run stops at once.
fn catch_ctrl_c() {
    HANDLER.call_once(|| {
        let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    });
}

/// An I/O error as a message: the OS's words without `(os error N)`.
pub fn describe_io_error(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Runs aiolog.
pub fn run(args: Args) -> io::Result<Status> {
    let grammars = match Grammars::builtin() {
        Ok(g) => g,
        Err(e) => {
            eprintln!("aiolog: error: invalid grammar: {e}");
            return Ok(Status::Error);
        }
    };
    let stdout = io::stdout();
    if args.list_grammars {
        let mut out = stdout.lock();
        for g in grammars.all() {
            writeln!(
                out,
                "{:<22} {:<7} {}",
                g.name,
                format!("{:?}", g.layer).to_lowercase(),
                g.title
            )?;
        }
        return Ok(Status::Success);
    }
    let forced = match &args.grammar {
        None => None,
        Some(name) => match grammars.find(name) {
            Some(i) => Some(i),
            None => {
                let known: Vec<&str> = grammars.all().iter().map(|g| g.name.as_str()).collect();
                eprintln!(
                    "aiolog: error: unknown grammar `{name}`\n  help: the grammars are: {} (see --list-grammars)",
                    known.join(", ")
                );
                return Ok(Status::Error);
            }
        },
    };
    if args.max_line_bytes == 0 {
        eprintln!("aiolog: error: --max-line-bytes must be at least 1");
        return Ok(Status::Error);
    }
    let opts = Options {
        forced_grammar: forced,
        max_line: args.max_line_bytes,
    };
    let specs: Vec<InputSpec> = if args.files.is_empty() {
        vec![InputSpec::Stdin]
    } else {
        args.files.iter().map(|a| InputSpec::from_arg(a)).collect()
    };

    let terminal = stdout.is_terminal();
    let mut sink: Box<dyn Sink> = match args.format {
        Format::Table => Box::new(TableSink::new(stdout.lock(), terminal)),
        Format::Json => Box::new(Json::new(stdout.lock())),
    };
    let scanner = Scanner::new();
    let mut agg = Aggregator::new();
    let mut stats = LineStats::default();
    let mut names = Vec::new();
    let mut errored = false;
    let mut interrupted = false;

    for spec in &specs {
        let opened = match input::open(spec) {
            Ok(o) => o,
            Err(e) => {
                eprintln!(
                    "aiolog: error: cannot read {}: {}",
                    e.name,
                    describe_io_error(&e.source)
                );
                errored = true;
                continue;
            }
        };
        names.push(opened.name.clone());
        if opened.live && *spec == InputSpec::Stdin && io::stdin().is_terminal() {
            eprintln!("aiolog: reading the terminal; pipe a log in or name a file (Ctrl-D ends the input)");
        }
        let mut analyzer = SourceAnalyzer::new(&opened.name, &grammars, &scanner, opts);
        let result = if opened.live {
            catch_ctrl_c();
            read_live(opened.reader, &mut analyzer, &mut agg, sink.as_mut())
        } else {
            read_batch(opened.reader, &mut analyzer, &mut agg)
        };
        match result {
            Ok(stop) => interrupted |= stop,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Err(e),
            Err(e) => {
                eprintln!(
                    "aiolog: error: reading {}: {}",
                    opened.name,
                    describe_io_error(&e)
                );
                errored = true;
                let mut out = Vec::new();
                analyzer.finish(&mut out);
                out.iter().for_each(|f| agg.add(f));
            }
        }
        stats.merge(analyzer.stats());
        if interrupted {
            break;
        }
    }

    let report = Report {
        inputs: names,
        stats,
        ranked: agg.ranked(),
        events: agg.events,
        interrupted,
    };
    sink.finish(&report)?;
    if args.stats {
        print_stats(&report);
    }
    Ok(if interrupted {
        Status::Interrupted
    } else if errored {
        Status::Error
    } else {
        Status::Success
    })
}

/// A regular file: large reads, no timers.
fn read_batch(
    mut reader: Box<dyn io::Read + Send>,
    an: &mut SourceAnalyzer,
    agg: &mut Aggregator,
) -> io::Result<bool> {
    let mut buf = vec![0u8; CHUNK_SIZE];
    let mut out = Vec::new();
    loop {
        let n = input::read_chunk(&mut reader, &mut buf)?;
        if n == 0 {
            break;
        }
        an.feed(&buf[..n], &mut out);
        out.drain(..).for_each(|f| agg.add(&f));
        if INTERRUPTED.load(Ordering::SeqCst) {
            an.finish(&mut out);
            out.drain(..).for_each(|f| agg.add(&f));
            return Ok(true);
        }
    }
    an.finish(&mut out);
    out.drain(..).for_each(|f| agg.add(&f));
    Ok(false)
}

/// A live stream: findings printed as their records complete; a record is
/// complete after [`IDLE_FLUSH`] without new data. Returns whether Ctrl-C
/// ended it.
fn read_live(
    reader: Box<dyn io::Read + Send>,
    an: &mut SourceAnalyzer,
    agg: &mut Aggregator,
    sink: &mut dyn Sink,
) -> io::Result<bool> {
    let live = LiveReader::spawn(reader);
    let mut out: Vec<Finding> = Vec::new();
    let emit =
        |out: &mut Vec<Finding>, agg: &mut Aggregator, sink: &mut dyn Sink| -> io::Result<()> {
            for f in out.drain(..) {
                agg.add(&f);
                sink.finding(&f)?;
            }
            Ok(())
        };
    loop {
        if INTERRUPTED.load(Ordering::SeqCst) {
            an.finish(&mut out);
            emit(&mut out, agg, sink)?;
            return Ok(true);
        }
        match live.rx.recv_timeout(IDLE_FLUSH) {
            Ok(LiveMsg::Data(d)) => an.feed(&d, &mut out),
            Ok(LiveMsg::Eof) | Err(RecvTimeoutError::Disconnected) => break,
            Ok(LiveMsg::Error(e)) => {
                an.finish(&mut out);
                emit(&mut out, agg, sink)?;
                return Err(e);
            }
            Ok(LiveMsg::Interrupt) => INTERRUPTED.store(true, Ordering::SeqCst),
            Err(RecvTimeoutError::Timeout) => an.flush_idle(&mut out),
        }
        emit(&mut out, agg, sink)?;
    }
    an.finish(&mut out);
    emit(&mut out, agg, sink)?;
    Ok(false)
}

fn print_stats(r: &Report) {
    let s = &r.stats;
    let mut e = io::stderr().lock();
    let _ = writeln!(
        e,
        "aiolog: line account of {} input(s), {} bytes",
        r.inputs.len(),
        s.bytes
    );
    let rows = [
        ("lines read", s.lines, String::new()),
        (
            "parsed",
            s.parsed,
            format!(
                "lines of {} asyncio record(s) that became findings",
                s.records
            ),
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
                "lines of {} record(s) with asyncio markers that aiolog could not read",
                s.unrecognized_records
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
            let _ = writeln!(e, "    | {line}");
        }
    }
}

//! Runs the inputs through the pipeline and hands the results to a renderer.
//! Only this module and `main` know about exit codes and processes.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use aiolog::aggregate::Aggregator;
use aiolog::correlate::Finding;
use aiolog::grammar::Grammars;
use aiolog::pipeline::Options;
use aiolog::render::github::Github;
use aiolog::render::json::Json;
use aiolog::render::ndjson::Ndjson;
use aiolog::render::table::TableSink;
use aiolog::render::Sink;
use aiolog::report::LineStats;
use aiolog::scan::Scanner;

use crate::cli::{Args, Command, Format};
mod analyze;
mod child;
mod info;
mod live;
mod settings;

use analyze::{merge_reports, print_stats, read_inputs};
use child::run_child;
use live::{follow, StatusLine};
use settings::{save_baseline, Gate, Settings};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every input was read (or a live stream was ended by a signal).
    Success,
    /// A gate (`--fail-on`, `--min-seconds`) matched findings.
    Gated,
    /// Something could not be read, or the arguments were wrong.
    Error,
    /// `aiolog run`: the child's exit status.
    Child(u8),
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        match s {
            Status::Success => ExitCode::SUCCESS,
            Status::Gated => ExitCode::from(1),
            Status::Error => ExitCode::from(2),
            Status::Child(c) => ExitCode::from(c),
        }
    }
}

use aiolog::input::describe_io_error;

/// What the run shares: grammars, scanner, options, aggregate, renderer.
struct Ctx<'g> {
    filter: aiolog::noise::Filter,
    threads: usize,
    grammars: &'g Grammars,
    scanner: &'g Scanner,
    opts: Options,
    agg: Aggregator,
    stats: LineStats,
    names: Vec<String>,
    sink: Box<dyn Sink + 'g>,
    status_line: Option<StatusLine>,
    /// With --stats: say on stderr where a followed file is read from, and
    /// when it is rotated or truncated.
    notices: bool,
    /// In `aiolog run`, stderr carries the child's output.
    stderr_is_childs: bool,
    errored: bool,
    interrupted: bool,
    /// What kept findings or input out (the filter's drops, unread inputs,
    /// a child without a loop), for the report's account.
    withheld: aiolog::report::Withheld,
    /// `--host`: the host every finding of this run comes from.
    host: Option<String>,
    /// `--omprog`: where each message read is confirmed (`OK`).
    confirm: Option<Box<dyn Write>>,
}

impl Ctx<'_> {
    fn emit(&mut self, out: &mut Vec<Finding>, live: bool) -> io::Result<()> {
        for mut f in out.drain(..) {
            if f.host.is_none() {
                f.host.clone_from(&self.host);
            }
            if !self.filter.keep(&f) {
                self.withheld.filtered += f.occurrences.max(1);
                continue;
            }
            self.agg.add(&f);
            if live {
                if let Some(s) = self.status_line.as_mut() {
                    s.clear();
                }
            }
            self.sink.finding(&f, live)?;
        }
        Ok(())
    }
}

/// Runs aiolog: the informational commands, else an analysis (of files, a
/// followed file, a child, or reports to merge), then the report.
pub fn run(args: Args) -> io::Result<Status> {
    let c = &args.common;
    if let Some(Command::Grammars { check }) = &args.command {
        if !check.is_empty() {
            return Ok(info::check_grammars(check));
        }
    }
    // `--grammar FILE` adds the user's grammar to the built-in ones.
    let user_grammar: Vec<std::path::PathBuf> = c
        .grammar
        .as_ref()
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_file())
        .into_iter()
        .collect();
    let grammars = match Grammars::builtin_plus(&user_grammar) {
        Ok(g) => g,
        Err(e) => return Ok(failed(format!("invalid grammar: {e}"))),
    };
    if c.list_grammars || matches!(args.command, Some(Command::Grammars { .. })) {
        return info::list_grammars(&grammars);
    }
    let forced = match forced_grammar(c, user_grammar.first(), &grammars) {
        Ok(f) => f,
        Err(msg) => return Ok(failed(msg)),
    };
    if c.max_line_bytes == 0 {
        return Ok(failed("--max-line-bytes must be at least 1".into()));
    }
    let settings = match Settings::new(c) {
        Ok(s) => s,
        Err(msg) => return Ok(failed(msg)),
    };
    let run_args = match &args.command {
        Some(Command::Run(r)) => Some(r),
        Some(Command::Baseline { .. } | Command::Merge { .. } | Command::Grammars { .. })
        | None => None,
        Some(other) => return info::command(other, c.format),
    };
    if c.omprog && (!args.files.is_empty() || args.follow.is_some() || args.command.is_some()) {
        return Ok(failed(
            "--omprog reads the messages rsyslog writes to standard input: name no file, -F or subcommand".into(),
        ));
    }
    let (out, terminal) = match output(c, run_args.is_some()) {
        Ok(o) => o,
        Err(msg) => return Ok(failed(msg)),
    };
    let source = aiolog::source::Roots::new(&settings.src, &settings.path_map)
        .map(|roots| aiolog::source::analyze::Analyzer::new(roots, c.code_lines));
    let (mut source, gate) = match (source, Gate::new(&c.fail_on, settings.min_seconds)) {
        (Ok(s), Ok(g)) => (s, g),
        (Err(msg), _) | (_, Err(msg)) => return Ok(failed(msg)),
    };
    let scanner = Scanner::new();
    let threads = match c.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let mut ctx = Ctx {
        threads,
        grammars: &grammars,
        scanner: &scanner,
        opts: Options {
            forced_grammar: forced,
            max_line: c.max_line_bytes,
            before: c.before_context,
            after: c.after_context,
            mark_shutdown: true,
            ends_input: true,
        },
        agg: Aggregator::new(),
        stats: LineStats::default(),
        names: Vec::new(),
        sink: sink_for(
            if c.omprog { Format::Ndjson } else { c.format },
            out,
            terminal,
            color_wanted(c.color, terminal),
            c.quiet,
            terminal
                .then(|| terminal_width(if run_args.is_some() { 2 } else { 1 }))
                .flatten(),
        ),
        status_line: None,
        notices: c.stats,
        stderr_is_childs: false,
        errored: false,
        withheld: Default::default(),
        interrupted: false,
        filter: settings.filter.clone(),
        host: c.host.clone(),
        confirm: c.omprog.then(|| Box::new(io::stdout()) as Box<dyn Write>),
    };

    let mut status = Status::Success;
    if let Some(r) = run_args {
        match run_child(r, &mut ctx)? {
            Some(code) => status = Status::Child(code),
            None => return Ok(Status::Error),
        }
    } else if let Some(Command::Merge { reports }) = &args.command {
        merge_reports(reports, &mut ctx)?;
    } else if let Some(path) = &args.follow {
        follow(path, args.from_start, &mut ctx)?;
    } else if let Some(Command::Baseline { logs, .. }) = &args.command {
        read_inputs(logs, &mut ctx)?;
    } else {
        read_inputs(&args.files, &mut ctx)?;
    }
    conclude(&args, ctx, &mut source, &settings, &gate, status)
}

/// Says an error in the command line or the configuration: status 2.
fn failed(msg: String) -> Status {
    eprintln!("aiolog: error: {msg}");
    Status::Error
}

/// Where findings and the report go: --output, else stderr for `run` (the
/// child's stdout is its own), else stdout; and whether it is a terminal.
fn output(c: &crate::cli::Common, is_run: bool) -> Result<(Box<dyn Write>, bool), String> {
    // A stage that rsyslog restarts appends to the findings it wrote before.
    let open = |path: &std::path::Path| {
        if c.omprog {
            File::options().create(true).append(true).open(path)
        } else {
            File::create(path)
        }
    };
    Ok(match &c.output {
        Some(path) => match open(path) {
            Ok(f) => (Box::new(io::BufWriter::new(f)), false),
            Err(e) => {
                return Err(format!(
                    "cannot write {}: {}",
                    path.display(),
                    describe_io_error(&e)
                ))
            }
        },
        None if is_run => (Box::new(io::stderr()), io::stderr().is_terminal()),
        None => (Box::new(io::stdout().lock()), io::stdout().is_terminal()),
    })
}

/// The width of the terminal on `fd`, else `COLUMNS`, else none.
fn terminal_width(fd: libc::c_int) -> Option<usize> {
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct passed; the
    // call fails harmlessly on a descriptor that is not a terminal.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) } == 0;
    if ok && ws.ws_col > 0 {
        return Some(usize::from(ws.ws_col));
    }
    std::env::var("COLUMNS")
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|&n| n > 0)
}

/// After the analysis: ranking and source evidence, then the baseline to
/// save, or the report, `--stats`, and the exit status.
fn conclude(
    args: &Args,
    mut ctx: Ctx<'_>,
    source: &mut aiolog::source::analyze::Analyzer,
    settings: &Settings,
    gate: &Gate,
    mut status: Status,
) -> io::Result<Status> {
    let c = &args.common;
    if let Some(h) = &ctx.host {
        // What the parallel parts counted came from this host too.
        ctx.agg.assign_host(h);
    }
    let ranked = ctx.agg.take_ranked();
    let evidence: Vec<_> = ranked
        .iter()
        .map(|rk| (!rk.group.key.other).then(|| source.evidence(&rk.group)))
        .collect();
    if let Some(Command::Baseline { baseline_file, .. }) = &args.command {
        return save_baseline(baseline_file, &ranked, &evidence);
    }
    let report = match settings.report(&mut ctx, ranked, evidence, c) {
        Ok(r) => r,
        Err(msg) => return Ok(failed(msg)),
    };
    if let Some(s) = ctx.status_line.as_mut() {
        s.clear();
    }
    ctx.sink.finish(&report)?;
    if c.stats {
        print_stats(&report);
    }
    if ctx.errored && !matches!(status, Status::Child(_)) {
        status = Status::Error;
    } else if gate.matches(&report) {
        status = Status::Gated;
    }
    // The process ends once the status is returned: freeing the report's
    // groups one string at a time would cost more than the ranking did (on a
    // dense 200 MiB log, 10 M instructions, on the one thread that also
    // wrote the report), and the system takes the memory back at once.
    std::mem::forget(report);
    Ok(status)
}

/// The grammar `--grammar` names (a built-in name, or the user's file's
/// grammar), as an index; `None` without `--grammar`.
fn forced_grammar(
    c: &crate::cli::Common,
    user_file: Option<&std::path::PathBuf>,
    grammars: &Grammars,
) -> Result<Option<usize>, String> {
    let name = match user_file {
        Some(p) => {
            let file = p.display().to_string();
            grammars
                .all()
                .iter()
                .find(|g| g.file == file)
                .map(|g| g.name.clone())
        }
        None => c.grammar.clone(),
    };
    let Some(name) = name else {
        return Ok(None);
    };
    match grammars.find(&name) {
        Some(i) => Ok(Some(i)),
        None => {
            let known: Vec<&str> = grammars.all().iter().map(|g| g.name.as_str()).collect();
            Err(format!(
                "unknown grammar `{name}`\n  help: the grammars are: {} (see --list-grammars)",
                known.join(", ")
            ))
        }
    }
}

/// Whether to colour: `--color`, then NO_COLOR and CLICOLOR_FORCE, then
/// whether the output is a terminal.
fn color_wanted(choice: crate::cli::ColorChoice, terminal: bool) -> bool {
    use crate::cli::ColorChoice;
    let set = |v: &str| std::env::var_os(v).filter(|x| !x.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR").is_some() => false,
        ColorChoice::Auto if set("CLICOLOR_FORCE").is_some_and(|x| x != "0") => true,
        ColorChoice::Auto => terminal,
    }
}

/// The renderer for `--format`.
fn sink_for<'w>(
    format: Format,
    out: Box<dyn Write + 'w>,
    terminal: bool,
    color: bool,
    quiet: bool,
    width: Option<usize>,
) -> Box<dyn Sink + 'w> {
    match format {
        Format::Table => Box::new(
            TableSink::new(out, terminal)
                .styled(color, quiet)
                .fit(width),
        ),
        Format::Json => Box::new(Json::new(out)),
        Format::Ndjson => Box::new(Ndjson::new(out)),
        Format::Github => Box::new(Github::new(out)),
        Format::Markdown => Box::new(aiolog::render::markdown::Markdown::new(out)),
        Format::Sarif => Box::new(aiolog::render::sarif::Sarif::new(out)),
        Format::Html => Box::new(aiolog::render::html::Html::new(out)),
        Format::Brief => Box::new(aiolog::render::brief::Brief::new(out)),
    }
}

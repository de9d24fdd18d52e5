//! Runs the inputs through the pipeline and hands the results to a renderer.
//! Only this module and `main` know about exit codes and processes.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::{Child, ExitCode, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use aiolog::aggregate::Aggregator;
use aiolog::correlate::Finding;
use aiolog::grammar::Grammars;
use aiolog::input::{self, InputSpec, LiveMsg, CHUNK_SIZE, IDLE_FLUSH};
use aiolog::noise::RuleSelector;
use aiolog::parallel;
use aiolog::pipeline::{LineStats, Options, SourceAnalyzer};
use aiolog::render::github::Github;
use aiolog::render::json::Json;
use aiolog::render::ndjson::Ndjson;
use aiolog::render::table::TableSink;
use aiolog::render::{Report, Sink};
use aiolog::scan::Scanner;

use crate::cli::{Args, Command, Format, RunArgs};
use crate::signals;

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

/// An I/O error as a message: the OS's words without `(os error N)`.
pub fn describe_io_error(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

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
}

impl Ctx<'_> {
    fn emit(&mut self, out: &mut Vec<Finding>, live: bool) -> io::Result<()> {
        for f in out.drain(..) {
            if !self.filter.keep(&f) {
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

/// Runs aiolog.
pub fn run(args: Args) -> io::Result<Status> {
    let c = &args.common;
    if let Some(Command::Grammars { check }) = &args.command {
        if !check.is_empty() {
            return Ok(match Grammars::builtin_plus(check) {
                Ok(_) => {
                    for f in check {
                        println!("{}: ok", f.display());
                    }
                    Status::Success
                }
                Err(e) => {
                    eprintln!("aiolog: error: {e}");
                    Status::Error
                }
            });
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
        Err(e) => {
            eprintln!("aiolog: error: invalid grammar: {e}");
            return Ok(Status::Error);
        }
    };
    let forced_name: Option<String> = match user_grammar.first() {
        Some(p) => {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["name"].as_str().map(str::to_string))
        }
        None => c.grammar.clone(),
    };
    if c.list_grammars || matches!(args.command, Some(Command::Grammars { .. })) {
        let mut out = io::stdout().lock();
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
    let forced = match &forced_name {
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
    if c.max_line_bytes == 0 {
        eprintln!("aiolog: error: --max-line-bytes must be at least 1");
        return Ok(Status::Error);
    }
    let settings = match Settings::new(c) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("aiolog: error: {msg}");
            return Ok(Status::Error);
        }
    };
    let run_args = match &args.command {
        Some(Command::Run(r)) => Some(r),
        Some(Command::Baseline { .. }) => None,
        Some(Command::Completions { shell }) => {
            let mut cmd = <Args as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "aiolog", &mut io::stdout());
            return Ok(Status::Success);
        }
        Some(Command::Merge { .. }) | Some(Command::Grammars { .. }) => None,
        Some(Command::Rules) => {
            let mut out = io::stdout().lock();
            for r in aiolog::rules::RULES {
                writeln!(out, "{}  {:<32} {}", r.code, r.name, r.summary)?;
            }
            return Ok(Status::Success);
        }
        Some(Command::Explain { code, all }) => return explain(code.as_deref(), *all, c.format),
        Some(Command::Man) => {
            let cmd = <Args as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd).render(&mut io::stdout())?;
            return Ok(Status::Success);
        }
        None => None,
    };

    // Where findings and the report go: --output, else stderr for `run`
    // (the child's stdout is its own), else stdout.
    let (out, terminal): (Box<dyn Write>, bool) = match &c.output {
        Some(path) => match File::create(path) {
            Ok(f) => (Box::new(io::BufWriter::new(f)), false),
            Err(e) => {
                eprintln!(
                    "aiolog: error: cannot write {}: {}",
                    path.display(),
                    describe_io_error(&e)
                );
                return Ok(Status::Error);
            }
        },
        None if run_args.is_some() => (Box::new(io::stderr()), io::stderr().is_terminal()),
        None => (Box::new(io::stdout().lock()), io::stdout().is_terminal()),
    };
    let mut source = match aiolog::source::Roots::new(&settings.src, &settings.path_map) {
        Ok(roots) => aiolog::source::analyze::Analyzer::new(roots, c.code_lines),
        Err(msg) => {
            eprintln!("aiolog: error: {msg}");
            return Ok(Status::Error);
        }
    };
    let gate = match Gate::new(&c.fail_on, settings.min_seconds) {
        Ok(g) => g,
        Err(msg) => {
            eprintln!("aiolog: error: {msg}");
            return Ok(Status::Error);
        }
    };
    let sink: Box<dyn Sink> = match c.format {
        Format::Table => Box::new(TableSink::new(out, terminal)),
        Format::Json => Box::new(Json::new(out)),
        Format::Ndjson => Box::new(Ndjson::new(out)),
        Format::Github => Box::new(Github::new(out)),
        Format::Markdown => Box::new(aiolog::render::markdown::Markdown::new(out)),
        Format::Sarif => Box::new(aiolog::render::sarif::Sarif::new(out)),
        Format::Html => Box::new(aiolog::render::html::Html::new(out)),
        Format::Brief => Box::new(aiolog::render::brief::Brief::new(out)),
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
        },
        agg: Aggregator::new(),
        stats: LineStats::default(),
        names: Vec::new(),
        sink,
        status_line: None,
        notices: c.stats,
        stderr_is_childs: false,
        errored: false,
        interrupted: false,
        filter: settings.filter.clone(),
    };

    let mut status = Status::Success;
    if let Some(r) = run_args {
        match run_child(r, &mut ctx)? {
            Some(code) => status = Status::Child(code),
            None => return Ok(Status::Error),
        }
    } else if let Some(Command::Merge { reports }) = &args.command {
        merge_reports(reports, &mut ctx);
    } else if let Some(path) = &args.follow {
        follow(path, args.from_start, &mut ctx)?;
    } else if let Some(Command::Baseline { logs, .. }) = &args.command {
        read_inputs(logs, &mut ctx)?;
    } else {
        read_inputs(&args.files, &mut ctx)?;
    }

    let ranked = ctx.agg.ranked();
    let evidence: Vec<_> = ranked
        .iter()
        .map(|rk| (!rk.group.key.other).then(|| source.evidence(&rk.group)))
        .collect();
    if let Some(Command::Baseline { baseline_file, .. }) = &args.command {
        return save_baseline(baseline_file, &ranked, &evidence);
    }
    let owners_file = aiolog::noise::Owners::discover(
        settings.src.first().map_or(Path::new("."), |p| p.as_path()),
    );
    let mut report = Report {
        inputs: std::mem::take(&mut ctx.names),
        stats: ctx.stats.clone(),
        ranked,
        events: ctx.agg.events,
        interrupted: ctx.interrupted,
        timeline: ctx.agg.timeline(),
        evidence,
        owners: Vec::new(),
        severity: settings.severity.clone(),
        baseline_hidden: None,
    };
    report.owners = report
        .ranked
        .iter()
        .zip(&report.evidence)
        .map(|(rk, ev)| owners_of(&owners_file, rk, ev.as_ref()))
        .collect();
    if let Some(path) = &settings.baseline {
        match load_baseline(path) {
            Ok(known) => {
                let hidden = report.retain(|rk, ev, _| {
                    !known.contains(&aiolog::noise::fingerprint(&rk.group, ev))
                });
                report.baseline_hidden = Some(hidden);
            }
            Err(msg) => {
                eprintln!("aiolog: error: {msg}");
                return Ok(Status::Error);
            }
        }
    }
    if let Some(owner) = &c.owner {
        report.retain(|_, _, owners| owners.iter().any(|o| o.eq_ignore_ascii_case(owner)));
    }
    if let Some(top) = c.top {
        let mut seen: std::collections::HashMap<aiolog::event::Kind, usize> = Default::default();
        report.retain(|rk, _, _| {
            let n = seen.entry(rk.group.key.kind).or_default();
            *n += 1;
            *n <= top
        });
    }
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
    Ok(status)
}

/// The effective settings: command-line flags, else the configuration file.
struct Settings {
    src: Vec<std::path::PathBuf>,
    path_map: Vec<String>,
    min_seconds: Option<f64>,
    filter: aiolog::noise::Filter,
    severity: std::collections::BTreeMap<String, String>,
    baseline: Option<std::path::PathBuf>,
}

impl Settings {
    fn new(c: &crate::cli::Common) -> Result<Settings, String> {
        use aiolog::noise::{parse_time, Config};
        let config = if c.no_config {
            Config::default()
        } else if let Some(p) = &c.config {
            Config::load(p)?
        } else {
            Config::discover(&std::env::current_dir().map_err(|e| e.to_string())?)?
        };
        let pick = |cli: &Vec<String>, file: &Vec<String>| {
            if cli.is_empty() {
                file.clone()
            } else {
                cli.clone()
            }
        };
        let codes = |given: Vec<String>| -> Result<Vec<RuleSelector>, String> {
            given
                .iter()
                .map(|code| {
                    RuleSelector::code(code)
                        .ok_or_else(|| format!("`{code}` names no rule (see `aiolog rules`)"))
                })
                .collect()
        };
        let select = codes(pick(&c.select, &config.select))?;
        let ignore = codes(pick(&c.ignore, &config.ignore))?;
        let filter = aiolog::noise::Filter {
            select,
            ignore,
            kinds: c.kind.iter().map(|k| (*k).into()).collect(),
            files: c.file.clone(),
            ignore_files: config.ignore_files.clone(),
            functions: c.function.clone(),
            ignore_functions: config.ignore_functions.clone(),
            since: c
                .since
                .as_deref()
                .map(parse_time)
                .transpose()
                .map_err(|e| format!("--since: {e}"))?,
            until: c
                .until
                .as_deref()
                .map(parse_time)
                .transpose()
                .map_err(|e| format!("--until: {e}"))?,
            no_shutdown: c.no_shutdown,
        };
        Ok(Settings {
            src: if c.src.is_empty() {
                config.src
            } else {
                c.src.clone()
            },
            path_map: if c.path_map.is_empty() {
                config.path_map
            } else {
                c.path_map.clone()
            },
            min_seconds: c.min_seconds.or(config.min_seconds),
            filter,
            severity: config.severity,
            baseline: c.baseline.clone().or(config.baseline),
        })
    }
}

/// The owners of a finding's site from CODEOWNERS, by its path relative to
/// the source root (or as the log printed it).
fn owners_of(
    owners: &aiolog::noise::Owners,
    rk: &aiolog::aggregate::Ranked,
    ev: Option<&aiolog::source::analyze::Evidence>,
) -> Vec<String> {
    let rel = ev
        .and_then(|e| e.source_file.clone())
        .or_else(|| rk.group.key.site.as_ref().map(|s| s.path.clone()));
    rel.map(|r| owners.of(&r)).unwrap_or_default()
}

/// `aiolog baseline save FILE`.
fn save_baseline(
    file: &Path,
    ranked: &[aiolog::aggregate::Ranked],
    evidence: &[Option<aiolog::source::analyze::Evidence>],
) -> io::Result<Status> {
    let entries: Vec<serde_json::Value> = ranked
        .iter()
        .zip(evidence)
        .filter(|(rk, _)| !rk.group.key.other)
        .map(|(rk, ev)| {
            let g = &rk.group;
            serde_json::json!({
                "fingerprint": aiolog::noise::fingerprint(g, ev.as_ref()),
                "kind": g.key.kind,
                "rule": g.code,
                "site": g.key.site,
                "subject": g.subject,
                "count": g.count,
            })
        })
        .collect();
    let doc = serde_json::json!({"aiolog_baseline": 1, "findings": entries});
    if let Err(e) = std::fs::write(file, serde_json::to_string_pretty(&doc)? + "\n") {
        eprintln!(
            "aiolog: error: cannot write {}: {}",
            file.display(),
            describe_io_error(&e)
        );
        return Ok(Status::Error);
    }
    eprintln!(
        "aiolog: saved {} finding site(s) to {}",
        entries.len(),
        file.display()
    );
    Ok(Status::Success)
}

fn load_baseline(path: &Path) -> Result<std::collections::HashSet<String>, String> {
    let text = std::fs::read(path).map_err(|e| {
        format!(
            "cannot read baseline {}: {}",
            path.display(),
            describe_io_error(&e)
        )
    })?;
    let doc: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| format!("baseline {}: {e}", path.display()))?;
    if doc.get("aiolog_baseline").and_then(|v| v.as_u64()) != Some(1) {
        return Err(format!(
            "{} is not an aiolog baseline (see `aiolog baseline save`)",
            path.display()
        ));
    }
    Ok(doc["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["fingerprint"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

/// `aiolog explain CODE` / `--all`, as text or JSON.
fn explain(code: Option<&str>, all: bool, format: Format) -> io::Result<Status> {
    use aiolog::rules::{by_code, RULES};
    let rules: Vec<&aiolog::rules::Rule> = if all {
        RULES.iter().collect()
    } else {
        let code = code.unwrap_or_default();
        match by_code(code) {
            Some(r) => vec![r],
            None => {
                let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
                let near: Vec<&str> = codes
                    .iter()
                    .copied()
                    .filter(|c| c[..5].eq_ignore_ascii_case(code.get(..5).unwrap_or(code)))
                    .collect();
                eprintln!("aiolog: error: no rule `{code}`");
                if !near.is_empty() {
                    eprintln!("  help: did you mean {}?", near.join(" or "));
                }
                eprintln!(
                    "  help: the rules are {} (see `aiolog rules`)",
                    codes.join(", ")
                );
                return Ok(Status::Error);
            }
        }
    };
    let mut out = io::stdout().lock();
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &rules)?;
        writeln!(out)?;
        return Ok(Status::Success);
    }
    for (i, r) in rules.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(
            out,
            "# {} ({})
",
            r.name, r.code
        )?;
        writeln!(
            out,
            "Kind: {}.
",
            r.kind
        )?;
        writeln!(
            out,
            "## What it detects

{}.
",
            capitalize(r.summary)
        )?;
        writeln!(
            out,
            "## Why is this bad?

{}
",
            r.why
        )?;
        writeln!(
            out,
            "## Example

The log says:

```
{}
```
",
            r.example_log
        )?;
        writeln!(
            out,
            "## Fix

{}

```python
{}
```",
            r.fix, r.example_fix
        )?;
    }
    Ok(Status::Success)
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| {
        f.to_uppercase().collect::<String>() + c.as_str()
    })
}

/// `--fail-on` and `--min-seconds`.
struct Gate {
    selectors: Vec<RuleSelector>,
    min_ms: Option<u64>,
}

impl Gate {
    fn new(fail_on: &[String], min_seconds: Option<f64>) -> Result<Gate, String> {
        let mut selectors = Vec::new();
        for sel in fail_on {
            if let Some(s) = RuleSelector::parse(sel) {
                selectors.push(s);
            } else {
                let codes: Vec<&str> = aiolog::rules::RULES.iter().map(|r| r.code).collect();
                let kinds: Vec<&str> = aiolog::event::Kind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect();
                return Err(format!(
                    "--fail-on {sel:?} names no rule or kind\n  help: use `all`, a kind ({}), or a code or code prefix ({}, AIO1, …)",
                    kinds.join(", "),
                    codes.join(", ")
                ));
            }
        }
        if let Some(s) = min_seconds {
            if !(s.is_finite() && s >= 0.0) {
                return Err(format!("--min-seconds takes a number of seconds, not {s}"));
            }
        }
        Ok(Gate {
            selectors,
            min_ms: min_seconds.map(|s| (s * 1000.0).round() as u64),
        })
    }

    /// Whether any finding of the report is gated.
    fn matches(&self, r: &Report) -> bool {
        if self.selectors.is_empty() && self.min_ms.is_none() {
            return false;
        }
        r.ranked.iter().any(|rk| {
            let g = &rk.group;
            let selected = if self.selectors.is_empty() {
                g.key.kind == aiolog::event::Kind::SlowCallback
            } else {
                self.selectors.iter().any(|s| s.matches(g.code, g.key.kind))
            };
            let long_enough = match self.min_ms {
                Some(min) if g.key.kind == aiolog::event::Kind::SlowCallback => {
                    g.max_ms().unwrap_or(0) >= min
                }
                _ => true,
            };
            selected && long_enough
        })
    }
}

/// Files and standard input, one after the other.
fn read_inputs(files: &[String], ctx: &mut Ctx) -> io::Result<()> {
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
                continue;
            }
        };
        ctx.names.push(opened.name.clone());
        if opened.live {
            if *spec == InputSpec::Stdin && io::stdin().is_terminal() {
                eprintln!("aiolog: reading the terminal; pipe a log in or name a file (Ctrl-D ends the input)");
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
                    ctx.agg.merge(&r.agg);
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
fn read_batch(mut reader: Box<dyn io::Read + Send>, name: &str, ctx: &mut Ctx) -> io::Result<()> {
    let mut an = SourceAnalyzer::new(name, ctx.grammars, ctx.scanner, ctx.opts);
    let mut buf = vec![0u8; CHUNK_SIZE];
    let mut out = Vec::new();
    loop {
        match input::read_chunk(&mut reader, &mut buf) {
            Ok(0) => break,
            Ok(n) => an.feed(&buf[..n], &mut out),
            Err(e) => {
                eprintln!("aiolog: error: reading {name}: {}", describe_io_error(&e));
                ctx.errored = true;
                break;
            }
        }
        ctx.emit(&mut out, false)?;
        // Signals are caught only once a live source was read; then a later
        // file stops at the next chunk.
        if signals::take().is_some() {
            ctx.interrupted = true;
            break;
        }
    }
    an.finish(&mut out);
    ctx.emit(&mut out, false)?;
    ctx.stats.merge(an.stats());
    Ok(())
}

/// `aiolog merge`.
fn merge_reports(reports: &[std::path::PathBuf], ctx: &mut Ctx) {
    for path in reports {
        let name = path.display();
        let doc: serde_json::Value = match std::fs::read(path)
            .map_err(|e| describe_io_error(&e))
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(d) => d,
            Err(e) => {
                eprintln!("aiolog: error: cannot read report {name}: {e}");
                ctx.errored = true;
                continue;
            }
        };
        if let Err(e) =
            aiolog::merge::read_report(&doc, &mut ctx.agg, &mut ctx.stats, &mut ctx.names)
        {
            eprintln!("aiolog: error: {name} is not an aiolog JSON report: {e}");
            ctx.errored = true;
        }
    }
}

/// `-F FILE`.
fn follow(path: &std::path::Path, from_start: bool, ctx: &mut Ctx) -> io::Result<()> {
    let name = path.display().to_string();
    let (tx, rx) = input::live_channel();
    match input::spawn_follower(0, path.to_path_buf(), from_start, tx) {
        // Every byte written from now on is read: scripts and tests may
        // start writing once they see this.
        Ok(start) if ctx.notices => eprintln!("aiolog: following {name} from byte {start}"),
        Ok(_) => {}
        Err(e) => {
            eprintln!(
                "aiolog: error: cannot follow {}: {}",
                e.name,
                describe_io_error(&e.source)
            );
            ctx.errored = true;
            return Ok(());
        }
    }
    ctx.names.push(name.clone());
    live_loop(rx, &[name], ctx, &mut |_| true)
}

/// Reads live sources until each has ended, or until `on_signal` says to
/// stop. Findings are printed as their records complete; a record is
/// complete after [`IDLE_FLUSH`] without new data from its source.
fn live_loop(
    rx: Receiver<LiveMsg>,
    names: &[String],
    ctx: &mut Ctx,
    on_signal: &mut dyn FnMut(signals::Caught) -> bool,
) -> io::Result<()> {
    signals::install();
    // The status line goes to stderr; in `aiolog run` that carries the
    // child's output, which the status line would garble.
    if ctx.status_line.is_none() && io::stderr().is_terminal() && !ctx.stderr_is_childs {
        ctx.status_line = Some(StatusLine::new());
    }
    let mut ans: Vec<SourceAnalyzer> = names
        .iter()
        .map(|n| SourceAnalyzer::new(n, ctx.grammars, ctx.scanner, ctx.opts))
        .collect();
    let mut last_data = vec![Instant::now(); ans.len()];
    let mut done = vec![false; ans.len()];
    let mut out: Vec<Finding> = Vec::new();
    let mut stopped = false;
    while done.iter().any(|d| !d) {
        if let Some(sig) = signals::take() {
            if on_signal(sig) {
                stopped = true;
                break;
            }
        }
        // Wake up when the oldest open record has been silent long enough.
        let now = Instant::now();
        let wait = ans
            .iter()
            .zip(&last_data)
            .filter(|(a, _)| a.has_open_record())
            .map(|(_, t)| (*t + IDLE_FLUSH).saturating_duration_since(now))
            .min()
            .unwrap_or(IDLE_FLUSH)
            .max(Duration::from_millis(5));
        match rx.recv_timeout(wait) {
            Ok(LiveMsg::Data { source, bytes }) => {
                ans[source].feed(&bytes, &mut out);
                last_data[source] = Instant::now();
            }
            Ok(LiveMsg::Eof { source }) => {
                ans[source].finish(&mut out);
                done[source] = true;
            }
            Ok(LiveMsg::Reopened { source, why }) => {
                if ctx.notices {
                    if let Some(s) = ctx.status_line.as_mut() {
                        s.clear();
                    }
                    let name = &names[source];
                    match why {
                        input::Reopen::Rotated => eprintln!(
                            "aiolog: {name} was replaced (rotated); following the new file from its start"
                        ),
                        input::Reopen::Truncated => {
                            eprintln!("aiolog: {name} was truncated; following it from its start")
                        }
                    }
                }
            }
            Ok(LiveMsg::Error { source, error }) => {
                eprintln!(
                    "aiolog: error: reading {}: {}",
                    names[source],
                    describe_io_error(&error)
                );
                ctx.errored = true;
                ans[source].finish(&mut out);
                done[source] = true;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        let now = Instant::now();
        for (a, t) in ans.iter_mut().zip(&last_data) {
            if a.has_open_record() && now.duration_since(*t) >= IDLE_FLUSH {
                a.flush_idle(&mut out);
            }
        }
        ctx.emit(&mut out, true)?;
        if let Some(s) = ctx.status_line.as_mut() {
            let lines: u64 = ans.iter().map(|a| a.stats().lines).sum();
            s.draw(lines, ctx.agg.events);
        }
    }
    for a in ans.iter_mut() {
        a.finish(&mut out);
    }
    ctx.emit(&mut out, true)?;
    for a in &ans {
        ctx.stats.merge(a.stats());
    }
    ctx.interrupted |= stopped;
    Ok(())
}

/// `aiolog run -- COMMAND`. Returns the child's exit status, or `None` when
/// it could not be started.
fn run_child(r: &RunArgs, ctx: &mut Ctx) -> io::Result<Option<u8>> {
    ctx.stderr_is_childs = true;
    let program = &r.command[0];
    let mut cmd = std::process::Command::new(program);
    cmd.args(&r.command[1..])
        .env("PYTHONASYNCIODEBUG", "1")
        .env("PYTHONWARNINGS", "default")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::inherit())
        .stderr(Stdio::piped())
        .stdout(if r.stdout {
            Stdio::piped()
        } else {
            Stdio::inherit()
        });
    if r.tracemalloc > 0 {
        cmd.env("PYTHONTRACEMALLOC", r.tracemalloc.to_string());
    }
    if r.dev {
        cmd.env("PYTHONDEVMODE", "1");
    }
    let inject = if r.no_inject {
        None
    } else {
        Some(Injection::create()?)
    };
    if let Some(inj) = &inject {
        let mut path = inj.dir.clone().into_os_string();
        if let Some(old) = std::env::var_os("PYTHONPATH").filter(|p| !p.is_empty()) {
            path.push(":");
            path.push(old);
        }
        cmd.env("PYTHONPATH", path)
            .env("AIOLOG_RUN_MARKER", &inj.marker);
        if let Some(slow) = r.slow {
            cmd.env("AIOLOG_RUN_SLOW", slow.to_string());
        }
    } else if r.slow.is_some() {
        eprintln!("aiolog: warning: --slow needs the injected sitecustomize; it is ignored with --no-inject");
    }
    // Signals that arrive while the child runs are handled below.
    signals::install();
    let mut child: Child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "aiolog: error: cannot run {program}: {}",
                describe_io_error(&e)
            );
            return Ok(None);
        }
    };
    let (tx, rx) = input::live_channel();
    let mut names = vec![format!("{program} (stderr)")];
    input::spawn_reader(
        0,
        Box::new(child.stderr.take().unwrap()),
        Some(Box::new(io::stderr())),
        tx.clone(),
    );
    if let Some(so) = child.stdout.take() {
        names.push(format!("{program} (stdout)"));
        input::spawn_reader(1, Box::new(so), Some(Box::new(io::stdout())), tx.clone());
    }
    drop(tx);
    ctx.names.extend(names.iter().cloned());
    let pid = child.id();
    // Ctrl-C on the terminal reaches the child with the whole process group;
    // a signal sent to aiolog alone is passed on. aiolog goes on reading until
    // the child has exited, so its last words are analyzed too.
    live_loop(rx, &names, ctx, &mut |sig| {
        if !sig.from_terminal || sig.signal == libc::SIGTERM {
            signals::send(pid, sig.signal);
        }
        false
    })?;
    let status = child.wait()?;
    let code = match (
        status.code(),
        std::os::unix::process::ExitStatusExt::signal(&status),
    ) {
        (Some(c), _) => c as u8,
        (None, Some(sig)) => (128 + sig) as u8,
        _ => 1,
    };
    if let Some(inj) = &inject {
        if !inj.marker.exists() {
            eprintln!(
                "aiolog: warning: {program} ran no asyncio event loop in debug mode, so its output holds no \
                 debug-mode warnings (an event loop such as uvloop that does not derive from asyncio's, or a \
                 program that is not Python?)"
            );
        }
    }
    Ok(Some(code))
}

/// The sitecustomize module `aiolog run` puts first on the child's
/// PYTHONPATH, in a directory removed when aiolog ends.
struct Injection {
    dir: std::path::PathBuf,
    marker: std::path::PathBuf,
}

const SITECUSTOMIZE: &str = include_str!("run/sitecustomize.py");

impl Injection {
    fn create() -> io::Result<Injection> {
        let dir = std::env::temp_dir().join(format!("aiolog-run-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("sitecustomize.py"), SITECUSTOMIZE)?;
        let marker = dir.join("debug-loop-seen");
        let _ = std::fs::remove_file(&marker);
        Ok(Injection { dir, marker })
    }
}

impl Drop for Injection {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The status line on a terminal's stderr during a live run: lines read,
/// their rate and findings so far, redrawn at most four times a second and
/// cleared before anything else is printed.
struct StatusLine {
    /// When the rate was last measured, and the line count then.
    mark: (Instant, u64),
    rate: f64,
    last_draw: Option<Instant>,
    shown: bool,
}

impl StatusLine {
    fn new() -> StatusLine {
        StatusLine {
            mark: (Instant::now(), 0),
            rate: 0.0,
            last_draw: None,
            shown: false,
        }
    }

    fn draw(&mut self, lines: u64, findings: u64) {
        let now = Instant::now();
        if self
            .last_draw
            .is_some_and(|t| now.duration_since(t) < Duration::from_millis(250))
        {
            return;
        }
        self.last_draw = Some(now);
        // The rate over the last second or so, not since the start.
        let (t0, n0) = self.mark;
        let dt = now.duration_since(t0).as_secs_f64();
        if dt >= 1.0 {
            self.rate = lines.saturating_sub(n0) as f64 / dt;
            self.mark = (now, lines);
        }
        let mut e = io::stderr().lock();
        let _ = write!(
            e,
            "\r\x1b[2Kaiolog: {lines} lines ({:.0}/s), {findings} findings",
            self.rate
        );
        let _ = e.flush();
        self.shown = true;
    }

    fn clear(&mut self) {
        if self.shown {
            let mut e = io::stderr().lock();
            let _ = write!(e, "\r\x1b[2K");
            let _ = e.flush();
            self.shown = false;
            self.last_draw = None;
        }
    }
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
            "  debug lines",
            s.debug_records,
            "of them: asyncio debug-mode DEBUG/INFO lines, recognized".into(),
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

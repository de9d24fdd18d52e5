//! The command line: flags and their documentation.

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

use aiolog::frame::DEFAULT_MAX_LINE;

const ABOUT: &str = "Find what stalls your asyncio event loop.";

const LONG_ABOUT: &str = "\
Find what stalls your asyncio event loop.

aiolog reads the warnings of Python's asyncio debug mode (PYTHONASYNCIODEBUG=1, \
python -X dev, asyncio.run(main(), debug=True)) from logs, mixed with ordinary \
application output, ties each one to a line of your own code and ranks what to \
fix first: the blocking calls that cost the event loop the most time, the \
coroutines created but never awaited, the tasks destroyed while pending and the \
task exceptions nobody retrieved.

Use -h for short descriptions and --help for more details.";

const AFTER_HELP: &str = "\
Examples:
  aiolog app.log                       rank the findings of a log
  tail -f app.log | aiolog             findings as they happen, summary on Ctrl-C
  aiolog -F app.log                    follow a file across rotation, like tail -F
  aiolog run -- python app.py          run a program in debug mode and analyze it
  aiolog --format json app.log > findings.json";

const AFTER_LONG_HELP: &str = "\
Examples:
  aiolog app.log                       rank the findings of a log
  tail -f app.log | aiolog             findings as they happen, summary on Ctrl-C
  aiolog -F app.log                    follow a file across rotation, like tail -F
  aiolog run -- python app.py          run a program in debug mode and analyze it
  PYTHONASYNCIODEBUG=1 python app.py 2>&1 | aiolog
  aiolog --format json app.log > findings.json

Reading a slow task step:
  asyncio prints `coro=<handler() running at /app/api.py:88>` for the line where \
the task suspended *after* the slow step. The blocking call is between the \
previous await and that line. `done, defined at` means the coroutine finished in \
the slow step: the blocking code is after its last await.

Exit status:
  0    the input was read (findings or not: a log analyzer in a pipeline does not fail for finding things);
       also when Ctrl-C or SIGTERM ends a live stream, after the summary
  1    --fail-on or --min-seconds matched findings
  2    an input could not be read, or the command line or a grammar is invalid
  aiolog run exits with the child's exit status (128+N if a signal N ended it).
  A closed output pipe (aiolog app.log | head) ends aiolog quietly with status 0.";

/// The values of `--kind`: every kind's name and help line, from the
/// registry ([`aiolog::kinds`]).
fn kind_parser() -> impl clap::builder::TypedValueParser<Value = aiolog::kinds::Kind> {
    use aiolog::kinds::Kind;
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(
        Kind::ALL
            .iter()
            .map(|k| PossibleValue::new(k.as_str()).help(k.help())),
    )
    .map(|name| Kind::from_name(&name).expect("a possible value is a kind's name"))
}

/// When to colour the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it.
    Auto,
    /// Always, even into a pipe or file.
    Always,
    /// Never.
    Never,
}

/// What `--by` breaks a site's figures down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    /// The host each finding came from (`--host`, a fleet's NDJSON).
    Host,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Ranked tables for people; on a live stream, one line per finding as it happens.
    Table,
    /// One JSON document for scripts (shape in the README).
    Json,
    /// One JSON object per finding as it is parsed, then a summary line.
    Ndjson,
    /// GitHub Actions workflow commands (annotations), one per site.
    Github,
    /// A GitHub-flavoured Markdown summary to paste into a ticket.
    Markdown,
    /// SARIF 2.1.0, for code scanning dashboards.
    Sarif,
    /// One self-contained HTML page with tables, a timeline and a histogram.
    Html,
    /// The analysis request to hand to a colleague or an AI assistant.
    Brief,
}

/// aiolog's arguments.
#[derive(Debug, Parser)]
#[command(
    name = "aiolog",
    version = env!("AIOLOG_VERSION"),
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP,
    after_long_help = AFTER_LONG_HELP,
    max_term_width = 100,
)]
pub struct Args {
    /// Log files to read; none, or `-`, reads standard input.
    ///
    /// Several files are read one after the other and reported together. A
    /// pipe or terminal on standard input is read live: each finding is
    /// printed the moment its record is complete, and a record counts as
    /// complete after 200 ms without a new line.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,

    /// Follow FILE as it grows, like `tail -F`.
    ///
    /// Starts at the end of the file (see --from-start) and goes on across
    /// rotation (the file renamed and created anew) and truncation. Findings
    /// are printed as they happen; Ctrl-C or SIGTERM prints the summary.
    #[arg(
        short = 'F',
        long,
        value_name = "FILE",
        conflicts_with = "files",
        help_heading = "Input"
    )]
    pub follow: Option<PathBuf>,

    /// With --follow: read the whole file first, then follow it.
    #[arg(long, requires = "follow", help_heading = "Input")]
    pub from_start: bool,

    #[command(flatten)]
    pub common: Common,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options shared by every way of running aiolog.
#[derive(Debug, ClapArgs)]
pub struct Common {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table, env = "AIOLOG_FORMAT", global = true, help_heading = "Output")]
    pub format: Format,

    /// Write the findings and the report to FILE instead of standard output.
    ///
    /// `aiolog run` writes them to standard error by default, so that the
    /// child's standard output stays its own.
    #[arg(
        short = 'o',
        long,
        value_name = "FILE",
        global = true,
        help_heading = "Output"
    )]
    pub output: Option<PathBuf>,

    /// Print the line account (parsed, passed through, skipped) to stderr.
    ///
    /// Every input line is counted once: as part of an asyncio record that
    /// became a finding (parsed), as an application line (passed through), or
    /// as part of a record that holds an asyncio marker but could not be read
    /// (skipped; a few samples are shown).
    ///
    /// With --follow, also says from which byte FILE is read, and each time
    /// it is rotated or truncated.
    #[arg(long, global = true, help_heading = "Output")]
    pub stats: bool,

    /// Colour the table: severity and kind in the headings, the site, the
    /// blocking statement in source excerpts.
    ///
    /// `auto` colours a terminal only, and honours NO_COLOR (set and not
    /// empty: no colour) and CLICOLOR_FORCE (set and not 0: colour even
    /// into a pipe), as ruff and ripgrep do.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true, help_heading = "Output")]
    pub color: ColorChoice,

    /// Findings only: no totals, no notes under the tables, no hints.
    #[arg(short = 'q', long, global = true, help_heading = "Output")]
    pub quiet: bool,

    /// The host these logs come from: every finding names it.
    ///
    /// NDJSON findings carry `"host"`, and JSON reports `by_host`, so that
    /// `aiolog merge` of a fleet's streams can break each site's figures
    /// down by host (`--by host`). See deploy/rsyslog/README.md.
    #[arg(long, value_name = "NAME", global = true, help_heading = "Fleet")]
    pub host: Option<String>,

    /// Break each site's figures down: `--by host` adds a hosts column to
    /// the table and Markdown (occurrences and blocked time per host).
    ///
    /// JSON reports have `by_host` whenever the findings name their hosts.
    #[arg(
        long,
        value_enum,
        value_name = "WHAT",
        global = true,
        help_heading = "Fleet"
    )]
    pub by: Option<By>,

    /// Run as an rsyslog omprog stage: read the messages on standard input
    /// as a live stream, append NDJSON findings to --output FILE, and
    /// confirm each message on standard output (omprog's confirmMessages).
    ///
    /// Writes `OK` once ready and after each message has been read, so
    /// that rsyslog keeps an unconfirmed message in its queue and sends it
    /// again to the restarted stage. A record still open is complete after
    /// 2 s without a message. Implies --format ndjson. See
    /// deploy/rsyslog/README.md.
    #[arg(long, requires = "output", help_heading = "Fleet")]
    pub omprog: bool,

    /// Read logging prefixes with this grammar (a name, or a grammar file) instead of detecting them.
    ///
    /// Without it, each line that matters is tried against every grammar in
    /// grammars/ (most specific first). With it, lines the grammar does not
    /// match are read as bare messages: the warnings module writes to stderr
    /// without a logging prefix even in applications whose logging has one.
    /// See --list-grammars.
    #[arg(long, value_name = "NAME", global = true, help_heading = "Parsing")]
    pub grammar: Option<String>,

    /// List the line grammars and exit.
    #[arg(long, help_heading = "Parsing")]
    pub list_grammars: bool,

    /// Exit with status 1 when findings of this code, code prefix or kind exist.
    ///
    /// Repeatable: `--fail-on AIO1` (blocking calls), `--fail-on AIO201`,
    /// `--fail-on never_awaited`, `--fail-on all`. Without it aiolog exits 0
    /// whatever it finds, so that it never breaks a pipeline by finding things.
    #[arg(long, value_name = "SELECTOR", global = true, help_heading = "Gates")]
    pub fail_on: Vec<String>,

    /// Only slow callbacks that blocked the loop at least SECONDS count for --fail-on.
    ///
    /// Alone, it is a gate of its own: exit 1 when a callback or task step
    /// blocked the loop that long.
    #[arg(long, value_name = "SECONDS", global = true, help_heading = "Gates")]
    pub min_seconds: Option<f64>,

    /// A directory of your source code (repeatable; default: the current directory).
    ///
    /// aiolog reads the files that sites name, only inside these roots (after
    /// resolving `..` and symbolic links), to show the blocking call in a slow
    /// step, the call that forgot `await`, or the task creation that keeps no
    /// reference. Nothing is executed or imported.
    #[arg(long, value_name = "DIR", global = true, help_heading = "Source")]
    pub src: Vec<PathBuf>,

    /// Map paths of the log to paths here, e.g. `/app=.` for a container (repeatable).
    #[arg(long, value_name = "FROM=TO", global = true, help_heading = "Source")]
    pub path_map: Vec<String>,

    /// Lines of the log kept from before each finding's record (0 to keep none).
    ///
    /// The application's own lines are sometimes the only clue: when a slow
    /// step is reported inside a server's code, the access line written just
    /// after it names the route. Request and trace ids in these lines
    /// (`request_id=…`, `"trace_id": …`) are attached to the finding.
    #[arg(
        short = 'B',
        long = "before-context",
        value_name = "N",
        default_value_t = 2,
        global = true,
        help_heading = "Output"
    )]
    pub before_context: usize,

    /// Application lines kept from after each finding's record (0 to keep none).
    #[arg(
        short = 'A',
        long = "after-context",
        value_name = "N",
        default_value_t = 2,
        global = true,
        help_heading = "Output"
    )]
    pub after_context: usize,

    /// Source lines shown on each side of the statement a finding points at.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 2,
        global = true,
        help_heading = "Source"
    )]
    pub code_lines: usize,

    /// Keep only findings of these codes or code prefixes (repeatable; as ruff's --select).
    #[arg(
        long,
        visible_alias = "code",
        value_name = "CODE",
        global = true,
        help_heading = "Filters"
    )]
    pub select: Vec<String>,

    /// Drop findings of these codes or code prefixes (repeatable).
    #[arg(long, value_name = "CODE", global = true, help_heading = "Filters")]
    pub ignore: Vec<String>,

    /// Keep only findings of this kind (repeatable).
    #[arg(
        long,
        value_parser = kind_parser(),
        value_name = "KIND",
        global = true,
        help_heading = "Filters"
    )]
    pub kind: Vec<aiolog::kinds::Kind>,

    /// Keep only findings whose site path matches this glob (repeatable; `**/api/*.py`).
    #[arg(long, value_name = "GLOB", global = true, help_heading = "Filters")]
    pub file: Vec<String>,

    /// Keep only findings in this function or coroutine (repeatable; globs allowed).
    #[arg(long, value_name = "NAME", global = true, help_heading = "Filters")]
    pub function: Vec<String>,

    /// Keep only findings logged at or after this time (2024-05-01 or 2024-05-01T12:00:00).
    #[arg(long, value_name = "TIME", global = true, help_heading = "Filters")]
    pub since: Option<String>,

    /// Keep only findings logged at or before this time.
    #[arg(long, value_name = "TIME", global = true, help_heading = "Filters")]
    pub until: Option<String>,

    /// Show at most N sites of each kind.
    #[arg(long, value_name = "N", global = true, help_heading = "Filters")]
    pub top: Option<usize>,

    /// Hide findings that happened while the program shut down.
    ///
    /// A task destroyed, an exception never retrieved or a coroutine never
    /// awaited that no application line follows before the end of the log
    /// happened during shutdown: such findings are marked `during_shutdown`
    /// and ranked below the same findings in steady state.
    #[arg(long, global = true, help_heading = "Filters")]
    pub no_shutdown: bool,

    /// Show only findings that are not in this baseline (see `aiolog baseline save`).
    ///
    /// The gates (--fail-on, --min-seconds) then apply to new findings only.
    #[arg(long, value_name = "FILE", global = true, help_heading = "Filters")]
    pub baseline: Option<PathBuf>,

    /// Keep only findings that CODEOWNERS gives to this owner (e.g. @app-team).
    #[arg(long, value_name = "OWNER", global = true, help_heading = "Filters")]
    pub owner: Option<String>,

    /// Read settings from this file instead of the nearest pyproject.toml / aiolog.toml.
    #[arg(
        long,
        value_name = "FILE",
        global = true,
        conflicts_with = "no_config",
        help_heading = "Filters"
    )]
    pub config: Option<PathBuf>,

    /// Ignore configuration files.
    #[arg(long, global = true, help_heading = "Filters")]
    pub no_config: bool,

    /// Threads for a large regular file (0: one per core).
    ///
    /// A file of 32 MiB or more is cut at record boundaries and its parts are
    /// analyzed in parallel; the result is the same as in one pass.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        global = true,
        help_heading = "Input"
    )]
    pub threads: usize,

    /// Cut lines longer than this many bytes.
    ///
    /// A cut line is counted in --stats; it is never buffered whole.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE, global = true, help_heading = "Input")]
    pub max_line_bytes: usize,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a Python program with asyncio debug mode on and analyze its output as it runs.
    ///
    /// The child gets PYTHONASYNCIODEBUG=1, PYTHONWARNINGS=default,
    /// PYTHONUNBUFFERED=1 (PYTHONTRACEMALLOC with --tracemalloc), and a
    /// sitecustomize module that keeps every asyncio event loop in debug mode
    /// even where the program turns it off (uvicorn does) and applies --slow
    /// (see --no-inject). Its standard output and standard error pass through
    /// unchanged, and both are analyzed as the one input they are: lines of
    /// the two interleave as they arrive, so that an access log on standard
    /// output is the context of the warnings on standard error (see
    /// --no-stdout). Findings and the summary go to standard error (or --output).
    /// Ctrl-C and SIGTERM are passed on to the child; aiolog exits with the
    /// child's exit status once the child has exited.
    #[command(
        after_help = "Example:\n  aiolog run -- python app.py\n  aiolog run --slow 0.05 -- uvicorn app:app"
    )]
    Run(RunArgs),

    /// Merge JSON reports (--format json) and NDJSON streams (--format
    /// ndjson, a fleet's findings) into one report.
    ///
    /// Counts, totals and duration histograms add up and percentiles are
    /// recomputed exactly, so the logs of many hosts or runs can be analyzed
    /// where they are and summarized in one place, in any --format. An
    /// NDJSON stream's findings are read from its finding lines (a line may
    /// start with the host that sent it, as a syslog collector writes it),
    /// its line account from its summary lines. `-` reads standard input.
    #[command(
        after_help = "Example:\n  aiolog merge host1.json host2.json --format markdown\n  aiolog merge /var/log/aiolog/fleet.ndjson --by host"
    )]
    Merge {
        /// The reports and streams.
        #[arg(required = true, value_name = "REPORT")]
        reports: Vec<PathBuf>,
    },

    /// Record the current findings as a baseline: later runs with --baseline show only new ones.
    ///
    /// `aiolog baseline save FILE [LOG …]` analyzes the logs (standard input
    /// without any) and writes the findings' stable fingerprints (kind, rule,
    /// site, subject; anchored on the source statement when --src finds it,
    /// so unrelated line shifts keep them) to FILE.
    Baseline {
        /// `save`.
        #[arg(value_parser = ["save"])]
        action: String,
        /// The baseline file to write.
        #[arg(value_name = "FILE")]
        baseline_file: PathBuf,
        /// The logs.
        #[arg(value_name = "LOG")]
        logs: Vec<String>,
    },

    /// List the line grammars, or check grammar files (`--check FILE`).
    ///
    /// A grammar file is JSON: name, title, description, layer (`record` for
    /// a logging format, `wrapper` for a prefix a collector puts on every
    /// line), priority, a regex with named groups (timestamp, level, logger,
    /// pid, message), a chrono timestamp format, and sample lines with the
    /// fields they must yield (see grammars/*.json). Use one with
    /// `--grammar FILE`.
    Grammars {
        /// Grammar files to check.
        #[arg(long, value_name = "FILE")]
        check: Vec<PathBuf>,
    },

    /// List the rules: code, name and what each detects.
    Rules,

    /// Explain a rule: what it detects, why it hurts, an example and the fix.
    Explain {
        /// The rule code, e.g. AIO101 (see `aiolog rules`).
        #[arg(value_name = "CODE", required_unless_present = "all")]
        code: Option<String>,
        /// Explain every rule.
        #[arg(long)]
        all: bool,
    },

    /// Print a shell completion script.
    ///
    /// bash: `aiolog completions bash > ~/.local/share/bash-completion/completions/aiolog`;
    /// zsh: `aiolog completions zsh > "${fpath[1]}/_aiolog"`;
    /// fish: `aiolog completions fish > ~/.config/fish/completions/aiolog.fish`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print the manual page (roff), e.g. `aiolog man > aiolog.1; man ./aiolog.1`.
    Man,

    /// Print a directory that starts the stall probe in any Python that has
    /// it on PYTHONPATH and AIOLOG_PROBE=1 in its environment.
    ///
    /// For a service whose environment cannot get aiolog's wheel (which
    /// starts the probe from a `.pth` file): `PYTHONPATH=$(aiolog
    /// probe-path) AIOLOG_PROBE=1 python app.py`. The directory holds the
    /// probe and a sitecustomize module that runs the one it shadows; it is
    /// written under the user's cache directory, once per aiolog version.
    ProbePath,
}

/// `aiolog run` options.
#[derive(Debug, ClapArgs)]
pub struct RunArgs {
    /// Leave the child's standard output alone: not analyzed, and not a
    /// pipe, so that the child sees the terminal itself (colors, progress
    /// bars). Its standard error is still analyzed.
    #[arg(long)]
    pub no_stdout: bool,

    /// Kept for old scripts: the child's standard output is analyzed by
    /// default now.
    #[arg(long, hide = true, conflicts_with = "no_stdout")]
    pub stdout: bool,

    /// Turn tracemalloc on, keeping FRAMES frames of each allocation's
    /// traceback (PYTHONTRACEMALLOC); off by default.
    ///
    /// It adds where each unclosed resource (ResourceWarning) and each
    /// never-awaited coroutine created outside a running loop was allocated.
    /// It costs: every allocation is traced, so the program starts and runs
    /// several times slower (an aiohttp app answered in 4.4 s instead of
    /// 0.34 s), and that slowness can itself show as slow steps.
    #[arg(long, value_name = "FRAMES", default_value_t = 0)]
    pub tracemalloc: u32,

    /// Run the child in Python's development mode (PYTHONDEVMODE=1, as `-X dev`).
    #[arg(long)]
    pub dev: bool,

    /// Report callbacks and task steps that take at least SECONDS (asyncio's default: 0.1).
    #[arg(long, value_name = "SECONDS")]
    pub slow: Option<f64>,

    /// Do not add the sitecustomize module that forces debug mode on and
    /// starts the stall probe.
    #[arg(long)]
    pub no_inject: bool,

    /// The stall probe alone: leave debug mode and tracemalloc off, the cost a
    /// production service can pay. The probe samples the loop's thread while
    /// a step blocks it and logs the statement that blocked.
    #[arg(long, conflicts_with_all = ["no_probe", "no_inject"])]
    pub light: bool,

    /// Do not start the stall probe (debug mode's warnings only).
    #[arg(long)]
    pub no_probe: bool,

    /// The probe samples the loop's thread every SECONDS while it is blocked.
    #[arg(long, value_name = "SECONDS", default_value_t = 0.005)]
    pub probe_sample: f64,

    /// The program and its arguments.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}

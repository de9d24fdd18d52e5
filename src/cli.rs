//! The command line: flags and their documentation.

use clap::{Parser, ValueEnum};

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
  PYTHONASYNCIODEBUG=1 python app.py 2>&1 | aiolog
  aiolog --format json app.log > findings.json";

const AFTER_LONG_HELP: &str = "\
Examples:
  aiolog app.log                       rank the findings of a log
  tail -f app.log | aiolog             findings as they happen, summary on Ctrl-C
  PYTHONASYNCIODEBUG=1 python app.py 2>&1 | aiolog
  aiolog --format json app.log > findings.json

Reading a slow task step:
  asyncio prints `coro=<handler() running at /app/api.py:88>` for the line where \
the task suspended *after* the slow step. The blocking call is between the \
previous await and that line. `done, defined at` means the coroutine finished in \
the slow step: the blocking code is after its last await.

Exit status:
  0    the input was read (findings or not: a log analyzer in a pipeline does not fail for finding things)
  2    an input could not be read, or the command line or a grammar is invalid
  130  interrupted with Ctrl-C (the summary of what was read is still printed)
  A closed output pipe (aiolog app.log | head) ends aiolog quietly with status 0.";

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Ranked tables for people; on a live stream, one line per finding as it happens.
    Table,
    /// One JSON document for scripts (shape in the README).
    Json,
}

/// aiolog's arguments.
#[derive(Debug, Parser)]
#[command(
    name = "aiolog",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP,
    after_long_help = AFTER_LONG_HELP,
    max_term_width = 100
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

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table, env = "AIOLOG_FORMAT", help_heading = "Output")]
    pub format: Format,

    /// Print the line account (parsed, passed through, skipped) to stderr.
    ///
    /// Every input line is counted once: as part of an asyncio record that
    /// became a finding (parsed), as an application line (passed through), or
    /// as part of a record that holds an asyncio marker but could not be read
    /// (skipped; a few samples are shown).
    #[arg(long, help_heading = "Output")]
    pub stats: bool,

    /// Read logging prefixes with this grammar instead of detecting them.
    ///
    /// Without it, each line that matters is tried against every grammar in
    /// grammars/ (most specific first). With it, lines the grammar does not
    /// match are read as bare messages: the warnings module writes to stderr
    /// without a logging prefix even in applications whose logging has one.
    /// See --list-grammars.
    #[arg(long, value_name = "NAME", help_heading = "Parsing")]
    pub grammar: Option<String>,

    /// List the line grammars and exit.
    #[arg(long, help_heading = "Parsing")]
    pub list_grammars: bool,

    /// Cut lines longer than this many bytes.
    ///
    /// A cut line is counted in --stats; it is never buffered whole.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE, help_heading = "Input")]
    pub max_line_bytes: usize,
}

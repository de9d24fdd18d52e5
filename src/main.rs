//! The `aiolog` binary: argument parsing, running the inputs through the
//! pipeline, and exit codes. Everything else lives in the library.

mod app;
mod cli;
mod signals;

/// The system allocator with a per-thread cache of small blocks in front of
/// it. An analysis makes some thirty small strings and lists a record and
/// frees nearly all of them once its finding is counted; glibc's own cache
/// holds seven blocks of a size, so most of them took its slower paths, a
/// seventh of all instructions on a dense log. Measured on the benchmark's
/// dense workload: 8 % fewer instructions, with peak memory 1–1.5 MiB
/// higher (the README's Performance section has the wall times). The cache is a
/// small module of this crate rather than a general-purpose allocator such
/// as mimalloc or jemalloc, which would bring a C build with it (mimalloc
/// was measured too: its larger heaps doubled the peak memory).
#[global_allocator]
static ALLOCATOR: aiolog::allocator::ThreadCache = aiolog::allocator::ThreadCache;

use clap::Parser;
use std::io;
use std::process::ExitCode;

/// The flags each informational subcommand reads: its `--help` shows these
/// (and its own arguments), not every flag of an analysis.
const INFO_FLAGS: &[(&str, &[&str])] = &[
    ("rules", &["format"]),
    ("explain", &["format"]),
    ("grammars", &[]),
    ("man", &[]),
    ("completions", &[]),
    ("probe-path", &[]),
];

/// `aiolog SUB --help` (or `-h`, or `aiolog help SUB`) for an informational
/// subcommand: its help with only the flags it reads. `None` for the rest.
fn info_help(argv: &[String]) -> Option<String> {
    use clap::CommandFactory;
    let words: Vec<&str> = argv.iter().skip(1).map(String::as_str).collect();
    // `-h` asks for the short help, `--help` and `aiolog help SUB` the long.
    let (sub, long) = match words.as_slice() {
        ["help", sub] => (*sub, true),
        [sub, rest @ ..] if rest.contains(&"--help") => (*sub, true),
        [sub, rest @ ..] if rest.contains(&"-h") => (*sub, false),
        _ => return None,
    };
    let (_, keep) = INFO_FLAGS.iter().find(|(name, _)| *name == sub)?;
    let mut cmd = cli::Args::command();
    cmd.build();
    let sc = cmd.find_subcommand_mut(sub)?;
    let own: Vec<String> = sc
        .get_arguments()
        .filter(|a| !a.is_global_set())
        .map(|a| a.get_id().to_string())
        .collect();
    let mut sc = sc.clone().mut_args(|a| {
        let id = a.get_id().as_str();
        if own.iter().any(|o| o == id) || keep.contains(&id) || id == "help" {
            a
        } else {
            a.hide(true)
        }
    });
    Some(
        if long {
            sc.render_long_help()
        } else {
            sc.render_help()
        }
        .to_string(),
    )
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    if let Some(help) = info_help(&argv) {
        print!("{help}");
        return ExitCode::SUCCESS;
    }
    let args = match cli::Args::try_parse() {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // Argument errors in aiolog's one style: `aiolog: error: …`,
            // clap's own help and suggestions kept.
            let mut text = e.render().to_string();
            // A value from the environment is blamed on its variable, not on
            // a flag that was never passed.
            let from_flag = std::env::args().any(|a| a == "--format" || a.starts_with("--format="));
            if std::env::var_os("AIOLOG_FORMAT").is_some() && !from_flag {
                text = text.replace(
                    "for '--format <FORMAT>'",
                    "in the environment variable AIOLOG_FORMAT (for '--format <FORMAT>')",
                );
            }
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            eprint!("aiolog: error: {text}");
            return ExitCode::from(2);
        }
    };
    // The analysis on this thread allocates from its cache of small blocks
    // (see `aiolog::allocator`); argument parsing above needs none.
    match aiolog::allocator::with_cache(|| app::run(args)) {
        Ok(status) => status.into(),
        Err(err) => {
            // A closed pipe (`aiolog app.log | head`) is not an error.
            if err.kind() == io::ErrorKind::BrokenPipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("aiolog: error: {}", aiolog::input::describe_io_error(&err));
            ExitCode::from(2)
        }
    }
}

//! The `aiolog` binary: argument parsing, running the inputs through the
//! pipeline, and exit codes. Everything else lives in the library.

mod app;
mod cli;
mod signals;

use clap::Parser;
use std::io;
use std::process::ExitCode;

fn main() -> ExitCode {
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
    match app::run(args) {
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

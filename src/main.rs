//! The `aiolog` binary: argument parsing, running the inputs through the
//! pipeline, and exit codes. Everything else lives in the library.

mod app;
mod cli;
mod signals;

use clap::Parser;
use std::io;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Args::parse();
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

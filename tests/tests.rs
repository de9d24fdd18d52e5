//! aiolog's integration tests, one binary with a module per area (as
//! ripgrep's are): one build and one link instead of one per file.
//!
//! `cargo test` runs them all; `cargo test --test tests follow::` runs one
//! module, `cargo test --test tests golden` one test by name.

mod common;

mod cli;
mod corpus;
mod fleet;
mod follow;
mod formats;
mod frameworks;
mod golden;
mod grammars;
mod hostile;
mod install;
mod interleave;
mod layout;
mod noise;
mod parallel;
mod properties;
mod regenerate;
mod run;
mod samples;
mod shapes;
mod source;
mod versions;

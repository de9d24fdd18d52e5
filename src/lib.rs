//! aiolog reads Python asyncio debug-mode logs, ties each warning to a line of
//! the user's code and ranks what to fix first.
//!
//! # Brief overview
//! The modules are the stages of one pipeline, in data-flow order; no stage
//! knows the ones after it:
//!
//! 1. [`input`]: byte chunks from files, stdin or a live stream;
//! 2. [`scan`]: block search for rare asyncio markers, lines between hits only counted;
//! 3. [`frame`], [`grammar`], [`record`]: clean the lines around a hit, strip the
//!    logging prefix, reassemble the multi-line record;
//! 4. [`event`]: nom parsers turn a record into a typed event;
//! 5. [`correlate`]: the event's site in the user's code;
//! 6. [`aggregate`]: per-site statistics and ranking;
//! 7. [`source`]: what the source shows at each ranked site (with `--src`);
//! 8. [`noise`]: configuration; its filters decide which findings are counted
//!    (before 6), its baselines, owners and `--top` which ranked sites are
//!    reported (after 7);
//! 9. [`report`]: what the renderers are given, its retention and its JSON
//!    wire types;
//! 10. [`render`]: one renderer per output format.
//!
//! [`kinds`] holds one file per kind of finding, whose columns every stage
//! reads, and [`rules`] their rules by code.
//!
//! [`pipeline`] wires stages 2–5 for one input; [`parallel`] runs it on parts of
//! a large file on several threads. [`workload`] generates a synthetic log for
//! benchmarks and tests.
#![deny(missing_docs)]

// Utilities every stage may use: the binary's allocator, the tables'
// hasher, English for counts.
pub mod allocator;
pub mod hash;
pub mod text;

// The kinds of finding, one file each, whose columns the stages read, and
// their rules.
pub mod kinds;
pub mod rules;

// The stages, in data-flow order: none imports a later one (tests/layout.rs).
pub mod input;
pub mod scan;
pub mod frame;
pub mod grammar;
pub mod record;
pub mod event;
pub mod correlate;
pub mod aggregate;
pub mod source;
pub mod noise;
pub mod report;
pub mod render;

// Wiring and tools around the stages.
pub mod pipeline;
pub mod parallel;
pub mod merge;
pub mod workload;

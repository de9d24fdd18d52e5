//! Noise control: configuration, filters, baselines, owners.
//!
//! Where it runs: the [`Filter`] decides, finding by finding, what is counted
//! at all (before aggregation); baselines, `--owner` and `--top` decide which
//! ranked groups the report keeps (after the source evidence, which a
//! baseline's fingerprint rests on), through [`crate::report::Report::retain`].
//!
//! # Brief overview
//! * [`Config`] reads `[tool.aiolog]` from the nearest `pyproject.toml`, or
//!   `aiolog.toml`; an unknown key is an error that names the key and the
//!   file, with a suggestion when it is a near miss.
//! * [`Filter`] keeps or drops findings one by one: rule selection
//!   (`select`/`ignore` by code or prefix, as ruff does), kinds, file globs,
//!   function names, a time range, findings during shutdown.
//! * [`fingerprint`] identifies a finding across runs (kind, rule, site,
//!   subject; anchored on the source statement when the source was read, so
//!   that unrelated line shifts do not change it); baselines are lists of them.
//! * [`Owners`] applies a `CODEOWNERS` file, last matching rule wins.

mod baseline;
mod config;
mod filter;
mod owners;

pub use baseline::{baseline_document, fingerprint, hash_parts, load_baseline, top_per_kind};
pub use config::{did_you_mean, Config, KEYS};
pub use filter::{glob_match, parse_time, Filter, RuleSelector};
pub use owners::{owners_of, Owners};

//! The effective settings (flags, else the configuration file), the exit
//! gate (`--fail-on`, `--min-seconds`), and the report assembled with the
//! baseline, owners and `--top` of [`aiolog::noise`].

use std::io;
use std::path::Path;

use aiolog::aggregate::Ranked;
use aiolog::noise::{self, RuleSelector};
use aiolog::report::Report;
use aiolog::source::analyze::Evidence;

use super::{describe_io_error, Ctx, Status};

/// The effective settings: command-line flags, else the configuration file.
pub(super) struct Settings {
    pub(super) src: Vec<std::path::PathBuf>,
    pub(super) path_map: Vec<String>,
    pub(super) min_seconds: Option<f64>,
    pub(super) filter: aiolog::noise::Filter,
    pub(super) severity: std::collections::BTreeMap<String, String>,
    pub(super) baseline: Option<std::path::PathBuf>,
}

impl Settings {
    /// The report of what `ctx` read: the ranked findings with their source
    /// evidence and owners, less what the baseline knows, `--owner` and
    /// `--top` keep. Fails when the baseline cannot be read.
    pub(super) fn report(
        &self,
        ctx: &mut Ctx,
        ranked: Vec<Ranked>,
        evidence: Vec<Option<Evidence>>,
        c: &crate::cli::Common,
    ) -> Result<Report, String> {
        let owners_file =
            noise::Owners::discover(self.src.first().map_or(Path::new("."), |p| p.as_path()));
        let mut report = Report {
            inputs: std::mem::take(&mut ctx.names),
            stats: ctx.stats.clone(),
            ranked,
            events: ctx.agg.events,
            interrupted: ctx.interrupted,
            timeline: ctx.agg.timeline(),
            evidence,
            owners: Vec::new(),
            severity: self.severity.clone(),
            baseline_hidden: None,
            withheld: ctx.withheld.clone(),
            by_host: c.by == Some(crate::cli::By::Host),
        };
        report.owners = report
            .ranked
            .iter()
            .zip(&report.evidence)
            .map(|(rk, ev)| noise::owners_of(&owners_file, rk, ev.as_ref()))
            .collect();
        if let Some(path) = &self.baseline {
            let known = noise::load_baseline(path)?;
            let hidden =
                report.retain(|rk, ev, _| !known.contains(&noise::fingerprint(&rk.group, ev)));
            report.baseline_hidden = Some(hidden);
        }
        if let Some(owner) = &c.owner {
            let (sites, _) =
                report.retain(|_, _, owners| owners.iter().any(|o| o.eq_ignore_ascii_case(owner)));
            report.withheld.narrowed_sites += sites;
        }
        if let Some(top) = c.top {
            let mut keep = noise::top_per_kind(top);
            let (sites, _) = report.retain(|rk, _, _| keep(rk));
            report.withheld.narrowed_sites += sites;
        }
        Ok(report)
    }

    pub(super) fn new(c: &crate::cli::Common) -> Result<Settings, String> {
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
            kinds: c.kind.clone(),
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

/// `aiolog baseline save FILE`.
pub(super) fn save_baseline(
    file: &Path,
    ranked: &[aiolog::aggregate::Ranked],
    evidence: &[Option<aiolog::source::analyze::Evidence>],
) -> io::Result<Status> {
    let (doc, sites) = noise::baseline_document(ranked, evidence);
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
        sites,
        file.display()
    );
    Ok(Status::Success)
}

/// `--fail-on` and `--min-seconds`.
pub(super) struct Gate {
    selectors: Vec<RuleSelector>,
    min_ms: Option<u64>,
}

impl Gate {
    pub(super) fn new(fail_on: &[String], min_seconds: Option<f64>) -> Result<Gate, String> {
        let mut selectors = Vec::new();
        for sel in fail_on {
            if let Some(s) = RuleSelector::parse(sel) {
                selectors.push(s);
            } else {
                let codes: Vec<&str> = aiolog::rules::RULES.iter().map(|r| r.code).collect();
                let kinds: Vec<&str> = aiolog::kinds::Kind::ALL
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
    pub(super) fn matches(&self, r: &Report) -> bool {
        if self.selectors.is_empty() && self.min_ms.is_none() {
            return false;
        }
        r.ranked.iter().any(|rk| {
            let g = &rk.group;
            let selected = if self.selectors.is_empty() {
                g.key.kind.timed()
            } else {
                self.selectors.iter().any(|s| s.matches(g.code, g.key.kind))
            };
            let long_enough = match self.min_ms {
                Some(min) if g.key.kind.timed() => g.max_ms().unwrap_or(0) >= min,
                _ => true,
            };
            selected && long_enough
        })
    }
}

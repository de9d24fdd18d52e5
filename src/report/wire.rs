//! The JSON report's wire types: written by `--format json` and read back by
//! `aiolog merge`, one definition for both, so that the two cannot drift
//! apart. Fields a reader can do without have defaults.

use std::collections::BTreeMap;

use super::{LineStats, Report, UnrecognizedSample};
use crate::aggregate::{Group, GroupKey, HostTally};
use crate::correlate::{Basis, Finding, Site};
use crate::event::Location;
use crate::kinds::Kind;
use crate::source::analyze::Evidence;

/// The `input` object.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct InputWire {
    /// Input names, in order.
    #[serde(default)]
    pub files: Vec<String>,
    /// [`LineStats::bytes`].
    pub bytes: u64,
    /// [`LineStats::lines`].
    pub lines: u64,
    /// [`LineStats::parsed`].
    pub parsed_lines: u64,
    /// [`LineStats::passed_through`].
    pub passed_through_lines: u64,
    /// [`LineStats::skipped`].
    pub skipped_lines: u64,
    /// [`LineStats::records`].
    pub records: u64,
    /// [`LineStats::unrecognized_records`].
    pub unrecognized_records: u64,
    /// [`LineStats::debug_records`] (absent from older reports).
    #[serde(default)]
    pub debug_records: u64,
    /// [`LineStats::truncated_lines`].
    pub truncated_lines: u64,
    /// [`LineStats::invalid_utf8_lines`].
    pub invalid_utf8_lines: u64,
    /// Findings (occurrences) in the report.
    #[serde(default)]
    pub findings: u64,
    /// The run was ended by a signal.
    #[serde(default)]
    pub interrupted: bool,
    /// With `--baseline`: what it hid.
    #[serde(default)]
    pub baseline_hidden: Option<HiddenWire>,
    /// [`LineStats::unrecognized_samples`].
    #[serde(default)]
    pub unrecognized_samples: Vec<UnrecognizedSample>,
}

/// `baseline_hidden`: the known sites a baseline hid, and their occurrences.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct HiddenWire {
    /// Sites hidden.
    pub sites: u64,
    /// Their occurrences.
    pub findings: u64,
}

impl InputWire {
    /// The `input` object of a report.
    pub fn of(r: &Report) -> InputWire {
        let s = &r.stats;
        InputWire {
            files: r.inputs.clone(),
            bytes: s.bytes,
            lines: s.lines,
            parsed_lines: s.parsed,
            passed_through_lines: s.passed_through,
            skipped_lines: s.skipped,
            records: s.records,
            unrecognized_records: s.unrecognized_records,
            debug_records: s.debug_records,
            truncated_lines: s.truncated_lines,
            invalid_utf8_lines: s.invalid_utf8_lines,
            findings: r.events,
            interrupted: r.interrupted,
            baseline_hidden: r
                .baseline_hidden
                .map(|(sites, findings)| HiddenWire { sites, findings }),
            unrecognized_samples: s.unrecognized_samples.clone(),
        }
    }

    /// The line account it holds.
    pub fn stats(&self) -> LineStats {
        LineStats {
            bytes: self.bytes,
            lines: self.lines,
            parsed: self.parsed_lines,
            passed_through: self.passed_through_lines,
            skipped: self.skipped_lines,
            records: self.records,
            unrecognized_records: self.unrecognized_records,
            debug_records: self.debug_records,
            truncated_lines: self.truncated_lines,
            invalid_utf8_lines: self.invalid_utf8_lines,
            unrecognized_samples: self.unrecognized_samples.clone(),
        }
    }
}

/// One element of `findings`: a ranked site, with what the source shows.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FindingWire {
    /// 1 is the first to fix, within its kind.
    #[serde(default)]
    pub rank: usize,
    /// The kind.
    pub kind: Kind,
    /// The rule code.
    #[serde(default)]
    pub rule: String,
    /// The coroutine or callback qualname as printed.
    #[serde(default)]
    pub subject: Option<String>,
    /// The site in the user's code.
    #[serde(default)]
    pub site: Option<Site>,
    /// How the site was chosen (an unknown basis reads as `unknown`).
    #[serde(default, deserialize_with = "lenient_basis")]
    pub site_basis: Basis,
    /// [`Basis::explain`].
    #[serde(default)]
    pub site_note: String,
    /// The `path:line` the warning printed.
    #[serde(default)]
    pub location: Option<String>,
    /// The object's creation site, when printed.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Occurrences.
    pub count: u64,
    /// Blocked time in total (timed kinds).
    #[serde(default)]
    pub total_seconds: Option<f64>,
    /// The longest block (timed kinds).
    #[serde(default)]
    pub max_seconds: Option<f64>,
    /// The 95th percentile (timed kinds).
    #[serde(default)]
    pub p95_seconds: Option<f64>,
    /// The first timestamp.
    #[serde(default)]
    pub first_seen: Option<String>,
    /// The last timestamp.
    #[serde(default)]
    pub last_seen: Option<String>,
    /// Where it was first read.
    #[serde(default)]
    pub first_occurrence: OccurrenceWire,
    /// The overflow group.
    #[serde(default)]
    pub other: bool,
    /// Findings during shutdown.
    #[serde(default)]
    pub during_shutdown: bool,
    /// CODEOWNERS of the site.
    #[serde(default)]
    pub owners: Vec<String>,
    /// The rule's severity.
    #[serde(default)]
    pub severity: String,
    /// The baseline fingerprint ([`crate::noise::fingerprint`]).
    #[serde(default)]
    pub fingerprint: String,
    /// The one-sentence why.
    #[serde(default)]
    pub why: String,
    /// Exact durations: milliseconds → occurrences (timed kinds).
    #[serde(default)]
    pub histogram_ms: Option<crate::aggregate::Histogram>,
    /// The first record's text.
    #[serde(default)]
    pub sample_record: String,
    /// The lines around the first record.
    #[serde(default)]
    pub context: ContextWire,
    /// Request ids in those lines.
    #[serde(default)]
    pub request_ids: Vec<String>,
    /// What ranks it.
    #[serde(default)]
    pub score: ScoreWire,
    /// Occurrences and blocked time per host, when the findings name
    /// their hosts (`--host`, a fleet's NDJSON; `--by host`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_host: BTreeMap<String, HostWire>,
    /// What the source shows (written only; `merge` does not need it).
    #[serde(flatten, skip_deserializing)]
    pub evidence: Option<Evidence>,
}

/// One host's share of a finding site.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct HostWire {
    /// Occurrences.
    pub count: u64,
    /// Blocked time (timed kinds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_seconds: Option<f64>,
}

/// One finding as `--format ndjson` writes it the moment its record is
/// parsed (`{"type": "finding", "data": …}`), and as `aiolog merge` reads
/// it back from a fleet's streams: everything the aggregate stage counts,
/// so that merged streams add up to one analysis of all the logs.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FindingLine {
    /// The kind.
    pub kind: Kind,
    /// The rule code.
    #[serde(default)]
    pub rule: String,
    /// The coroutine or callback qualname as printed.
    #[serde(default)]
    pub subject: Option<String>,
    /// The site in the user's code.
    #[serde(default)]
    pub site: Option<Site>,
    /// How the site was chosen.
    #[serde(default, deserialize_with = "lenient_basis")]
    pub site_basis: Basis,
    /// The `path:line` the warning printed.
    #[serde(default)]
    pub location: Option<String>,
    /// The object's creation site.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Seconds blocked (timed kinds).
    #[serde(default)]
    pub seconds: Option<f64>,
    /// The record's timestamp.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// The input it was read from.
    #[serde(default)]
    pub input: String,
    /// The record's first line in that input.
    #[serde(default)]
    pub line: u64,
    /// A short detail (the exception, the task name).
    #[serde(default)]
    pub detail: Option<String>,
    /// More than 1 when the record stands for several.
    #[serde(default = "one")]
    pub occurrences: u64,
    /// It happened while the program shut down.
    #[serde(default)]
    pub during_shutdown: bool,
    /// The process that wrote it.
    #[serde(default)]
    pub pid: Option<u64>,
    /// The host whose log it came from (`--host`).
    #[serde(default)]
    pub host: Option<String>,
    /// The record's text.
    #[serde(default)]
    pub record: String,
    /// The lines around it.
    #[serde(default)]
    pub context: ContextWire,
}

fn one() -> u64 {
    1
}

/// `path:line` read back.
fn location(s: &Option<String>) -> Option<Location> {
    let (path, line) = s.as_deref()?.rsplit_once(':')?;
    Some(Location {
        path: path.to_string(),
        line: line.parse().ok()?,
    })
}

impl FindingLine {
    /// The line of a finding.
    pub fn of(f: &Finding) -> FindingLine {
        FindingLine {
            kind: f.kind,
            rule: f.code.to_string(),
            subject: f.subject.clone(),
            site: f.site.clone(),
            site_basis: f.basis,
            location: f.location.as_ref().map(|l| l.to_string()),
            created_at: f.created_at.as_ref().map(|l| l.to_string()),
            seconds: f.seconds,
            timestamp: f.timestamp.clone(),
            input: f.input.to_string(),
            line: f.line_no,
            detail: f.detail.clone(),
            occurrences: f.occurrences,
            during_shutdown: f.during_shutdown,
            pid: f.pid,
            host: f.host.clone(),
            record: f.record.clone(),
            context: ContextWire {
                before: f.context_before.to_vec(),
                after: f.context_after.to_vec(),
            },
        }
    }

    /// The finding it describes, for `aiolog merge`; `host` names the
    /// host when the line itself does not.
    pub fn finding(self, host: Option<&str>) -> Finding {
        let code = crate::rules::by_code(&self.rule).map_or("AIO000", |r| r.code);
        crate::correlate::FindingFields {
            kind: self.kind,
            location: location(&self.location),
            created_at: location(&self.created_at),
            subject: self.subject,
            seconds: self.seconds,
            site: self.site,
            basis: self.site_basis,
            timestamp: self.timestamp,
            input: self.input.into(),
            line_no: self.line,
            detail: self.detail,
            code,
            record: self.record,
            context_before: self.context.before.into(),
            context_after: self.context.after.into(),
            during_shutdown: self.during_shutdown,
            step_of: None,
            object: None,
            pid: self.pid,
            occurrences: self.occurrences.max(1),
            host: self.host.or_else(|| host.map(str::to_string)),
        }
        .into()
    }
}

/// `first_occurrence`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct OccurrenceWire {
    /// The input.
    #[serde(default)]
    pub input: String,
    /// Its line.
    #[serde(default)]
    pub line: u64,
}

/// `context`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ContextWire {
    /// Lines before.
    #[serde(default)]
    pub before: Vec<String>,
    /// Lines after.
    #[serde(default)]
    pub after: Vec<String>,
}

/// `score`: what orders the rows of a kind.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ScoreWire {
    /// In words.
    #[serde(default)]
    pub order: String,
    /// Blocked time (timed kinds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_seconds: Option<f64>,
    /// Occurrences.
    #[serde(default)]
    pub count: u64,
}

fn lenient_basis<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Basis, D::Error> {
    let v: serde_json::Value = serde::Deserialize::deserialize(d)?;
    Ok(serde_json::from_value(v).unwrap_or(Basis::Unknown))
}

fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

impl FindingWire {
    /// The `i`th ranked group of a report.
    pub fn of(r: &Report, i: usize) -> FindingWire {
        let rk = &r.ranked[i];
        let g = &rk.group;
        let timed = g.key.kind.timed();
        let evidence = r.evidence.get(i).and_then(Option::as_ref);
        FindingWire {
            rank: rk.rank,
            kind: g.key.kind,
            rule: g.code.to_string(),
            subject: g.subject.clone(),
            site: g.key.site.clone(),
            site_basis: g.basis,
            site_note: g.basis.explain().to_string(),
            location: g.location.clone(),
            created_at: g.created_at.clone(),
            count: g.count,
            total_seconds: timed.then(|| seconds(g.total_ms())),
            max_seconds: g.max_ms().filter(|_| timed).map(seconds),
            p95_seconds: g.p95_ms().filter(|_| timed).map(seconds),
            first_seen: g.first_seen.clone(),
            last_seen: g.last_seen.clone(),
            first_occurrence: OccurrenceWire {
                input: g.first_input.clone(),
                line: g.first_line,
            },
            other: g.key.other,
            during_shutdown: g.key.shutdown,
            owners: r.owners.get(i).cloned().unwrap_or_default(),
            severity: r.severity_of(g.code).to_string(),
            fingerprint: crate::noise::fingerprint(g, evidence),
            why: rk.why.clone(),
            histogram_ms: timed.then(|| g.durations_ms.clone()),
            sample_record: g.sample_record.clone(),
            context: ContextWire {
                before: g.context_before.clone(),
                after: g.context_after.clone(),
            },
            request_ids: g.request_ids.clone(),
            by_host: g
                .by_host
                .iter()
                .map(|(h, t)| {
                    let total_seconds = timed.then(|| seconds(t.total_ms));
                    (
                        h.clone(),
                        HostWire {
                            count: t.count,
                            total_seconds,
                        },
                    )
                })
                .collect(),
            score: if timed {
                ScoreWire {
                    order: "total_seconds, then count".into(),
                    total_seconds: Some(seconds(g.total_ms())),
                    count: g.count,
                }
            } else {
                ScoreWire {
                    order: "count".into(),
                    total_seconds: None,
                    count: g.count,
                }
            },
            evidence: evidence.cloned(),
        }
    }

    /// The group it describes, for `aiolog merge`.
    pub fn group(self) -> Group {
        let code = crate::rules::by_code(&self.rule).map_or("AIO000", |r| r.code);
        Group {
            key: GroupKey {
                kind: self.kind,
                subject: if self.site.is_none() {
                    self.subject.clone()
                } else {
                    None
                },
                site: self.site,
                other: self.other,
                shutdown: self.during_shutdown,
            },
            count: self.count,
            durations_ms: self.histogram_ms.unwrap_or_default(),
            subject: self.subject,
            location: self.location,
            created_at: self.created_at,
            basis: self.site_basis,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            first_input: self.first_occurrence.input,
            first_line: self.first_occurrence.line,
            code,
            sample_record: self.sample_record,
            context_before: self.context.before,
            context_after: self.context.after,
            request_ids: self.request_ids,
            by_host: self
                .by_host
                .into_iter()
                .map(|(h, w)| {
                    let total_ms = w.total_seconds.map_or(0, |s| (s * 1000.0).round() as u64);
                    (
                        h,
                        HostTally {
                            count: w.count,
                            total_ms,
                        },
                    )
                })
                .collect(),
        }
    }
}

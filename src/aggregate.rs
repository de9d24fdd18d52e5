//! Stage 6, aggregation and ranking.
//!
//! # Brief overview
//! Findings are grouped by (kind, site). Each group keeps its count, the
//! blocked time (total, max, p95) for slow callbacks and the first and last
//! timestamp. Durations are printed by CPython with three decimals, so they
//! are kept exactly as integer milliseconds in a histogram: percentiles are
//! exact, memory is bounded by the number of distinct durations, and two
//! aggregates [`Aggregator::merge`] into the same result as one run over both
//! inputs. Past [`MAX_GROUPS`] groups, new sites of a kind go into one
//! `other` group per kind, so memory stays flat on any input. The timeline
//! of slow callbacks, past [`MAX_TIMELINE`] points, keeps a sample chosen
//! by each point's hash (`timeline.rs`), so one run and merged parts keep
//! the same points; `ids.rs` reads request ids, `key.rs` finds a finding's
//! group by its borrowed key.
//!
//! Ranking, one sentence per row: blocking sites by total blocked time, then
//! count; every other kind by count; ties by path and line.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

use crate::correlate::{Basis, Finding, Site};
use crate::kinds::Kind;

mod ids;
mod key;
mod timeline;

pub use ids::request_ids;
#[cfg(test)]
use ids::{ascii_ids, id_of_match, id_pattern};
use key::{FindingKey, KeyView};
use timeline::{itoa_buf, kept, point_hash};
pub use timeline::{TimePoint, MAX_TIMELINE};

/// The most groups kept before new sites are folded into `other`: a few
/// megabytes at most, whatever the log.
pub const MAX_GROUPS: usize = 10_000;

/// Exact durations of a group: milliseconds → occurrences, sorted by
/// milliseconds, as two `u32` (8 bytes an entry; a `BTreeMap<u64, u64>`
/// took 16 and its nodes, and a long log has one entry per distinct value
/// per site). A duration past 49 days or a count past 4 billion saturates.
/// Written and read as a JSON map (`histogram_ms`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram(Vec<(u32, u32)>);

impl Histogram {
    /// Counts `n` more occurrences of `ms`.
    pub fn add(&mut self, ms: u64, n: u64) {
        let ms = u32::try_from(ms).unwrap_or(u32::MAX);
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        match self.0.binary_search_by_key(&ms, |e| e.0) {
            Ok(i) => self.0[i].1 = self.0[i].1.saturating_add(n),
            Err(i) => self.0.insert(i, (ms, n)),
        }
    }

    /// (milliseconds, occurrences), shortest first.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.0.iter().map(|&(ms, n)| (u64::from(ms), u64::from(n)))
    }

    /// The longest duration.
    pub fn max(&self) -> Option<u64> {
        self.0.last().map(|&(ms, _)| u64::from(ms))
    }
}

impl Serialize for Histogram {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (ms, n) in self.iter() {
            m.serialize_entry(&ms, &n)?;
        }
        m.end()
    }
}

impl<'de> serde::Deserialize<'de> for Histogram {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Histogram, D::Error> {
        let map: BTreeMap<u64, u64> = serde::Deserialize::deserialize(d)?;
        let mut h = Histogram::default();
        for (ms, n) in map {
            h.add(ms, n);
        }
        Ok(h)
    }
}

/// What findings are grouped by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupKey {
    /// The kind.
    pub kind: Kind,
    /// The site; `None` groups findings without one by subject.
    pub site: Option<Site>,
    /// The subject, for findings without a site.
    pub subject: Option<String>,
    /// The overflow group.
    pub other: bool,
    /// Findings during shutdown, kept apart from the same site's others.
    pub shutdown: bool,
}

/// Statistics of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The key.
    pub key: GroupKey,
    /// Occurrences.
    pub count: u64,
    /// Milliseconds → occurrences (slow callbacks).
    pub durations_ms: Histogram,
    /// Subject as first seen.
    pub subject: Option<String>,
    /// Location as first seen.
    pub location: Option<String>,
    /// Created-at as first seen.
    pub created_at: Option<String>,
    /// How the site was chosen.
    pub basis: Basis,
    /// Earliest timestamp.
    pub first_seen: Option<String>,
    /// Latest timestamp.
    pub last_seen: Option<String>,
    /// Where it was first seen: input and line.
    pub first_input: String,
    /// Line of the first occurrence.
    pub first_line: u64,
    /// The rule code.
    pub code: &'static str,
    /// The first occurrence's record text, cut at [`SAMPLE_RECORD_BYTES`].
    pub sample_record: String,
    /// The lines before the first occurrence.
    pub context_before: Vec<String>,
    /// The application lines after the first occurrence.
    pub context_after: Vec<String>,
    /// Request or trace ids seen around the occurrences (at most 16).
    pub request_ids: Vec<String>,
    /// The occurrences and blocked time per host, for the findings that
    /// name one (`--host`, a fleet's NDJSON): `--by host`.
    pub by_host: BTreeMap<String, HostTally>,
}

/// One host's share of a group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostTally {
    /// Occurrences.
    pub count: u64,
    /// Blocked milliseconds in total (timed kinds).
    pub total_ms: u64,
}

impl HostTally {
    fn merge(&mut self, o: &HostTally) {
        self.count += o.count;
        self.total_ms += o.total_ms;
    }
}

/// Request ids kept per site.
pub const MAX_IDS: usize = 16;

/// The most bytes of a record kept as a group's sample.
pub const SAMPLE_RECORD_BYTES: usize = 8 << 10;

impl Group {
    fn new(key: GroupKey, f: &Finding) -> Group {
        Group {
            key,
            count: 0,
            durations_ms: Histogram::default(),
            subject: f.subject.clone(),
            location: f.location.as_ref().map(|l| l.to_string()),
            created_at: f.created_at.as_ref().map(|l| l.to_string()),
            basis: f.basis,
            first_seen: None,
            last_seen: None,
            first_input: f.input.to_string(),
            first_line: f.line_no,
            code: f.code,
            sample_record: cut(&f.record, SAMPLE_RECORD_BYTES).to_string(),
            context_before: f.context_before.to_vec(),
            context_after: f.context_after.to_vec(),
            request_ids: Vec::new(),
            by_host: BTreeMap::new(),
        }
    }

    fn add_id(&mut self, id: &str) {
        if self.request_ids.len() < MAX_IDS && !self.request_ids.iter().any(|k| k == id) {
            self.request_ids.push(id.to_string());
        }
    }

    fn add(&mut self, f: &Finding) {
        self.count += f.occurrences.max(1);
        if self.request_ids.len() < MAX_IDS
            && !(f.context_before.is_empty() && f.context_after.is_empty())
        {
            let lines = [&f.context_before, &f.context_after];
            ids::each_request_id_in(lines, |id| self.add_id(id));
        }
        let ms = f.seconds.map(|s| (s * 1000.0).round() as u64);
        if let Some(ms) = ms {
            self.durations_ms.add(ms, 1);
        }
        if let Some(h) = &f.host {
            let t = self.by_host.entry(h.clone()).or_default();
            t.merge(&HostTally {
                count: f.occurrences.max(1),
                total_ms: ms.unwrap_or(0),
            });
        }
        if let Some(ts) = &f.timestamp {
            // `clone_from` reuses the string kept: no allocation per finding.
            if self.first_seen.as_ref().is_none_or(|fs| ts < fs) {
                self.first_seen.clone_from(&f.timestamp);
            }
            if self.last_seen.as_ref().is_none_or(|ls| ts > ls) {
                self.last_seen.clone_from(&f.timestamp);
            }
        }
    }

    fn merge(&mut self, other: &Group) {
        self.count += other.count;
        for id in &other.request_ids {
            self.add_id(id);
        }
        for (ms, n) in other.durations_ms.iter() {
            self.durations_ms.add(ms, n);
        }
        for (h, t) in &other.by_host {
            self.by_host.entry(h.clone()).or_default().merge(t);
        }
        for ts in other.first_seen.iter().chain(other.last_seen.iter()) {
            if self.first_seen.as_ref().is_none_or(|fs| ts < fs) {
                self.first_seen = Some(ts.clone());
            }
            if self.last_seen.as_ref().is_none_or(|ls| ts > ls) {
                self.last_seen = Some(ts.clone());
            }
        }
    }

    /// The site as `path:line` (or `(no line in the log)`) and its
    /// function (or nothing), for a table row.
    pub fn site_and_function(&self) -> (String, String) {
        match &self.key.site {
            Some(s) => (s.location(), s.function.clone().unwrap_or_default()),
            None => ("(no line in the log)".to_string(), String::new()),
        }
    }

    /// Total blocked milliseconds.
    pub fn total_ms(&self) -> u64 {
        self.durations_ms.iter().map(|(ms, n)| ms * n).sum()
    }

    /// Longest block, in milliseconds.
    pub fn max_ms(&self) -> Option<u64> {
        self.durations_ms.max()
    }

    /// The 95th percentile (nearest rank), in milliseconds.
    pub fn p95_ms(&self) -> Option<u64> {
        let n: u64 = self.durations_ms.iter().map(|(_, n)| n).sum();
        if n == 0 {
            return None;
        }
        let rank = (n * 95).div_ceil(100).max(1);
        let mut seen = 0;
        for (ms, c) in self.durations_ms.iter() {
            seen += c;
            if seen >= rank {
                return Some(ms);
            }
        }
        None
    }
}

/// The longest prefix of `s` of at most `n` bytes that ends on a character
/// boundary.
pub fn cut(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Groups findings.
#[derive(Debug, Default, Clone)]
pub struct Aggregator {
    groups: HashMap<GroupKey, Group, crate::hash::FxBuild>,
    /// Findings seen, including those folded into `other`.
    pub events: u64,
    /// Slow callbacks with a timestamp, thinned out past [`MAX_TIMELINE`]:
    /// those whose [`point_hash`] ends in at least `level` zero bits.
    timeline: Vec<TimePoint>,
    level: u32,
}

impl Aggregator {
    /// An empty aggregate.
    pub fn new() -> Aggregator {
        Aggregator::default()
    }

    /// Adds one finding.
    pub fn add(&mut self, f: &Finding) {
        self.events += f.occurrences.max(1);
        if let (Some(ts), Some(secs)) = (&f.timestamp, f.seconds) {
            let ms = (secs * 1000.0).round() as u64;
            let line = f.site.as_ref().map(|s| itoa_buf(s.line));
            let site: [&[u8]; 3] = match (&f.site, &line) {
                (Some(s), Some(line)) => [s.path.as_bytes(), b":", line.digits()],
                _ => [b"?", b"", b""],
            };
            // Built only when the thinned-out timeline keeps it.
            if kept(point_hash(ts, ms, &site), self.level) {
                self.push_point(TimePoint {
                    ts: ts.clone(),
                    ms,
                    site: f
                        .site
                        .as_ref()
                        .map_or_else(|| "?".to_string(), |s| s.location()),
                });
            }
        }
        if let Some(g) = self.groups.get_mut(&FindingKey(f) as &dyn KeyView) {
            g.add(f);
            return;
        }
        let mut key = GroupKey {
            kind: f.kind,
            subject: if f.site.is_none() {
                f.subject.clone()
            } else {
                None
            },
            site: f.site.clone(),
            other: false,
            shutdown: f.during_shutdown,
        };
        if self.groups.len() >= MAX_GROUPS {
            key = GroupKey {
                kind: f.kind,
                site: None,
                subject: None,
                other: true,
                shutdown: false,
            };
        }
        self.groups
            .entry(key.clone())
            .or_insert_with(|| Group::new(key, f))
            .add(f);
    }

    fn add_point(&mut self, p: TimePoint) {
        if kept(p.hash(), self.level) {
            self.push_point(p);
        }
    }

    /// Keeps a point the level keeps; past [`MAX_TIMELINE`], raises the
    /// level (about half the points each time). Which points are kept
    /// depends on the points alone, not on the order they came in: one pass
    /// and parts merged keep the same ones.
    fn push_point(&mut self, p: TimePoint) {
        self.timeline.push(p);
        while self.timeline.len() >= MAX_TIMELINE {
            self.raise_level(self.level + 1);
        }
    }

    fn raise_level(&mut self, level: u32) {
        if level > self.level {
            self.level = level;
            self.timeline.retain(|p| kept(p.hash(), level));
        }
    }

    /// The slow callbacks that carry a timestamp, in time order (on long
    /// logs, a sample chosen by each point's hash: see [`kept`]).
    pub fn timeline(&self) -> Vec<TimePoint> {
        let mut t = self.timeline.clone();
        t.sort();
        t
    }

    /// Attributes to `host` every group that names no host: all a run with
    /// `--host` read came from it.
    pub fn assign_host(&mut self, host: &str) {
        for g in self.groups.values_mut() {
            if g.by_host.is_empty() {
                let t = HostTally {
                    count: g.count,
                    total_ms: g.total_ms(),
                };
                g.by_host.insert(host.to_string(), t);
            }
        }
    }

    /// Adds a group read back from a report (see `aiolog merge`).
    pub fn insert_group(&mut self, g: Group, points: &[TimePoint]) {
        self.events += g.count;
        for p in points {
            self.add_point(p.clone());
        }
        match self.groups.get_mut(&g.key) {
            Some(mine) => mine.merge(&g),
            None => {
                self.groups.insert(g.key.clone(), g);
            }
        }
    }

    /// Adds everything `other` counted. `other` is taken to come after
    /// what this aggregate has seen (first occurrences stay this one's).
    pub fn merge(&mut self, other: Aggregator) {
        self.merge_shifted(other, 0);
    }

    /// Like [`Aggregator::merge`], for a part of the same input that starts
    /// `line_offset` lines further on: its line numbers are shifted.
    /// `other`'s groups and points move here: nothing is copied.
    pub fn merge_shifted(&mut self, other: Aggregator, line_offset: u64) {
        self.events += other.events;
        self.raise_level(other.level);
        for p in other.timeline {
            self.add_point(p);
        }
        for (k, mut g) in other.groups {
            match self.groups.get_mut(&k) {
                Some(mine) => mine.merge(&g),
                None => {
                    g.first_line += line_offset;
                    self.groups.insert(k, g);
                }
            }
        }
    }

    /// The groups, ranked within each kind, kinds in report order.
    pub fn ranked(&self) -> Vec<Ranked> {
        rank(self.groups.values().cloned())
    }

    /// [`Aggregator::ranked`], the groups moved out rather than copied
    /// (the report's own): none is left here.
    pub fn take_ranked(&mut self) -> Vec<Ranked> {
        rank(std::mem::take(&mut self.groups).into_values())
    }
}

/// `groups` ranked within each kind, kinds in report order.
fn rank(groups: impl Iterator<Item = Group>) -> Vec<Ranked> {
    let mut by_kind: Vec<Vec<(u64, Group)>> = Kind::ALL.iter().map(|_| Vec::new()).collect();
    for g in groups {
        let k = Kind::ALL
            .iter()
            .position(|&k| k == g.key.kind)
            .expect("every kind is in Kind::ALL");
        by_kind[k].push((g.total_ms(), g));
    }
    let mut out = Vec::new();
    for (&kind, mut groups) in Kind::ALL.iter().zip(by_kind) {
        groups.sort_by(|(a_ms, a), (b_ms, b)| {
            // Findings during shutdown rank below every steady one.
            let phase = a.key.shutdown.cmp(&b.key.shutdown);
            let primary = if kind.timed() {
                b_ms.cmp(a_ms).then(b.count.cmp(&a.count))
            } else {
                b.count.cmp(&a.count)
            };
            phase
                .then(primary)
                .then(a.key.other.cmp(&b.key.other))
                .then(a.key.site.cmp(&b.key.site))
                .then(a.key.subject.cmp(&b.key.subject))
        });
        for (i, (_, g)) in groups.into_iter().enumerate() {
            out.push(Ranked {
                rank: i + 1,
                why: why(&g),
                group: g,
            });
        }
    }
    out
}

/// A ranked group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    /// 1 is the first to fix, within its kind.
    pub rank: usize,
    /// Why it is here and what to do, in one sentence.
    pub why: String,
    /// The statistics.
    #[serde(skip)]
    pub group: Group,
}

/// `1.204 s` from milliseconds.
pub fn secs(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

/// `once`, `N times`.
pub fn times(n: u64) -> String {
    if n == 1 {
        "once".to_string()
    } else {
        format!("{n} times")
    }
}

/// The one-sentence explanation of a row: what ranks it, and how to read
/// its site.
fn why(g: &Group) -> String {
    if g.key.other {
        return format!(
            "{} more findings at sites beyond the first {MAX_GROUPS}, counted together",
            g.count
        );
    }
    let short = if g.key.shutdown {
        format!(
            "{}; during shutdown (no application line followed), ranked below steady state",
            g.basis.short()
        )
    } else {
        g.basis.short().to_string()
    };
    g.key.kind.why(g, &short)
}

#[cfg(test)]
mod tests;

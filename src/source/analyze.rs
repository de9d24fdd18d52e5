//! What a finding means in the user's source. This module opens the file and
//! finds the statements; each kind reads them its own way
//! ([`crate::kinds::KindSpec::evidence`]): the step window of a slow task
//! step and the blocking calls in it, the call that created a never-awaited
//! coroutine, whether a destroyed task's creation kept a reference.

use std::path::PathBuf;

use serde::Serialize;

use super::blocking::{Catalog, Hit};
use super::python::{statements, stmt_at, Stmt};
use super::routes::Declared;
use super::{Cache, Resolved, Roots};
use crate::aggregate::Group;
use crate::correlate::{Basis, Site};
use crate::event::Frame;
use crate::kinds::loop_stall::{Handler, Stack};

/// Which kind of location a finding's site rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    /// Where a task suspended after a slow step.
    SuspendedAt,
    /// A definition (`def` line) of a coroutine or callback.
    DefinedAt,
    /// Where an object was created, from a creation traceback or a repr.
    CreatedAt,
    /// Where a never-awaited coroutine was finalised (usually, not always,
    /// the call site).
    WarnedAt,
    /// Where an exception was raised.
    RaisedAt,
    /// The statement the stall probe sampled while the loop was blocked.
    SampledAt,
    /// No line.
    Unknown,
}

/// How sure the site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// The source was read and confirms it.
    ConfirmedInSource,
    /// From a traceback in the log.
    FromTraceback,
    /// Only from the warning's own line or repr.
    FromWarning,
    /// From the stacks the stall probe sampled during the stall (the share
    /// that shows the site is `sample_share`).
    Sampled,
}

/// Where the source file stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    /// Read.
    Read,
    /// Outside the source roots: not opened.
    OutsideRoots,
    /// Not found under the roots.
    NotFound,
    /// The finding has no site.
    NoSite,
}

/// Lines of a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    /// First line.
    pub first: usize,
    /// Last line.
    pub last: usize,
}

/// A blocking call the step may have made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The file as the log named it.
    pub path: String,
    /// The line.
    pub line: usize,
    /// How the step reached it, outermost first: the helpers it called or
    /// awaited, the loop's previous iteration, an await that often does
    /// not suspend (empty: in the step's own lines).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
    /// Whether it runs in a loop that never awaits (all its iterations in
    /// the one step).
    pub in_loop: bool,
    /// The likely cost candidates are ranked by: the catalog's weight of
    /// the call, [`LOOP_COST`] more in such a loop.
    pub cost: u32,
    /// How sure it is, for people: `high` for a call that waits (cost 80
    /// or more) in the step's own lines, `medium` for one reached through
    /// a helper or the loop, or a costly CPU call (55 or more), `low`
    /// otherwise.
    pub confidence: &'static str,
    /// The call and what it is.
    #[serde(flatten)]
    pub hit: Hit,
}

/// What running in a loop adds to a call's likely cost.
pub const LOOP_COST: u32 = 15;

impl Candidate {
    /// A candidate, its cost and confidence worked out.
    pub fn new(path: String, line: usize, via: Vec<String>, in_loop: bool, hit: Hit) -> Candidate {
        let cost = hit.weight + if in_loop { LOOP_COST } else { 0 };
        let confidence = match (cost, via.is_empty()) {
            (c, true) if c >= 80 => "high",
            (c, _) if c >= 55 => "medium",
            _ => "low",
        };
        Candidate {
            path,
            line,
            via,
            in_loop,
            cost,
            confidence,
            hit,
        }
    }
}

/// A source line shown with a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeLine {
    /// Line number.
    pub line: usize,
    /// The text.
    pub text: String,
    /// The line the finding points at.
    pub marked: bool,
}

/// The source evidence of one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Which kind of location the site is.
    pub location_kind: LocationKind,
    /// How sure it is.
    pub confidence: Confidence,
    /// The source file's status.
    pub source: SourceStatus,
    /// The file, relative to the source root that holds it, when read.
    pub source_file: Option<String>,
    /// For a slow step: the lines where the loop was blocked.
    pub window: Option<Window>,
    /// Blocking calls in the window, most likely first.
    pub candidates: Vec<Candidate>,
    /// Source lines around the statement to look at, with it marked.
    pub code: Vec<CodeLine>,
    /// The statement aiolog points at: the top candidate, the call without
    /// await, the task creation.
    pub statement: Option<String>,
    /// One sentence: what the source shows.
    pub summary: String,
    /// The one setting that would make weak evidence strong.
    pub hint: Option<String>,
    /// When the site is in library code: so, and the requests around it.
    pub attribution: Option<String>,
    /// For a sampled site: how many of the stall's samples show it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sampled: Option<Sampled>,
    /// Where code scanning annotates it (GitHub annotations, SARIF): paths
    /// in the repository, the blocking line where the source confirms it.
    #[serde(skip)]
    pub annotation: Option<super::repo::Annotation>,
}

/// What the stall probe's record shows: the statement its samples agree
/// on, the call below it, the handler a framework called, the running task
/// and the stacks themselves (of the group's first record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sampled {
    /// Samples that show the site.
    pub votes: u64,
    /// Samples taken.
    pub samples: u64,
    /// The frame chosen: the innermost frame of the user's code in the
    /// stacks most samples show.
    pub frame: Frame,
    /// The frames below it in its most sampled stack: the call it was
    /// making, outermost first (`requests/api.py get` … `socket.py
    /// readinto`).
    pub calls: Vec<Frame>,
    /// The user's function a framework called on the way to it.
    pub handler: Option<Handler>,
    /// The task that was running: its name.
    pub task: Option<String>,
    /// Its coroutine's qualname.
    pub coroutine: Option<String>,
    /// The process.
    pub pid: Option<u64>,
    /// The loop's thread.
    pub thread: Option<String>,
    /// The request's route, when the access log around the record names
    /// a request that the handler's own route matches.
    pub route: Option<Route>,
    /// The distinct stacks, most sampled first, outermost frame first.
    pub stacks: Vec<Stack>,
}

/// A request's route, from the access log, confirmed by the handler's
/// source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// `GET`, or `*` when the source declares no method.
    pub method: String,
    /// The route as the source declares it (`/report/{name}`).
    pub pattern: String,
    /// The request's path as the access log gives it (`/report/daily`).
    pub path: String,
    /// The access log line.
    pub line: String,
}

fn location_kind(b: Basis) -> LocationKind {
    match b {
        Basis::SuspendedAfterSlowStep => LocationKind::SuspendedAt,
        Basis::FinishedInSlowStep | Basis::CallbackDefinition | Basis::CoroutineLine => {
            LocationKind::DefinedAt
        }
        Basis::CreationTraceback | Basis::CallbackScheduled => LocationKind::CreatedAt,
        Basis::WarningLine => LocationKind::WarnedAt,
        Basis::RaisedAt | Basis::CalledFromThread => LocationKind::RaisedAt,
        Basis::DetectedAt => LocationKind::DefinedAt,
        Basis::SampledDuringStall => LocationKind::SampledAt,
        Basis::Unknown => LocationKind::Unknown,
    }
}

/// The packages whose request coroutines run the user's handlers
/// (a slow step reported in them is read in the handler).
const WEB_FRAMEWORKS: &[&str] = &[
    "uvicorn",
    "aiohttp",
    "starlette",
    "fastapi",
    "hypercorn",
    "sanic",
    "quart",
    "daphne",
];

/// At most this many Python files under the roots are searched for the
/// handler of a route.
const MAX_HANDLER_FILES: usize = 2000;

/// Reads source on behalf of findings.
pub struct Analyzer {
    roots: Roots,
    cache: Cache,
    /// The routes the files under the roots declare, read once, when a
    /// framework step first needs them.
    routes: Option<FileRoutes>,
    /// The blocking-call catalog, compiled when a source file is first read.
    catalog: std::sync::OnceLock<Catalog>,
    /// Source lines shown on each side of the statement.
    pub context_lines: usize,
}

impl Analyzer {
    /// An analyzer confined to `roots`.
    pub fn new(roots: Roots, context_lines: usize) -> Analyzer {
        Analyzer {
            roots,
            cache: Cache::default(),
            routes: None,
            catalog: std::sync::OnceLock::new(),
            context_lines,
        }
    }

    /// How many source files were opened.
    pub fn files_opened(&self) -> usize {
        self.cache.opened()
    }

    /// The evidence for one finding group, and where to annotate it.
    pub fn evidence(&mut self, g: &Group) -> Evidence {
        let mut ev = self.read_evidence(g);
        if let Some(site) = &g.key.site {
            ev.annotation =
                super::repo::annotation(&self.roots, &site.path, site.line as usize, &ev);
        }
        ev
    }

    fn read_evidence(&mut self, g: &Group) -> Evidence {
        let kind = g.key.kind;
        let loc = location_kind(g.basis);
        let from_trace = matches!(g.basis, Basis::CreationTraceback | Basis::RaisedAt);
        let mut ev = Evidence {
            location_kind: loc,
            confidence: if from_trace {
                Confidence::FromTraceback
            } else {
                Confidence::FromWarning
            },
            source: SourceStatus::NoSite,
            source_file: None,
            window: None,
            candidates: Vec::new(),
            code: Vec::new(),
            statement: None,
            summary: String::new(),
            hint: kind.hint(g.basis, false).map(str::to_string),
            attribution: None,
            sampled: None,
            annotation: None,
        };
        kind.record_evidence(g, &mut ev);
        let Some(site) = &g.key.site else {
            ev.summary = "the log names no line".into();
            return ev;
        };
        if let Some(pkg) = library_package(&site.path) {
            let ids = if g.request_ids.is_empty() {
                String::new()
            } else {
                format!(" (request ids: {})", g.request_ids.join(", "))
            };
            let around = g.context_after.first().or(g.context_before.last());
            ev.attribution = Some(format!(
                "the site is in library code ({pkg}): asyncio names the library's coroutine, not yours; \
                 the application lines around it{ids} tell which request blocked{}",
                around.map_or(String::new(), |l| format!(", e.g. `{l}`"))
            ));
        }
        if kind.reads_handler()
            && library_package(&site.path).is_some_and(|p| WEB_FRAMEWORKS.contains(&p.as_str()))
            && self.handler_evidence(g, &mut ev)
        {
            return ev;
        }
        let file = match self.roots.resolve(&site.path) {
            Resolved::File(f) => f,
            Resolved::Outside(_) => {
                ev.source = SourceStatus::OutsideRoots;
                ev.summary = format!("{} is outside the source roots: not opened", site.path);
                return ev;
            }
            Resolved::Missing => {
                ev.source = SourceStatus::NotFound;
                ev.summary = format!(
                    "{} not found under the source roots (see --src, --path-map)",
                    site.path
                );
                if ev.hint.is_none() {
                    ev.hint = kind.hint(g.basis, true).map(str::to_string);
                }
                return ev;
            }
        };
        let Some(lines) = self.cache.lines(&file) else {
            ev.source = SourceStatus::NotFound;
            ev.summary = format!("{} could not be read", site.path);
            return ev;
        };
        ev.source = SourceStatus::Read;
        ev.source_file = self.roots.relative(&file);
        let stmts = statements(&lines);
        let line = site.line as usize;
        let mut reading = Reading {
            group: g,
            site,
            lines: &lines,
            stmts: &stmts,
            catalog: self.catalog.get_or_init(Catalog::builtin),
            line,
            basis: g.basis,
            marked: line,
            via: Vec::new(),
            ev: &mut ev,
        };
        kind.evidence(&mut reading);
        let marked = reading.marked;
        ev.code = excerpt(&lines, marked, self.context_lines);
        self.route(g, &mut ev);
        ev
    }

    /// A slow step of a web framework's request coroutine, read in the
    /// user's handler: the request is the access log line nearest before
    /// the warning (written inside the slow step, by aiohttp and uvicorn
    /// alike; the line after it is the next request's), the handler the
    /// function under the roots whose declared route matches it
    /// ([`super::routes`]), read as the kind reads a step's code from the
    /// handler's `def`. False when the log or the source does not say.
    fn handler_evidence(&mut self, g: &Group, ev: &mut Evidence) -> bool {
        let Some((access, method, path)) = g.context_before.iter().rev().find_map(|l| {
            super::routes::request_of(l)
                .map(|(m, p)| (l.trim().to_string(), m.to_string(), p.to_string()))
        }) else {
            return false;
        };
        let routes = self
            .routes
            .get_or_insert_with(|| declared_routes(&self.roots, &mut self.cache));
        let Some((file, name, def_line, decl)) = routes.iter().find_map(|(file, handlers)| {
            handlers
                .iter()
                .find(|(_, _, d)| {
                    (d.method == "*" || d.method == method)
                        && super::routes::matches(&d.pattern, &path)
                })
                .map(|(n, l, d)| (file.clone(), n.clone(), *l, d.clone()))
        }) else {
            return false;
        };
        let Some(lines) = self.cache.lines(&file) else {
            return false;
        };
        let site = Site {
            path: self.roots.logged(&file),
            line: def_line as u32,
            function: Some(name.clone()),
        };
        let stmts = statements(&lines);
        let mut reading = Reading {
            group: g,
            site: &site,
            lines: &lines,
            stmts: &stmts,
            catalog: self.catalog.get_or_init(Catalog::builtin),
            line: def_line,
            basis: Basis::CallbackDefinition,
            marked: def_line,
            via: vec![format!(
                "{name}() at line {def_line}, the handler of route {} {} for the request logged before the warning (`{access}`)",
                decl.method, decl.pattern
            )],
            ev,
        };
        g.key.kind.evidence(&mut reading);
        let marked = reading.marked;
        ev.source = SourceStatus::Read;
        ev.source_file = self.roots.relative(&file);
        ev.code = excerpt(&lines, marked, self.context_lines);
        true
    }

    /// The route of the request a sampled handler served, from the access
    /// log lines around the record that the handler's declared routes
    /// match ([`super::routes`]).
    fn route(&mut self, g: &Group, ev: &mut Evidence) {
        let Some(s) = ev.sampled.as_mut() else {
            return;
        };
        let Some(h) = &s.handler else {
            return;
        };
        let (Resolved::File(file), Some(name)) =
            (self.roots.resolve(&h.frame.path), &h.frame.function)
        else {
            return;
        };
        let Some(lines) = self.cache.lines(&file) else {
            return;
        };
        let declared = super::routes::declared(&lines, name);
        let near = g.context_before.iter().rev().chain(&g.context_after);
        s.route = super::routes::route(&declared, near);
    }
}

/// Python files under the roots that declare routes, each with its
/// handlers: name, `def` line, route.
type FileRoutes = Vec<(PathBuf, Vec<(String, usize, Declared)>)>;

/// Each Python file under the roots that declares routes, with its
/// handlers ([`super::routes::handlers`]).
fn declared_routes(roots: &Roots, cache: &mut Cache) -> FileRoutes {
    roots
        .python_files(MAX_HANDLER_FILES)
        .into_iter()
        .filter_map(|file| {
            let handlers = super::routes::handlers(&cache.lines(&file)?);
            (!handlers.is_empty()).then_some((file, handlers))
        })
        .collect()
}

/// The source at a finding's site, as a kind reads it
/// ([`crate::kinds::KindSpec::evidence`]).
pub struct Reading<'a> {
    /// The finding group.
    pub group: &'a Group,
    /// Its site.
    pub site: &'a Site,
    /// The file's lines.
    pub lines: &'a [String],
    /// Its statements.
    pub stmts: &'a [Stmt],
    /// The blocking-call catalog.
    pub catalog: &'a Catalog,
    /// The line the kind reads (the site's, unless the kind moves it).
    pub line: usize,
    /// How the site was chosen (a kind may learn better from the source).
    pub basis: Basis,
    /// The line the excerpt marks.
    pub marked: usize,
    /// How the reading got to this code, when not from the site itself
    /// (the handler of a framework's route): the start of every path a
    /// candidate was reached by.
    pub via: Vec<String>,
    /// The evidence being written.
    pub ev: &'a mut Evidence,
}

impl Reading<'_> {
    /// The statement that holds `line`, on one line, comments removed.
    pub fn statement(&self, line: usize) -> Option<String> {
        stmt_text(self.lines, self.stmts, line)
    }

    /// The evidence of a kind with nothing more to read: the statement at
    /// the site.
    pub fn statement_only(&mut self) {
        self.ev.statement =
            stmt_at(self.stmts, self.line).and_then(|i| self.statement(self.stmts[i].first));
        self.ev.summary = format!("{}:{}", self.site.path, self.line);
    }
}

/// `minihttp` for `/…/site-packages/minihttp/__init__.py`; `asyncio` for a
/// standard-library path; `None` for the application's own code.
fn library_package(path: &str) -> Option<String> {
    use crate::correlate::{classify, PathClass};
    let p = path.replace('\\', "/");
    match classify(&p) {
        PathClass::Library => crate::correlate::package(&p),
        PathClass::Stdlib => {
            let i = p.rfind("/python")?;
            let rest = &p[i + 1..];
            let after = rest.split_once('/').map_or(rest, |(_, r)| r);
            Some(format!(
                "the standard library: {}",
                after.split('/').next().unwrap_or(after)
            ))
        }
        _ => None,
    }
}

fn stmt_text(lines: &[String], stmts: &[Stmt], line: usize) -> Option<String> {
    let i = stmt_at(stmts, line)?;
    let s = &stmts[i];
    Some(
        lines[s.first - 1..s.last]
            .iter()
            .map(|l| strip_comment(l).trim())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// A line without its trailing `# comment` (a `#` inside a string stays).
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '#' => return line[..i].trim_end(),
            None if c == '\'' || c == '"' => quote = Some(c),
            None => {}
        }
    }
    line
}

fn excerpt(lines: &[String], marked: usize, context: usize) -> Vec<CodeLine> {
    if marked == 0 || marked > lines.len() {
        return Vec::new();
    }
    let first = marked.saturating_sub(context).max(1);
    let last = (marked + context).min(lines.len());
    (first..=last)
        .map(|n| CodeLine {
            line: n,
            text: lines[n - 1].clone(),
            marked: n == marked,
        })
        .collect()
}

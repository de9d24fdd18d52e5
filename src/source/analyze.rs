//! What a finding means in the user's source: the step window of a slow task
//! step and the blocking calls in it, the call that created a never-awaited
//! coroutine, whether a destroyed task's creation kept a reference.

use serde::Serialize;

use super::blocking::{Catalog, Hit};
use super::python::{function_at, own_body, statements, stmt_at, Stmt};
use super::{Cache, Resolved, Roots};
use crate::aggregate::Group;
use crate::correlate::Basis;
use crate::event::Kind;

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

/// A blocking call found in a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The file as the log named it.
    pub path: String,
    /// The line.
    pub line: usize,
    /// The call and what it is.
    #[serde(flatten)]
    pub hit: Hit,
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
        Basis::Unknown => LocationKind::Unknown,
    }
}

/// Reads source on behalf of findings.
pub struct Analyzer {
    roots: Roots,
    cache: Cache,
    catalog: Catalog,
    /// Source lines shown on each side of the statement.
    pub context_lines: usize,
}

impl Analyzer {
    /// An analyzer confined to `roots`.
    pub fn new(roots: Roots, context_lines: usize) -> Analyzer {
        Analyzer {
            roots,
            cache: Cache::default(),
            catalog: Catalog::builtin(),
            context_lines,
        }
    }

    /// How many source files were opened.
    pub fn files_opened(&self) -> usize {
        self.cache.opened()
    }

    /// The evidence for one finding group.
    pub fn evidence(&mut self, g: &Group) -> Evidence {
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
            hint: weak_hint(kind, g.basis),
            attribution: None,
        };
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
                if ev.hint.is_none() && kind == Kind::SlowCallback {
                    ev.hint = Some("pass --src DIR (and --path-map FROM=TO for paths from a container) to see the blocking call".into());
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
        let mut line = site.line as usize;
        let mut basis = g.basis;
        // A callback whose definition the log does not name (uvloop's
        // Handle prints only where it was scheduled): its `def` in the same
        // file, when there is exactly one by that name.
        if kind == Kind::SlowCallback && basis == Basis::CallbackScheduled {
            if let Some(def) = g.subject.as_deref().and_then(|q| def_of(&stmts, q)) {
                line = def;
                basis = Basis::CallbackDefinition;
            }
        }
        let mut marked = line;
        match (kind, basis) {
            (
                Kind::SlowCallback,
                Basis::SuspendedAfterSlowStep
                | Basis::FinishedInSlowStep
                | Basis::CallbackDefinition,
            ) => {
                if let Some(w) = step_window(&stmts, line, basis) {
                    ev.window = Some(w);
                    let mut cands: Vec<Candidate> = Vec::new();
                    for s in stmts
                        .iter()
                        .filter(|s| s.first >= w.first && s.last <= w.last)
                    {
                        for hit in self.catalog.find(&s.code) {
                            cands.push(Candidate {
                                path: site.path.clone(),
                                line: s.first,
                                hit,
                            });
                        }
                    }
                    cands.sort_by(|a, b| b.hit.weight.cmp(&a.hit.weight).then(a.line.cmp(&b.line)));
                    ev.candidates = cands;
                    match ev.candidates.first() {
                        Some(c) if c.hit.weight > 10 => {
                            marked = c.line;
                            ev.confidence = Confidence::ConfirmedInSource;
                            ev.statement = stmt_text(&lines, &stmts, c.line);
                            ev.summary = format!(
                                "{}:{} {} blocks on {}; use {}",
                                site.path, c.line, c.hit.call, c.hit.blocks_on, c.hit.replacement
                            );
                        }
                        _ => {
                            marked = ev.candidates.first().map_or(w.first, |c| c.line);
                            ev.summary = format!(
                                "CPU-bound work or an unlisted blocking call in lines {}–{} of {}",
                                w.first, w.last, site.path
                            );
                        }
                    }
                } else {
                    ev.summary = format!("no function around {}:{} in the source", site.path, line);
                }
            }
            (Kind::NeverAwaited, _) => {
                let callee = g
                    .subject
                    .as_deref()
                    .map(|q| q.rsplit('.').next().unwrap_or(q).to_string())
                    .unwrap_or_default();
                match stmt_at(&stmts, line) {
                    Some(i) if !callee.is_empty() => {
                        ev.statement = stmt_text(&lines, &stmts, stmts[i].first);
                        if calls_without_await(&stmts[i].code, &callee) {
                            ev.confidence = Confidence::ConfirmedInSource;
                            ev.summary = format!(
                                "{}:{} calls {callee}() without await, create_task, ensure_future or gather",
                                site.path, stmts[i].first
                            );
                        } else {
                            ev.summary = format!(
                                "{}:{} does not show a call of {callee}() without await: the warning names where the coroutine was garbage-collected",
                                site.path, stmts[i].first
                            );
                        }
                    }
                    _ => ev.summary = format!("no statement at {}:{line}", site.path),
                }
            }
            (Kind::TaskDestroyedPending, _) => match stmt_at(&stmts, line) {
                Some(i) => {
                    ev.statement = stmt_text(&lines, &stmts, stmts[i].first);
                    if drops_task(&stmts[i].code) {
                        ev.confidence = Confidence::ConfirmedInSource;
                        ev.summary = format!(
                            "{}:{} creates the task and drops the result: nothing keeps a reference to it (RUF006)",
                            site.path, stmts[i].first
                        );
                    } else {
                        ev.summary = format!(
                            "{}:{} creates the task; check who keeps and awaits it",
                            site.path, stmts[i].first
                        );
                    }
                }
                None => ev.summary = format!("no statement at {}:{line}", site.path),
            },
            _ => {
                ev.statement =
                    stmt_at(&stmts, line).and_then(|i| stmt_text(&lines, &stmts, stmts[i].first));
                ev.summary = format!("{}:{line}", site.path);
            }
        }
        ev.code = excerpt(&lines, marked, self.context_lines);
        ev
    }
}

/// `minihttp` for `/…/site-packages/minihttp/__init__.py`; `asyncio` for a
/// standard-library path; `None` for the application's own code.
fn library_package(path: &str) -> Option<String> {
    use crate::correlate::{classify, PathClass};
    let p = path.replace('\\', "/");
    match classify(&p) {
        PathClass::Library => {
            let i = p.find("-packages/")? + "-packages/".len();
            let rest = &p[i..];
            let name = rest.split('/').next().unwrap_or(rest);
            Some(name.trim_end_matches(".py").to_string())
        }
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

fn weak_hint(kind: Kind, basis: Basis) -> Option<String> {
    match (kind, basis) {
        (Kind::NeverAwaited, Basis::WarningLine | Basis::Unknown) => Some(
            "set PYTHONTRACEMALLOC=5, or create the coroutine while a debug-mode loop runs (PYTHONASYNCIODEBUG=1), so that the warning names where it was created".into(),
        ),
        (Kind::TaskDestroyedPending, Basis::CoroutineLine | Basis::Unknown) => {
            Some("run with PYTHONASYNCIODEBUG=1 so that the task's creation traceback is logged".into())
        }
        (Kind::ExceptionNeverRetrieved, Basis::CoroutineLine | Basis::Unknown) => {
            Some("run with PYTHONASYNCIODEBUG=1 so that the task's creation traceback is logged".into())
        }
        _ => None,
    }
}

/// The lines where a slow step ran.
/// The line of the one `def NAME(` or `async def NAME(` for the last part
/// of a qualname (`flush_cache`, `Service.on_tick`); `None` when there is
/// none or more than one.
fn def_of(stmts: &[Stmt], qualname: &str) -> Option<usize> {
    let name = qualname.rsplit('.').next()?;
    if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let mut found = stmts.iter().filter(|s| {
        let code = s.code.strip_prefix("async ").unwrap_or(&s.code);
        code.strip_prefix("def ")
            .and_then(|r| r.strip_prefix(name))
            .is_some_and(|r| r.trim_start().starts_with('('))
    });
    let first = found.next()?;
    found.next().is_none().then_some(first.first)
}

fn step_window(stmts: &[Stmt], line: usize, basis: Basis) -> Option<Window> {
    let f = function_at(stmts, line)?;
    let body = own_body(stmts, &f);
    let def_last = stmts[f.def].last;
    match basis {
        Basis::SuspendedAfterSlowStep => {
            let at = stmt_at(stmts, line)?;
            let s = &stmts[at];
            if s.code.starts_with("async with ") || s.code.starts_with("async for ") {
                // The reported line is the header; the blocking code is in its body.
                let end = stmts[at + 1..]
                    .iter()
                    .take_while(|x| x.indent > s.indent)
                    .last()
                    .map_or(s.last, |x| x.last);
                return Some(Window {
                    first: s.first,
                    last: end,
                });
            }
            let prev = body
                .iter()
                .copied()
                .rfind(|&i| i < at && stmts[i].suspends())
                .map_or(def_last, |i| stmts[i].last);
            Some(Window {
                first: prev + 1,
                last: s.last,
            })
        }
        Basis::FinishedInSlowStep => {
            let last_await = body.iter().copied().rfind(|&i| stmts[i].suspends());
            let first = last_await.map_or(def_last + 1, |i| stmts[i].last + 1);
            Some(Window {
                first: first.min(f.end),
                last: f.end,
            })
        }
        _ => Some(Window {
            first: (def_last + 1).min(f.end),
            last: f.end,
        }),
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

/// Whether `code` calls `callee(` with neither `await` before it nor a
/// scheduling function around it.
fn calls_without_await(code: &str, callee: &str) -> bool {
    let scheduled = [
        "create_task(",
        "ensure_future(",
        "gather(",
        "run_until_complete(",
        "asyncio.run(",
        "wait_for(",
        "shield(",
    ]
    .iter()
    .any(|s| code.contains(s));
    let b = code.as_bytes();
    let found = code.match_indices(callee).any(|(i, _)| {
        let after = &code[i + callee.len()..];
        let ident_before = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if ident_before || !after.trim_start().starts_with('(') {
            return false;
        }
        // The expression that holds the call: back over `obj.attr.` parts.
        let start = code[..i]
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
            .map_or(0, |(p, c)| p + c.len_utf8());
        !code[..start].trim_end().ends_with("await")
    });
    found && !scheduled
}

/// `asyncio.create_task(...)` / `ensure_future(...)` as a statement of its
/// own: the result is dropped.
fn drops_task(code: &str) -> bool {
    let head = code.split('(').next().unwrap_or("");
    let name = head.rsplit('.').next().unwrap_or(head).trim();
    (name == "create_task" || name == "ensure_future")
        && head
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
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

#[cfg(test)]
mod tests {
    use super::*;

    fn st(src: &str) -> Vec<Stmt> {
        statements(&src.lines().map(str::to_string).collect::<Vec<_>>())
    }

    #[test]
    fn step_windows() {
        let s = st("async def h(n):\n    await a()\n    time.sleep(1)\n    x = 1\n    await b()\n    return n\n");
        assert_eq!(
            step_window(&s, 5, Basis::SuspendedAfterSlowStep),
            Some(Window { first: 3, last: 5 })
        );
        assert_eq!(
            step_window(&s, 1, Basis::FinishedInSlowStep),
            Some(Window { first: 6, last: 6 })
        );
        let s = st(
            "async def h():\n    async with lock:\n        time.sleep(1)\n        y()\n    z()\n",
        );
        assert_eq!(
            step_window(&s, 2, Basis::SuspendedAfterSlowStep),
            Some(Window { first: 2, last: 4 })
        );
        let s = st("@dec\nasync def h():\n    time.sleep(1)\n");
        assert_eq!(
            step_window(&s, 1, Basis::FinishedInSlowStep),
            Some(Window { first: 3, last: 3 })
        );
    }

    #[test]
    fn missing_awaits_and_dropped_tasks() {
        assert!(calls_without_await("self.save(item)", "save"));
        assert!(calls_without_await("x = notify(item)", "notify"));
        assert!(!calls_without_await("await self.save(item)", "save"));
        assert!(!calls_without_await(
            "asyncio.create_task(self.save(item))",
            "save"
        ));
        assert!(!calls_without_await("self.saved(item)", "save"));
        assert!(drops_task("asyncio.ensure_future(listen())"));
        assert!(drops_task("loop.create_task(worker())"));
        assert!(!drops_task("t = asyncio.create_task(worker())"));
        assert!(!drops_task("tasks.add(asyncio.create_task(worker()))"));
    }
}

//! `--format brief`: the analysis request a developer would hand to a
//! colleague or an AI assistant, built from the evidence instead of typed
//! from memory: the symptoms with numbers, the environment the log shows,
//! the findings most important first with their records, and explicit
//! questions per finding. Plain Markdown, under [`MAX_CHARS`].

use std::fmt::Write as _;
use std::io::{self, Write};

use super::markdown::{fenced, inline};
use super::{fmt_ms, Sink};
use crate::aggregate::Ranked;
use crate::correlate::Basis;
use crate::event::Kind;
use crate::report::Report;
use crate::rules;

/// The most characters of a brief.
pub const MAX_CHARS: usize = 20_000;

/// The brief renderer.
pub struct Brief<W: Write> {
    out: W,
}

impl<W: Write> Brief<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        Brief { out }
    }
}

fn questions(rk: &Ranked) -> Vec<String> {
    let g = &rk.group;
    let site = inline(
        &g.key
            .site
            .as_ref()
            .map_or("the reported line".to_string(), |s| s.location()),
    );
    match (g.key.kind, g.basis) {
        (Kind::SlowCallback, Basis::SuspendedAfterSlowStep) => vec![
            format!("Which statement between the previous `await` and {site} blocks the event loop?"),
            format!(
                "Why can it take up to {} s (max), {} s in total over {} steps?",
                fmt_ms(g.max_ms().unwrap_or(0)),
                fmt_ms(g.total_ms()),
                g.count
            ),
            "Which asyncio primitive or API should replace it (an async client, `asyncio.to_thread`, an executor)?".into(),
            "Give the corrected code.".into(),
        ],
        (Kind::SlowCallback, _) => vec![
            format!("Which code in the function at {site} blocks the event loop, and for how long?"),
            "Should it run in an executor (`asyncio.to_thread`, `run_in_executor`) or be made asynchronous?".into(),
            "Give the corrected code.".into(),
        ],
        (Kind::NeverAwaited, _) => vec![
            format!(
                "At {site}, which call creates the coroutine {} without awaiting it?",
                inline(g.subject.as_deref().unwrap_or("?"))
            ),
            "Should it be awaited, or run concurrently with `asyncio.create_task` (and where is the task kept)?".into(),
            "Give the corrected code.".into(),
        ],
        (Kind::TaskDestroyedPending, _) => vec![
            format!("Where is the task created at {site} referenced after its creation, if anywhere?"),
            "Who should own it (a TaskGroup, a set of tasks) and await or cancel it at shutdown?".into(),
            "Give the corrected code.".into(),
        ],
        (Kind::ExceptionInCallback, _) => vec![
            format!("Why does the callback at {site} raise?"),
            "How should the callback handle the failure (asyncio only logs it)?".into(),
            "Give the corrected code.".into(),
        ],
        (Kind::FatalTransportError, _) => vec![
            format!("Why does the protocol callback at {site} raise?"),
            "How should the protocol handle bad input without losing the connection?".into(),
            "Give the corrected code.".into(),
        ],
        (Kind::ResourceWarning, _) => vec![
            format!("Which object reported near {site} is never closed, and who owns it?"),
            "Where should it be closed (async with, try/finally, the service's shutdown)?".into(),
            "Give the corrected code.".into(),
        ],
        (Kind::NonThreadsafeCall, _) => vec![
            format!("Which thread runs the code at {site}, and which loop method does it reach?"),
            "Should it use `loop.call_soon_threadsafe` or `asyncio.run_coroutine_threadsafe`?".into(),
            "Give the corrected code.".into(),
        ],
        (Kind::LoopException, _) => vec![
            format!("Why does the code at {site} raise, and what does the loop do with it?"),
            "Should the error be handled where it is raised (cancellation, cleanup, callbacks)?".into(),
            "Give the corrected code.".into(),
        ],
        (Kind::BlockingCallDetected, _) => vec![
            format!(
                "Why does the code at {site} call {} in the event loop?",
                inline(g.subject.as_deref().unwrap_or("a blocking function"))
            ),
            "Can it run in an executor (`hass.async_add_executor_job`, `asyncio.to_thread`) or be done once at setup?".into(),
            "Give the corrected code.".into(),
        ],
        (Kind::SlowGetaddrinfo, _) => vec![
            format!(
                "Why does resolving {} take so long (DNS server, search domains, IPv6)?",
                inline(g.subject.as_deref().unwrap_or("?"))
            ),
            "Should the address be cached, resolved once at start, or configured as an IP?".into(),
            "Give the corrected configuration or code.".into(),
        ],
        (Kind::ExceptionNeverRetrieved, _) => vec![
            format!("Why does the code at {site} raise, and who should have awaited the task?"),
            "How should the failure be handled or reported?".into(),
            "Give the corrected code.".into(),
        ],
    }
}

/// The brief as Markdown, under [`MAX_CHARS`].
pub fn to_brief(r: &Report) -> String {
    let mut s = String::new();
    s.push_str("# Request: find and fix what stalls an asyncio service\n\n");
    s.push_str("The evidence below comes from asyncio's debug-mode warnings in the service's logs, analysed by aiolog.\n\n");
    s.push_str("## Symptoms\n\n");
    let st = &r.stats;
    let _ = write!(s, "- {} log lines read from {}", st.lines, r.inputs.len());
    s.push_str(if r.inputs.len() == 1 {
        " input"
    } else {
        " inputs"
    });
    if let Some((a, z)) = r.time_range() {
        let _ = write!(s, ", between {} and {}", inline(a), inline(z));
    }
    s.push_str(".\n");
    for kind in Kind::ALL {
        let n = r.events_of(kind);
        if n == 0 {
            continue;
        }
        let sites = r.of_kind(kind).count();
        match kind {
            Kind::SlowCallback => {
                let max = r
                    .of_kind(kind)
                    .filter_map(|x| x.group.max_ms())
                    .max()
                    .unwrap_or(0);
                let _ = writeln!(
                    s,
                    "- The event loop was blocked {n} times at {sites} site(s), {} s in total; the longest block lasted {} s.",
                    fmt_ms(r.blocked_ms()),
                    fmt_ms(max)
                );
            }
            Kind::NeverAwaited => {
                let _ = writeln!(
                    s,
                    "- {n} coroutine(s) were created and never awaited, at {sites} site(s)."
                );
            }
            Kind::TaskDestroyedPending => {
                let _ = writeln!(s, "- {n} task(s) were garbage-collected while still pending, created at {sites} site(s).");
            }
            Kind::ExceptionNeverRetrieved => {
                let _ = writeln!(s, "- {n} task(s) failed without anyone retrieving the exception, at {sites} site(s).");
            }
            Kind::ExceptionInCallback => {
                let _ = writeln!(s, "- Callbacks raised {n} time(s), at {sites} site(s).");
            }
            Kind::ResourceWarning => {
                let _ = writeln!(
                    s,
                    "- {n} resource(s) were left unclosed, at {sites} site(s)."
                );
            }
            Kind::FatalTransportError => {
                let _ = writeln!(s, "- {n} connection(s) were closed by a failing protocol callback, at {sites} site(s).");
            }
            Kind::NonThreadsafeCall => {
                let _ = writeln!(s, "- Loop methods were called from other threads {n} time(s), at {sites} site(s).");
            }
            Kind::LoopException => {
                let _ = writeln!(
                    s,
                    "- The event loop reported {n} other error(s), at {sites} site(s)."
                );
            }
            Kind::BlockingCallDetected => {
                let _ = writeln!(s, "- The framework detected {n} blocking call(s) in the event loop, at {sites} site(s).");
            }
            Kind::SlowGetaddrinfo => {
                let _ = writeln!(
                    s,
                    "- {n} name lookup(s) took at least 100 ms, for {sites} address(es)."
                );
            }
        }
    }
    if r.events == 0 {
        s.push_str("- No asyncio debug-mode warnings were found. Is debug mode on (PYTHONASYNCIODEBUG=1)?\n");
    }
    s.push_str("\n## Environment\n\n");
    let py = r.python_versions();
    if py.is_empty() {
        s.push_str("- Python version: not shown in the log.\n");
    } else {
        let _ = writeln!(
            s,
            "- Python {} (from standard-library paths in the log).",
            py.join(", ")
        );
    }
    s.push_str("- asyncio debug mode was on: the log holds its warnings. Slow callbacks are reported from `loop.slow_callback_duration` (0.1 s unless changed).\n");
    let uvloop = r
        .ranked
        .iter()
        .any(|x| x.group.sample_record.contains("uvloop"));
    let _ = writeln!(
        s,
        "- Event loop: {}.",
        if uvloop {
            "uvloop appears in the records"
        } else {
            "asyncio's own (nothing in the records names another)"
        }
    );
    s.push_str("\n## Findings, most important first\n");
    // Blocking time first, then the rest by count.
    let mut ordered: Vec<&Ranked> = r.of_kind(Kind::SlowCallback).collect();
    let mut rest: Vec<&Ranked> = r
        .ranked
        .iter()
        .filter(|x| x.group.key.kind != Kind::SlowCallback)
        .collect();
    rest.sort_by_key(|x| std::cmp::Reverse(x.group.count));
    ordered.extend(rest);
    let mut left_out = 0;
    for (i, rk) in ordered.iter().enumerate() {
        let g = &rk.group;
        let mut part = String::new();
        let rule = rules::by_code(g.code);
        let site = g
            .key
            .site
            .as_ref()
            .map_or("(no line in the log)".to_string(), |x| {
                format!(
                    "{}{}",
                    x.location(),
                    x.function
                        .as_ref()
                        .map_or(String::new(), |f| format!(" in {f}"))
                )
            });
        let _ = writeln!(
            part,
            "\n### {}. {} {} at {}\n",
            i + 1,
            g.code,
            rule.map_or("", |r| r.name),
            inline(&site)
        );
        let _ = writeln!(part, "- Evidence: {}.", inline(&rk.why));
        let _ = writeln!(part, "- How the site was chosen: {}.", g.basis.explain());
        if let Some(rule) = rule {
            let _ = writeln!(part, "- Usual fix: {}", rule.fix);
        }
        match r.read_evidence(r.index_of(rk)) {
            Some(ev) => {
                let _ = writeln!(part, "- What the source shows: {}.", inline(&ev.summary));
                if let Some(w) = ev.window {
                    let _ = writeln!(part, "- Step window: lines {}–{}.", w.first, w.last);
                }
                if !ev.code.is_empty() {
                    let code: Vec<String> = ev
                        .code
                        .iter()
                        .map(|c| format!("{}{:>5} | {}", if c.marked { ">" } else { " " }, c.line, c.text))
                        .collect();
                    let _ = write!(part, "\nSource ({}):\n\n{}", inline(ev.source_file.as_deref().unwrap_or("")), fenced(&code.join("\n")));
                }
            }
            None => part.push_str("- Source: not read (pass --src DIR and --path-map FROM=TO); paste the function around the site.\n"),
        }
        if !g.sample_record.is_empty() {
            let (text, _) = match g.sample_record.char_indices().nth(1500) {
                Some((n, _)) => (&g.sample_record[..n], true),
                None => (g.sample_record.as_str(), false),
            };
            let _ = write!(part, "\nFirst record:\n\n{}", fenced(text));
        }
        part.push_str("\nQuestions:\n\n");
        for (qi, q) in questions(rk).iter().enumerate() {
            let _ = writeln!(part, "{}. {}", qi + 1, q);
        }
        if s.len() + part.len() + 200 > MAX_CHARS {
            left_out = ordered.len() - i;
            break;
        }
        s.push_str(&part);
    }
    if left_out > 0 {
        let _ = writeln!(
            s,
            "\n*{left_out} less important finding(s) left out to keep this brief short.*"
        );
    }
    s
}

impl<W: Write> Sink for Brief<W> {
    fn finish(&mut self, r: &Report) -> io::Result<()> {
        self.out.write_all(to_brief(r).as_bytes())?;
        self.out.flush()
    }
}

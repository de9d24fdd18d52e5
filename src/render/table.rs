//! `--format table` (the default): for people at a terminal.
//!
//! On a live stream each finding is first printed as one
//! `path:line: kind: message` line the moment its record is complete; at the
//! end (or on Ctrl-C) one ranked table per kind follows, then the totals.

use comfy_table::{
    presets, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width,
};
use std::io::{self, Write};

use super::{context_lines, evidence_lines, fmt_ms, live_line, terminal_safe, Sink};
use crate::correlate::Finding;
use crate::event::Kind;
use crate::report::Report;
use crate::source::analyze::SourceStatus;

/// The table renderer.
pub struct TableSink<W: Write> {
    out: W,
    printed_live: bool,
    terminal: bool,
}

impl<W: Write> TableSink<W> {
    /// `terminal`: the output is a terminal (Unicode borders, wrapping to
    /// its width).
    pub fn new(out: W, terminal: bool) -> Self {
        TableSink {
            out,
            printed_live: false,
            terminal,
        }
    }
}

/// How a kind's table is ranked and how to read its sites.
fn kind_note(kind: Kind) -> &'static str {
    match kind {
        Kind::SlowCallback => {
            "Ranked by total blocked time, then count. For a task step, asyncio names the line where the task \
             suspended after the slow step: the blocking call is between the previous await and that line \
             (or, for `done, defined at`, after the coroutine's last await)."
        }
        Kind::NeverAwaited => {
            "Ranked by count. The site is the innermost line of your code in `Coroutine created at` \
             (debug mode), else the warning's own line, where the coroutine was garbage-collected."
        }
        Kind::TaskDestroyedPending => {
            "Ranked by count. The site is where the task was created (debug mode), else its coroutine. \
             Keep a reference to each task and await or cancel it before the loop closes."
        }
        Kind::ExceptionNeverRetrieved => {
            "Ranked by count. The site is where the exception was raised. Await the task, or check \
             `task.exception()` in a done callback."
        }
        Kind::ExceptionInCallback => {
            "Ranked by count. The site is where the exception was raised, else the callback's definition. \
             asyncio only logs it: handle the error inside the callback."
        }
        Kind::ResourceWarning => {
            "Ranked by count. The site is where the object was allocated (tracemalloc), else the warning's line \
             in your code. Close it with async with or in a finally block."
        }
        Kind::FatalTransportError => {
            "Ranked by count. The site is where the protocol callback raised; asyncio closed the connection."
        }
        Kind::NonThreadsafeCall => {
            "Ranked by count. The site is the call in your code, from a thread other than the loop's, that \
             reached a loop method (call_soon, create_task, Future.set_result): use \
             loop.call_soon_threadsafe or asyncio.run_coroutine_threadsafe."
        }
        Kind::LoopException => {
            "Ranked by count. Errors asyncio's exception handler reported besides the kinds above \
             (a task that raised while asyncio.run() cancelled it, an async generator whose cleanup \
             raised, a failing client_connected_cb …); the site is where the exception was raised."
        }
        Kind::BlockingCallDetected => {
            "Ranked by count. Home Assistant's detector names the integration's line that made a blocking \
             call (open, sleep, import_module …) in the event loop; the path is relative to its config \
             directory. Move the call into an executor (hass.async_add_executor_job)."
        }
        Kind::SlowGetaddrinfo => {
            "Ranked by count. asyncio names the host, not a line: each lookup took at least the \
             slow-callback threshold. The loop is not blocked, but every connection to the host waits."
        }
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl<W: Write> Sink for TableSink<W> {
    fn finding(&mut self, f: &Finding, live: bool) -> io::Result<()> {
        if !live {
            return Ok(());
        }
        self.printed_live = true;
        writeln!(self.out, "{}", live_line(f))?;
        self.out.flush()
    }

    fn finish(&mut self, r: &Report) -> io::Result<()> {
        if self.printed_live {
            writeln!(self.out)?;
        }
        for kind in Kind::ALL {
            let rows: Vec<_> = r.of_kind(kind).collect();
            if rows.is_empty() {
                continue;
            }
            let mut heading = format!(
                "{}: {} at {}",
                kind.title(),
                plural(r.events_of(kind), "finding", "findings"),
                plural(rows.len() as u64, "site", "sites")
            );
            if kind == Kind::SlowCallback {
                heading.push_str(&format!(
                    ", {} s of blocked event loop",
                    fmt_ms(r.blocked_ms())
                ));
            }
            writeln!(self.out, "{heading}")?;
            let mut t = Table::new();
            if self.terminal {
                t.load_preset(presets::UTF8_FULL_CONDENSED);
                t.set_content_arrangement(ContentArrangement::Dynamic);
            } else {
                t.load_preset(presets::ASCII_FULL_CONDENSED);
                t.set_content_arrangement(ContentArrangement::Disabled);
            }
            let mut header = vec!["#", "site", "function"];
            if kind != Kind::SlowCallback {
                header.push("coroutine");
            }
            header.push("count");
            if kind == Kind::SlowCallback {
                header.extend(["total s", "max s", "p95 s"]);
            }
            header.push("why");
            t.set_header(header);
            for rk in rows {
                let g = &rk.group;
                let (site, function) = match &g.key.site {
                    Some(s) => (s.location(), s.function.clone().unwrap_or_default()),
                    None if g.key.other => ("(other sites)".to_string(), String::new()),
                    None => ("(no line in the log)".to_string(), String::new()),
                };
                // Text from the log never reaches the terminal raw.
                let mut row = vec![
                    Cell::new(rk.rank),
                    Cell::new(terminal_safe(&site)),
                    Cell::new(terminal_safe(&function)),
                ];
                if kind != Kind::SlowCallback {
                    row.push(Cell::new(terminal_safe(
                        g.subject.as_deref().unwrap_or_default(),
                    )));
                }
                row.push(Cell::new(g.count).set_alignment(CellAlignment::Right));
                if kind == Kind::SlowCallback {
                    for v in [Some(g.total_ms()), g.max_ms(), g.p95_ms()] {
                        row.push(
                            Cell::new(v.map(fmt_ms).unwrap_or_default())
                                .set_alignment(CellAlignment::Right),
                        );
                    }
                }
                row.push(Cell::new(terminal_safe(&rk.why)));
                t.add_row(row);
            }
            // Only the last column (why) wraps: a site cut in two could not be
            // copied or clicked.
            let last = t.column_count().saturating_sub(1);
            for (i, col) in t.column_iter_mut().enumerate() {
                col.set_constraint(if i < last {
                    ColumnConstraint::ContentWidth
                } else {
                    ColumnConstraint::LowerBoundary(Width::Fixed(30))
                });
            }
            writeln!(self.out, "{t}")?;
            writeln!(self.out, "{}", kind_note(kind))?;
            for rk in r.of_kind(kind).take(10) {
                let i = r.index_of(rk);
                let ev = r.evidence.get(i).and_then(Option::as_ref).filter(|e| {
                    e.source == SourceStatus::Read || e.hint.is_some() || e.attribution.is_some()
                });
                let mut ctx = context_lines(&rk.group);
                if let Some(o) = r.owners.get(i).filter(|o| !o.is_empty()) {
                    ctx.push(format!("owners: {}", terminal_safe(&o.join(" "))));
                }
                if ev.is_none() && ctx.is_empty() {
                    continue;
                }
                let site = rk
                    .group
                    .key
                    .site
                    .as_ref()
                    .map_or(String::new(), |s| s.location());
                writeln!(self.out, "\n#{} {}", rk.rank, terminal_safe(&site))?;
                for line in ev
                    .map(evidence_lines)
                    .unwrap_or_default()
                    .into_iter()
                    .chain(ctx)
                {
                    writeln!(self.out, "    {line}")?;
                }
            }
            writeln!(self.out)?;
        }
        let s = &r.stats;
        if r.events == 0 {
            writeln!(
                self.out,
                "No asyncio debug warnings found in {}. Is debug mode on? Run with PYTHONASYNCIODEBUG=1, \
                 `python -X dev` or asyncio.run(main(), debug=True).",
                plural(s.lines, "line", "lines")
            )?;
        } else {
            writeln!(
                self.out,
                "{} read from {}: {} at {}; {} passed through.",
                plural(s.lines, "line", "lines"),
                plural(r.inputs.len() as u64, "input", "inputs"),
                plural(r.events, "finding", "findings"),
                plural(r.ranked.len() as u64, "site", "sites"),
                plural(s.passed_through, "application line", "application lines"),
            )?;
        }
        if let Some((sites, found)) = r.baseline_hidden {
            writeln!(
                self.out,
                "{} known from the baseline hidden ({}).",
                plural(sites, "finding site", "finding sites"),
                plural(found, "occurrence", "occurrences")
            )?;
        }
        if s.unrecognized_records > 0 {
            writeln!(
                self.out,
                "{} with asyncio markers not analyzed (see --stats).",
                plural(s.unrecognized_records, "record", "records")
            )?;
        }
        if r.interrupted {
            writeln!(
                self.out,
                "Interrupted: the summary covers what was read until the signal (Ctrl-C or SIGTERM)."
            )?;
        }
        self.out.flush()
    }
}

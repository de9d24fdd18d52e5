//! `--format table` (the default): for people at a terminal.
//!
//! On a live stream each finding is first printed as one
//! `path:line: kind: message` line the moment its record is complete; at the
//! end (or on Ctrl-C) one ranked table per kind follows, then the totals.

use crate::text::plural;
use comfy_table::{
    presets, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width,
};
use std::io::{self, Write};

use super::fit::{shorten_left, visible_width, Fit};
use super::{context_lines, evidence_lines, fmt_ms, live_line, terminal_safe, Sink};
use crate::aggregate::Ranked;
use crate::correlate::Finding;
use crate::kinds::Kind;
use crate::report::Report;
use crate::source::analyze::SourceStatus;

/// The table renderer.
pub struct TableSink<W: Write> {
    out: Fit<W>,
    printed_live: bool,
    terminal: bool,
    color: bool,
    quiet: bool,
    /// The terminal's width, when it is one: what is printed fits it.
    width: Option<usize>,
}

impl<W: Write> TableSink<W> {
    /// `terminal`: the output is a terminal (Unicode borders, wrapping to
    /// its width).
    pub fn new(out: W, terminal: bool) -> Self {
        TableSink {
            out: Fit::new(out, None),
            printed_live: false,
            terminal,
            color: false,
            quiet: false,
            width: None,
        }
    }

    /// Fit the output to a terminal `width` columns wide: tables that would
    /// be wider are laid out stacked, other lines wrap at spaces.
    pub fn fit(mut self, width: Option<usize>) -> Self {
        let width = width.filter(|_| self.terminal).map(|w| w.max(20));
        self.width = width;
        self.out = Fit::new(self.out.into_inner(), width);
        self
    }

    /// `color`: ANSI colours (severity and kind in headings, sites, the
    /// marked source line); `quiet`: findings only (no notes, hints or
    /// totals).
    pub fn styled(mut self, color: bool, quiet: bool) -> Self {
        self.color = color;
        self.quiet = quiet;
        self
    }

    /// `s` in the SGR style `sgr` (`1;31`: bold red) when colouring.
    fn paint(&self, s: &str, sgr: &str) -> String {
        if self.color {
            format!("\x1b[{sgr}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// The SGR style of a severity: errors red, warnings yellow, notes blue.
fn severity_sgr(severity: &str) -> &'static str {
    match severity {
        "error" => "1;31",
        "note" => "1;34",
        _ => "1;33",
    }
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
        for &kind in Kind::ALL {
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
            if kind.timed() {
                heading.push_str(&format!(
                    ", {} s of blocked event loop",
                    fmt_ms(r.blocked_ms_of(kind))
                ));
            }
            let severity = r.severity_of(rows[0].group.code);
            let heading = self.paint(&heading, severity_sgr(severity));
            writeln!(self.out, "{heading}")?;
            let mut table = kind_table(kind, &rows, self.terminal, self.color, r.by_host);
            match self.width {
                Some(w) => {
                    table.set_width(w.min(u16::MAX as usize) as u16);
                    let text = table.to_string();
                    if text.lines().all(|l| visible_width(l) <= w) {
                        writeln!(self.out, "{text}")?;
                    } else {
                        self.stacked(kind, &rows, w, r.by_host)?;
                    }
                }
                None => writeln!(self.out, "{table}")?,
            }
            if !self.quiet {
                writeln!(self.out, "{}", kind.table_note())?;
            }
            self.details(r, kind)?;
            writeln!(self.out)?;
        }
        if !self.quiet {
            self.totals(r)?;
        }
        self.out.flush()
    }
}

impl<W: Write> TableSink<W> {
    /// Under a kind's table, for its first rows: what the source shows, the
    /// lines around the record, the owners.
    fn details(&mut self, r: &Report, kind: Kind) -> io::Result<()> {
        for rk in r.of_kind(kind).take(10) {
            let i = r.index_of(rk);
            let ev = r.evidence.get(i).and_then(Option::as_ref).filter(|e| {
                e.source == SourceStatus::Read
                    || e.hint.is_some()
                    || e.attribution.is_some()
                    || e.sampled.is_some()
            });
            let mut ctx = context_lines(&rk.group);
            if let Some(o) = r.owners.get(i).filter(|o| !o.is_empty()) {
                ctx.push(format!("owners: {}", terminal_safe(&o.join(" "))));
            }
            if ev.is_none() && ctx.is_empty() {
                continue;
            }
            // A finding without a line is named by what it is about.
            let (site, _) = row_site(rk);
            let site = match rk
                .group
                .subject
                .as_deref()
                .filter(|_| rk.group.key.site.is_none())
            {
                Some(subject) if !subject.is_empty() => format!("{site}: {subject}"),
                _ => site,
            };
            let heading = format!("#{} {}", rk.rank, terminal_safe(&site));
            writeln!(self.out, "\n{}", self.paint(&heading, "1;36"))?;
            for line in ev
                .map(evidence_lines)
                .unwrap_or_default()
                .into_iter()
                .chain(ctx)
            {
                if self.quiet && line.starts_with("hint: ") {
                    continue;
                }
                let line = if line.starts_with("> ") {
                    // The statement aiolog points at, in a source excerpt.
                    self.paint(&line, "1;33")
                } else {
                    line
                };
                writeln!(self.out, "    {line}")?;
            }
        }
        Ok(())
    }

    /// A kind's rows one under the other, for a terminal too narrow for its
    /// table: the rank and site (shortened from the left, the file name and
    /// line kept), then the figures, then why.
    fn stacked(
        &mut self,
        kind: Kind,
        rows: &[&Ranked],
        width: usize,
        by_host: bool,
    ) -> io::Result<()> {
        for (i, rk) in rows.iter().enumerate() {
            if i > 0 {
                writeln!(self.out)?;
            }
            let g = &rk.group;
            let (site, function) = row_site(rk);
            let site = shorten_left(&terminal_safe(&site), width.saturating_sub(5));
            writeln!(self.out, "{:>3}  {}", rk.rank, self.paint(&site, "36"))?;
            let mut facts = Vec::new();
            if !function.is_empty() {
                facts.push(terminal_safe(&function));
            }
            if !kind.timed() {
                if let Some(s) = g.subject.as_deref().filter(|s| !s.is_empty()) {
                    facts.push(format!("coroutine {}", terminal_safe(s)));
                }
            }
            facts.push(format!("count {}", g.count));
            if kind.timed() {
                facts.push(format!("total {} s", fmt_ms(g.total_ms())));
                if let Some(m) = g.max_ms() {
                    facts.push(format!("max {} s", fmt_ms(m)));
                }
                if let Some(p) = g.p95_ms() {
                    facts.push(format!("p95 {} s", fmt_ms(p)));
                }
            }
            if by_host {
                facts.push(format!("hosts {}", terminal_safe(&super::hosts_cell(g))));
            }
            writeln!(self.out, "     {}", facts.join(" · "))?;
            writeln!(self.out, "     {}", terminal_safe(&rk.why))?;
        }
        Ok(())
    }

    /// The totals, and what the baseline hid, what was not read, whether a
    /// signal cut the run short.
    fn totals(&mut self, r: &Report) -> io::Result<()> {
        let s = &r.stats;
        if r.events == 0 {
            writeln!(self.out, "{}", r.why_empty())?;
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
        let narrowed = r.withheld.narrowed_sites;
        if narrowed > 0 && r.events > 0 {
            writeln!(
                self.out,
                "{} left out by --owner or --top.",
                plural(narrowed, "finding site", "finding sites")
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
        Ok(())
    }
}

/// A row's site and function as the table shows them.
fn row_site(rk: &Ranked) -> (String, String) {
    let g = &rk.group;
    match &g.key.site {
        Some(s) => (s.location(), s.function.clone().unwrap_or_default()),
        None if g.key.other => ("(other sites)".to_string(), String::new()),
        None => ("(no line in the log)".to_string(), String::new()),
    }
}

/// A kind's ranked rows as a table: only the last column (why) wraps.
fn kind_table(kind: Kind, rows: &[&Ranked], terminal: bool, color: bool, by_host: bool) -> Table {
    let mut t = Table::new();
    if terminal {
        t.load_preset(presets::UTF8_FULL_CONDENSED);
        t.set_content_arrangement(ContentArrangement::Dynamic);
    } else {
        t.load_preset(presets::ASCII_FULL_CONDENSED);
        t.set_content_arrangement(ContentArrangement::Disabled);
    }
    if color {
        // Into a pipe too, when asked (--color always, CLICOLOR_FORCE).
        t.enforce_styling();
    }
    let mut header = vec!["#", "site", "function"];
    if !kind.timed() {
        header.push("coroutine");
    }
    header.push("count");
    if kind.timed() {
        header.extend(["total s", "max s", "p95 s"]);
    }
    if by_host {
        header.push("hosts");
    }
    header.push("why");
    t.set_header(header);
    for rk in rows {
        let g = &rk.group;
        let (site, function) = row_site(rk);
        // Text from the log never reaches the terminal raw.
        let mut row = vec![
            Cell::new(rk.rank),
            if color {
                Cell::new(terminal_safe(&site)).fg(comfy_table::Color::Cyan)
            } else {
                Cell::new(terminal_safe(&site))
            },
            Cell::new(terminal_safe(&function)),
        ];
        if !kind.timed() {
            row.push(Cell::new(terminal_safe(
                g.subject.as_deref().unwrap_or_default(),
            )));
        }
        row.push(Cell::new(g.count).set_alignment(CellAlignment::Right));
        if kind.timed() {
            for v in [Some(g.total_ms()), g.max_ms(), g.p95_ms()] {
                row.push(
                    Cell::new(v.map(fmt_ms).unwrap_or_default())
                        .set_alignment(CellAlignment::Right),
                );
            }
        }
        if by_host {
            row.push(Cell::new(terminal_safe(&super::hosts_cell(g))));
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
    t
}

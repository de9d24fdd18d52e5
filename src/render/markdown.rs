//! `--format markdown`: a GitHub-flavoured summary to paste into a ticket.
//!
//! What was analysed (inputs, lines, time range, the Python version the
//! paths show), then per kind the ranked findings with their codes, sites and
//! fix hints, and the first record of each finding verbatim in a `<details>`
//! block. The whole stays under [`MAX_CHARS`] (GitHub's comment limit): when
//! it would not, the least important parts go first (evidence of the
//! lowest-ranked findings, then their rows) and a note says what was cut.
//!
//! Log text never escapes its place: table cells are escaped character by
//! character, and each record sits in a code fence longer than any run of
//! backticks inside it; control characters are shown as `\u{…}` escapes.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{fmt_ms, Sink};
use crate::aggregate::Ranked;
use crate::kinds::Kind;
use crate::report::Report;
use crate::rules;

/// GitHub's limit for an issue comment.
pub const MAX_CHARS: usize = 65_536;

/// The most characters of one record shown.
const RECORD_CHARS: usize = 3_000;

/// The Markdown renderer.
pub struct Markdown<W: Write> {
    out: W,
}

impl<W: Write> Markdown<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        Markdown { out }
    }
}

/// Escapes text for a Markdown table cell or paragraph: Markdown and HTML
/// syntax characters get a backslash or an entity, line breaks become
/// spaces, control characters become visible escapes.
pub fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => super::push_control_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Text for a fenced code block: control characters other than newline and
/// tab shown as escapes (an escape sequence must not act on a reader's
/// terminal when the Markdown is viewed raw).
fn verbatim(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            super::push_control_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// A code fence longer than any run of backticks in `s` (at least three).
pub fn fence_for(s: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// A fenced block holding `s` verbatim.
pub fn fenced(s: &str) -> String {
    let body = verbatim(s);
    let fence = fence_for(&body);
    format!("{fence}text\n{body}\n{fence}\n")
}

fn cut_chars(s: &str, n: usize) -> (&str, bool) {
    match s.char_indices().nth(n) {
        Some((i, _)) => (&s[..i], true),
        None => (s, false),
    }
}

/// How much of the report to show: the rows of each kind, and how many of
/// each kind's top rows get their evidence and first record.
#[derive(Clone, Copy)]
struct Budget {
    rows_per_kind: usize,
    evidence_per_kind: usize,
}

fn render(r: &Report, b: Budget) -> (String, Vec<String>) {
    let mut s = String::new();
    let mut cut = Vec::new();
    s.push_str("## aiolog report\n\n");
    header(&mut s, r);
    if r.events == 0 {
        let _ = writeln!(s, "{}", inline(&r.why_empty()));
        return (s, cut);
    }
    summary(&mut s, r);
    for &kind in Kind::ALL {
        let rows: Vec<&Ranked> = r.of_kind(kind).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n### {}\n", kind.title());
        kind_table(&mut s, kind, &rows, b, &mut cut);
        if r.by_host {
            let _ = writeln!(s, "\nBy host:");
            for rk in rows.iter().take(b.rows_per_kind) {
                let _ = writeln!(
                    s,
                    "- #{}: {}",
                    rk.rank,
                    inline(&super::hosts_cell(&rk.group))
                );
            }
        }
        owners_and_rules(&mut s, r, &rows, b);
        let shown = &rows[..rows.len().min(b.rows_per_kind)];
        let with_evidence = &shown[..shown.len().min(b.evidence_per_kind)];
        let without = &shown[with_evidence.len()..];
        evidence(&mut s, r, kind, with_evidence, without, &mut cut);
        records(&mut s, kind, with_evidence, without, &mut cut);
    }
    footer(&mut s, r);
    (s, cut)
}

/// What was read: lines, inputs, time range, Python versions.
fn header(s: &mut String, r: &Report) {
    let st = &r.stats;
    let inputs: Vec<String> = r.inputs.iter().map(|i| inline(i)).collect();
    let _ = write!(
        s,
        "Analysed **{} lines** ({} bytes) from {}",
        st.lines,
        st.bytes,
        if inputs.is_empty() {
            "no input".to_string()
        } else {
            inputs.join(", ")
        }
    );
    if let Some((a, z)) = r.time_range() {
        let _ = write!(s, ", from {} to {}", inline(a), inline(z));
    }
    let py = r.python_versions();
    if !py.is_empty() {
        let _ = write!(s, "; Python {} (from the paths in the log)", py.join(", "));
    }
    s.push_str(".\n\n");
}

/// One row per kind found, and the blocked time.
fn summary(s: &mut String, r: &Report) {
    s.push_str("| kind | code | findings | sites |\n|---|---|---:|---:|\n");
    for &kind in Kind::ALL {
        let n = r.events_of(kind);
        if n == 0 {
            continue;
        }
        let codes: Vec<&str> = rules::RULES
            .iter()
            .filter(|x| x.kind == kind)
            .map(|x| x.code)
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            kind.title(),
            codes.join(", "),
            n,
            r.of_kind(kind).count()
        );
    }
    if r.blocked_ms() > 0 {
        let _ = writeln!(
            s,
            "\nThe event loop was blocked for **{} s** in total.",
            fmt_ms(r.blocked_ms())
        );
    }
}

/// A kind's ranked rows, cut to the budget.
fn kind_table(s: &mut String, kind: Kind, rows: &[&Ranked], b: Budget, cut: &mut Vec<String>) {
    let slow = kind.timed();
    s.push_str(if slow {
        "| # | code | site | function | count | total s | max s | why |\n|---:|---|---|---|---:|---:|---:|---|\n"
    } else {
        "| # | code | site | function | coroutine | count | why |\n|---:|---|---|---|---|---:|---|\n"
    });
    for rk in rows.iter().take(b.rows_per_kind) {
        let g = &rk.group;
        let (site, func) = g.site_and_function();
        if slow {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                rk.rank,
                g.code,
                inline(&site),
                inline(&func),
                g.count,
                fmt_ms(g.total_ms()),
                fmt_ms(g.max_ms().unwrap_or(0)),
                inline(&rk.why)
            );
        } else {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                rk.rank,
                g.code,
                inline(&site),
                inline(&func),
                inline(g.subject.as_deref().unwrap_or("")),
                g.count,
                inline(&rk.why)
            );
        }
    }
    if rows.len() > b.rows_per_kind {
        let msg = format!(
            "{} more {} rows",
            rows.len() - b.rows_per_kind,
            kind.as_str()
        );
        let _ = writeln!(
            s,
            "\n*{}, cut to stay under {} characters.*",
            msg, MAX_CHARS
        );
        cut.push(msg);
    }
}

/// The owners of the rows shown, and the rules they report under.
fn owners_and_rules(s: &mut String, r: &Report, rows: &[&Ranked], b: Budget) {
    let owned: Vec<String> = rows
        .iter()
        .take(b.rows_per_kind)
        .filter_map(|rk| {
            let o = r.owners.get(r.index_of(rk)).filter(|o| !o.is_empty())?;
            Some(format!("#{} {}", rk.rank, inline(&o.join(" "))))
        })
        .collect();
    if !owned.is_empty() {
        let _ = writeln!(s, "\nOwners: {}.", owned.join("; "));
    }
    let mut codes: Vec<&str> = rows.iter().map(|rk| rk.group.code).collect();
    codes.sort();
    codes.dedup();
    for code in codes {
        if let Some(rule) = rules::by_code(code) {
            // The catalog's own text is Markdown already.
            let _ = writeln!(
                s,
                "\n**{} {}**: {}. **Fix:** {}",
                rule.code, rule.name, rule.summary, rule.fix
            );
        }
    }
}

/// What the source shows for each row, while the budget lasts.
fn evidence(
    s: &mut String,
    r: &Report,
    kind: Kind,
    shown: &[&Ranked],
    left_out: &[&Ranked],
    cut: &mut Vec<String>,
) {
    let has = |rk: &Ranked| {
        r.read_evidence(r.index_of(rk)).or_else(|| {
            r.evidence
                .get(r.index_of(rk))
                .and_then(Option::as_ref)
                .filter(|e| e.sampled.is_some())
        })
    };
    for rk in left_out.iter().filter(|rk| has(rk).is_some()) {
        cut.push(format!("the source of {} #{}", kind.as_str(), rk.rank));
    }
    for rk in shown {
        let Some(ev) = has(rk) else {
            continue;
        };
        let _ = write!(s, "\n**#{}** {}", rk.rank, inline(&ev.summary));
        if let Some(h) = &ev.hint {
            let _ = write!(s, " *Hint:* {}", inline(h));
        }
        s.push('\n');
        if !rk.group.request_ids.is_empty() {
            let _ = writeln!(
                s,
                "Request ids around it: {}.",
                inline(&rk.group.request_ids.join(", "))
            );
        }
        if let Some(a) = &ev.attribution {
            let _ = writeln!(s, "{}.", inline(a));
        }
        if !ev.code.is_empty() {
            let code: Vec<String> = ev
                .code
                .iter()
                .map(|c| {
                    format!(
                        "{}{:>5} | {}",
                        if c.marked { ">" } else { " " },
                        c.line,
                        c.text
                    )
                })
                .collect();
            s.push('\n');
            s.push_str(&fenced(&code.join("\n")));
        }
        if let Some(sampled) = &ev.sampled {
            s.push('\n');
            s.push_str(&fenced(&super::stack_excerpt(sampled).join("\n")));
        }
    }
}

/// Each row's first record, folded, while the budget lasts.
fn records(
    s: &mut String,
    kind: Kind,
    shown: &[&Ranked],
    left_out: &[&Ranked],
    cut: &mut Vec<String>,
) {
    for rk in left_out
        .iter()
        .filter(|rk| !rk.group.sample_record.is_empty())
    {
        cut.push(format!("the record of {} #{}", kind.as_str(), rk.rank));
    }
    for rk in shown {
        let g = &rk.group;
        if g.sample_record.is_empty() {
            continue;
        }
        let (text, shortened) = cut_chars(&g.sample_record, RECORD_CHARS);
        let _ = write!(
            s,
            "\n<details><summary>#{} first record ({} line {})</summary>\n\n{}{}</details>\n",
            rk.rank,
            inline(&g.first_input),
            g.first_line,
            fenced(text),
            if shortened {
                "\n*(record shortened)*\n"
            } else {
                ""
            }
        );
    }
}

/// What the baseline hid and what could not be read.
fn footer(s: &mut String, r: &Report) {
    let st = &r.stats;
    if let Some((sites, found)) = r.baseline_hidden {
        let _ = writeln!(
            s,
            "\n{sites} finding site(s) known from the baseline hidden ({found} occurrences)."
        );
    }
    if r.withheld.narrowed_sites > 0 && r.events > 0 {
        let _ = writeln!(
            s,
            "\n{} left out by --owner or --top.",
            crate::text::plural(r.withheld.narrowed_sites, "finding site", "finding sites")
        );
    }
    if st.unrecognized_records > 0 {
        let _ = writeln!(
            s,
            "\n{} record(s) with asyncio markers were not analyzed ({} lines).",
            st.unrecognized_records, st.skipped
        );
    }
}

/// The report as Markdown, under [`MAX_CHARS`].
pub fn to_markdown(r: &Report) -> String {
    let mut b = Budget {
        rows_per_kind: usize::MAX,
        evidence_per_kind: usize::MAX,
    };
    let most_rows = Kind::ALL
        .iter()
        .map(|&k| r.of_kind(k).count())
        .max()
        .unwrap_or(0);
    loop {
        let (mut s, cut) = render(r, b);
        if !cut.is_empty() {
            let _ = write!(s, "\n*Cut to stay under {MAX_CHARS} characters: ");
            let shown: Vec<&String> = cut.iter().take(5).collect();
            let _ = write!(
                s,
                "{}",
                shown
                    .iter()
                    .map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            if cut.len() > 5 {
                let _ = write!(s, "; and {} more parts", cut.len() - 5);
            }
            s.push_str(". Run `aiolog --format json` for everything.*\n");
        }
        if s.chars().count() <= MAX_CHARS || (b.evidence_per_kind == 0 && b.rows_per_kind <= 1) {
            return s;
        }
        // Cut the least important parts first: the evidence of each kind's
        // lowest-ranked rows (so that every kind keeps its top record while
        // it can), then rows.
        let evidence_shown = most_rows.min(b.evidence_per_kind);
        if evidence_shown > 0 {
            b.evidence_per_kind = evidence_shown / 2;
        } else {
            b.rows_per_kind = (most_rows.min(b.rows_per_kind) / 2).max(1);
        }
    }
}

impl<W: Write> Sink for Markdown<W> {
    fn finish(&mut self, r: &Report) -> io::Result<()> {
        self.out.write_all(to_markdown(r).as_bytes())?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_and_cells_are_escaped() {
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
        let f = fenced("x ``` y");
        assert!(
            f.starts_with("````text\n") && f.ends_with("\n````\n"),
            "{f}"
        );
        assert_eq!(
            inline("a|b<c>`d`\n\u{1b}[2J"),
            "a\\|b&lt;c&gt;\\`d\\` \\u{1b}\\[2J"
        );
    }
}

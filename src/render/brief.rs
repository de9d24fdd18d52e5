//! `--format brief`: the analysis request a developer would hand to a
//! colleague or an AI assistant, built from the evidence instead of typed
//! from memory: the symptoms with numbers, the environment the log shows,
//! the findings most important first with their records, and explicit
//! questions per finding. Plain Markdown, under [`MAX_CHARS`].

use std::fmt::Write as _;
use std::io::{self, Write};

use super::markdown::{fenced, inline};
use super::Sink;
use crate::aggregate::Ranked;
use crate::kinds::{Kind, Tally};
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
    g.key.kind.questions(g, &site)
}

/// The brief as Markdown, under [`MAX_CHARS`].
pub fn to_brief(r: &Report) -> String {
    let mut s = String::new();
    s.push_str("# Request: find and fix what stalls an asyncio service\n\n");
    s.push_str("The evidence below comes from asyncio's debug-mode warnings in the service's logs, analysed by aiolog.\n\n");
    symptoms(&mut s, r);
    environment(&mut s, r);
    s.push_str("\n## Findings, most important first\n");
    // Blocking time first, then the rest by count.
    let mut ordered: Vec<&Ranked> = r.timed().collect();
    let mut rest: Vec<&Ranked> = r
        .ranked
        .iter()
        .filter(|x| !x.group.key.kind.timed())
        .collect();
    rest.sort_by_key(|x| std::cmp::Reverse(x.group.count));
    ordered.extend(rest);
    let mut left_out = 0;
    for (i, rk) in ordered.iter().enumerate() {
        let part = finding(i + 1, rk, r);
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

/// The symptoms, with numbers.
fn symptoms(s: &mut String, r: &Report) {
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
    for &kind in Kind::ALL {
        let n = r.events_of(kind);
        if n == 0 {
            continue;
        }
        let tally = Tally {
            events: n,
            sites: r.of_kind(kind).count(),
            total_ms: r.of_kind(kind).map(|x| x.group.total_ms()).sum(),
            max_ms: r
                .of_kind(kind)
                .filter_map(|x| x.group.max_ms())
                .max()
                .unwrap_or(0),
        };
        let _ = writeln!(s, "{}", kind.symptom(&tally));
    }
    if r.events == 0 {
        let _ = writeln!(s, "- {}", r.why_empty());
    }
}

/// The environment the log shows.
fn environment(s: &mut String, r: &Report) {
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
}

/// The `n`th finding: its evidence, source, record and questions.
fn finding(n: usize, rk: &Ranked, r: &Report) -> String {
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
        n,
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
                let _ = writeln!(
                    part,
                    "- Step window: {}.",
                    crate::text::line_range(w.first, w.last)
                );
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
    if let Some(sampled) = r.sampled(r.index_of(rk)) {
        let _ = write!(
            part,
            "\nWhat the stall probe sampled while the loop was blocked:\n\n{}",
            fenced(&super::stack_excerpt(sampled).join("\n"))
        );
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
    part
}

impl<W: Write> Sink for Brief<W> {
    fn finish(&mut self, r: &Report) -> io::Result<()> {
        self.out.write_all(to_brief(r).as_bytes())?;
        self.out.flush()
    }
}

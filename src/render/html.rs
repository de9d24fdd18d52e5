//! `--format html`: one self-contained page (no scripts, no fetches) with the
//! ranked tables, a timeline of the slow callbacks and a histogram of their
//! durations drawn as inline SVG, and the first record of each finding.
//! Every text from the log is HTML-escaped.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{fmt_ms, Sink};
use crate::aggregate::Ranked;
use crate::kinds::Kind;
use crate::report::Report;
use crate::rules;

/// The HTML renderer.
pub struct Html<W: Write> {
    out: W,
}

impl<W: Write> Html<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        Html { out }
    }
}

/// Escapes text for HTML content and attribute values; control characters
/// become visible escapes.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            '\n' | '\t' => o.push(c),
            c if c.is_control() => super::push_control_escape(&mut o, c),
            c => o.push(c),
        }
    }
    o
}

const PALETTE: [&str; 8] = [
    "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// The colour of the timeline's sites past the palette.
const OTHER: &str = "#999999";

fn millis(ts: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|d| d.and_utc().timestamp_millis())
}

fn timeline_svg(r: &Report) -> String {
    let pts: Vec<(i64, u64, &str)> = r
        .timeline
        .iter()
        .filter_map(|p| Some((millis(&p.ts)?, p.ms, p.site.as_str())))
        .collect();
    if pts.is_empty() {
        return "<p class=note>No timeline: the slow-callback records carry no timestamps.</p>"
            .into();
    }
    let (w, h, pad) = (900.0, 240.0, 40.0);
    let t0 = pts.iter().map(|p| p.0).min().unwrap();
    let t1 = pts.iter().map(|p| p.0).max().unwrap().max(t0 + 1);
    let ymax = pts.iter().map(|p| p.1).max().unwrap().max(1) as f64;
    // The sites with the most points get a colour each, in that order; the
    // rest share one grey, so that the legend names every colour.
    let mut by_points: Vec<(&str, usize)> = Vec::new();
    for (_, _, site) in &pts {
        match by_points.iter_mut().find(|(x, _)| x == site) {
            Some(e) => e.1 += 1,
            None => by_points.push((site, 1)),
        }
    }
    by_points.sort_by_key(|p| std::cmp::Reverse(p.1));
    let coloured = if by_points.len() <= PALETTE.len() {
        by_points.len()
    } else {
        PALETTE.len() - 1
    };
    let colour_of = |site: &str| {
        by_points[..coloured]
            .iter()
            .position(|(x, _)| *x == site)
            .map_or(OTHER, |i| PALETTE[i])
    };
    let mut s = format!(
        "<svg class=chart viewBox=\"0 0 {w} {h}\" role=img aria-label=\"slow callbacks over time\" xmlns=\"http://www.w3.org/2000/svg\">\
         <line x1=\"{pad}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"#888\"/><line x1=\"{pad}\" y1=\"10\" x2=\"{pad}\" y2=\"{y0}\" stroke=\"#888\"/>\
         <text x=\"4\" y=\"16\" font-size=\"11\">{ymax_s} s</text><text x=\"4\" y=\"{y0}\" font-size=\"11\">0</text>",
        y0 = h - pad,
        x1 = w - 10.0,
        ymax_s = fmt_ms(ymax as u64)
    );
    for (t, ms, site) in &pts {
        let x = pad + (w - pad - 10.0) * ((t - t0) as f64 / (t1 - t0) as f64);
        let y = (h - pad) - (h - pad - 10.0) * (*ms as f64 / ymax);
        let _ = write!(
            s,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{}\"><title>{} s at {}</title></circle>",
            colour_of(site),
            fmt_ms(*ms),
            esc(site)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{pad}\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text></svg>",
        h - 22.0,
        esc(&r.timeline.first().map(|p| p.ts.clone()).unwrap_or_default()),
        w - 10.0,
        h - 22.0,
        esc(&r.timeline.last().map(|p| p.ts.clone()).unwrap_or_default()),
    );
    s.push_str("<p class=legend>");
    for (i, (site, _)) in by_points[..coloured].iter().enumerate() {
        let _ = write!(
            s,
            "<span style=\"color:{}\">●</span> <code>{}</code> ",
            PALETTE[i],
            esc(site)
        );
    }
    if coloured < by_points.len() {
        let _ = write!(
            s,
            "<span style=\"color:{OTHER}\">●</span> {} ",
            esc(&crate::text::plural(
                (by_points.len() - coloured) as u64,
                "other site",
                "other sites"
            ))
        );
    }
    s.push_str("</p>");
    s
}

fn histogram_svg(r: &Report) -> String {
    let mut all: Vec<(u64, u64)> = Vec::new();
    for rk in r.timed() {
        all.extend(rk.group.durations_ms.iter());
    }
    if all.is_empty() {
        return String::new();
    }
    let max = all.iter().map(|x| x.0).max().unwrap().max(1);
    const BINS: usize = 20;
    let mut bins = [0u64; BINS];
    for (ms, n) in &all {
        let i = ((*ms as f64 / max as f64) * (BINS as f64 - 1.0)).round() as usize;
        bins[i.min(BINS - 1)] += n;
    }
    let top = *bins.iter().max().unwrap().max(&1) as f64;
    let (w, h, pad) = (900.0, 200.0, 40.0);
    let bw = (w - pad - 10.0) / BINS as f64;
    let mut s = format!(
        "<svg class=chart viewBox=\"0 0 {w} {h}\" role=img aria-label=\"histogram of slow callback durations\" xmlns=\"http://www.w3.org/2000/svg\">\
         <line x1=\"{pad}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"#888\"/>",
        y0 = h - pad,
        x1 = w - 10.0
    );
    for (i, n) in bins.iter().enumerate() {
        let bh = (h - pad - 10.0) * (*n as f64 / top);
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#1f77b4\"><title>{n} around {} s</title></rect>",
            pad + i as f64 * bw + 1.0,
            h - pad - bh,
            bw - 2.0,
            fmt_ms(max * i as u64 / (BINS as u64 - 1))
        );
    }
    // Both axes labelled: a tick under every fourth bin with its
    // duration, the counts at the top and bottom of the y axis.
    let _ = write!(
        s,
        "<line x1=\"{pad}\" y1=\"10\" x2=\"{pad}\" y2=\"{}\" stroke=\"#888\"/>",
        h - pad
    );
    for i in (0..BINS).step_by(4).chain(std::iter::once(BINS - 1)) {
        let x = pad + (i as f64 + 0.5) * bw;
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{y0}\" x2=\"{x:.1}\" y2=\"{y1}\" stroke=\"#888\"/><text x=\"{x:.1}\" y=\"{yt}\" font-size=\"11\" text-anchor=\"middle\">{} s</text>",
            fmt_ms(max * i as u64 / (BINS as u64 - 1)),
            y0 = h - pad,
            y1 = h - pad + 4.0,
            yt = h - pad + 16.0,
        );
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"16\" font-size=\"11\" text-anchor=\"end\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">0</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">seconds the loop was blocked (each bar: the slow callbacks of about that duration)</text>\
         <text x=\"12\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 12 {})\">slow callbacks</text></svg>",
        pad - 4.0,
        top as u64,
        pad - 4.0,
        h - pad,
        pad + (w - pad - 10.0) / 2.0,
        h - 4.0,
        (h - pad) / 2.0,
        (h - pad) / 2.0,
    );
    s
}

/// The page.
pub fn to_html(r: &Report) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>aiolog report</title>\n<style>\
         body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}\
         table{border-collapse:collapse;margin:.5em 0 1em;max-width:100%}td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top}\
         td.n,td.k{white-space:nowrap}td.s{min-width:16em;overflow-wrap:anywhere}\
         th{background:#f3f3f3}td.n{text-align:right}code,pre{font:12px ui-monospace,monospace}\
         pre{background:#f7f7f7;padding:8px;overflow:auto;white-space:pre-wrap}.chart{width:100%;height:auto}\
         .note,.legend{color:#555}</style></head><body>\n<h1>aiolog report</h1>\n",
    );
    let st = &r.stats;
    let _ = write!(
        s,
        "<p>Analysed <b>{}</b> lines ({} bytes) from {}",
        st.lines,
        st.bytes,
        r.inputs
            .iter()
            .map(|i| format!("<code>{}</code>", esc(i)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some((a, z)) = r.time_range() {
        let _ = write!(s, ", from {} to {}", esc(a), esc(z));
    }
    let py = r.python_versions();
    if !py.is_empty() {
        let _ = write!(s, "; Python {}", esc(&py.join(", ")));
    }
    let _ = writeln!(
        s,
        ". {} at {}.</p>",
        crate::text::plural(r.events, "finding", "findings"),
        crate::text::plural(r.ranked.len() as u64, "site", "sites")
    );
    if r.timed().next().is_some() {
        let _ = writeln!(
            s,
            "<h2>Slow callbacks over time</h2>\n<p>The event loop was blocked for <b>{} s</b> in total.</p>\n{}\n<h2>Durations</h2>\n{}",
            fmt_ms(r.blocked_ms()),
            timeline_svg(r),
            histogram_svg(r)
        );
    }
    for &kind in Kind::ALL {
        let rows: Vec<_> = r.of_kind(kind).collect();
        if rows.is_empty() {
            continue;
        }
        kind_table(&mut s, kind, &rows);
        rules_of(&mut s, &rows);
        evidence(&mut s, r, &rows);
        records(&mut s, &rows);
    }
    s.push_str("</body></html>\n");
    s
}

/// A kind's ranked rows.
fn kind_table(s: &mut String, kind: Kind, rows: &[&Ranked]) {
    let slow = kind.timed();
    // A slow step's subject is its function: the column would repeat it.
    let _ = writeln!(s, "<h2>{}</h2>\n<table><tr><th>#</th><th>code</th><th>site</th><th>function</th>{}<th>count</th>{}<th>why</th></tr>",
        esc(kind.title()),
        if slow { "" } else { "<th>coroutine or object</th>" },
        if slow { "<th>total s</th><th>max s</th><th>p95 s</th>" } else { "" });
    for rk in rows {
        let g = &rk.group;
        let (site, func) = g.site_and_function();
        let _ = write!(
            s,
            "<tr><td class=n>{}</td><td class=k>{}</td><td class=s><code>{}</code></td><td>{}</td>{}<td class=n>{}</td>",
            rk.rank,
            esc(g.code),
            esc(&site),
            esc(&func),
            if slow {
                String::new()
            } else {
                format!("<td>{}</td>", esc(g.subject.as_deref().unwrap_or("")))
            },
            g.count
        );
        if slow {
            let _ = write!(
                s,
                "<td class=n>{}</td><td class=n>{}</td><td class=n>{}</td>",
                fmt_ms(g.total_ms()),
                fmt_ms(g.max_ms().unwrap_or(0)),
                fmt_ms(g.p95_ms().unwrap_or(0))
            );
        }
        let _ = writeln!(s, "<td>{}</td></tr>", esc(&rk.why));
    }
    s.push_str("</table>\n");
}

/// The rules the rows report under.
fn rules_of(s: &mut String, rows: &[&Ranked]) {
    for rule in rules::RULES
        .iter()
        .filter(|x| rows.iter().any(|rk| rk.group.code == x.code))
    {
        let _ = writeln!(
            s,
            "<p><b>{} {}</b>: {}. <b>Fix:</b> {}</p>",
            rule.code,
            rule.name,
            esc(rule.summary),
            esc(rule.fix)
        );
    }
}

/// What the source shows for each row.
fn evidence(s: &mut String, r: &Report, rows: &[&Ranked]) {
    for rk in rows {
        let Some(ev) = r.read_evidence(r.index_of(rk)) else {
            continue;
        };
        let _ = write!(s, "<p><b>#{}</b> {}</p>", rk.rank, esc(&ev.summary));
        if !ev.code.is_empty() {
            s.push_str("<pre>");
            for c in &ev.code {
                let line = format!(
                    "{}{:>5} | {}\n",
                    if c.marked { ">" } else { " " },
                    c.line,
                    c.text
                );
                if c.marked {
                    let _ = write!(s, "<b>{}</b>", esc(&line));
                } else {
                    s.push_str(&esc(&line));
                }
            }
            s.push_str("</pre>\n");
        }
    }
}

/// Each row's first record and the log around it.
fn records(s: &mut String, rows: &[&Ranked]) {
    for rk in rows {
        if rk.group.sample_record.is_empty() {
            continue;
        }
        let g = &rk.group;
        let mut around = String::new();
        for l in &g.context_before {
            let _ = writeln!(around, "  {}", esc(l));
        }
        let _ = writeln!(
            around,
            "<b>&gt; {}</b>",
            esc(g.sample_record.lines().next().unwrap_or(""))
        );
        for l in &g.context_after {
            let _ = writeln!(around, "  {}", esc(l));
        }
        let ids = if g.request_ids.is_empty() {
            String::new()
        } else {
            format!(
                "<p>Request ids around it: {}</p>",
                esc(&g.request_ids.join(", "))
            )
        };
        let _ = writeln!(
            s,
            "<details><summary>#{} first record ({} line {})</summary><pre>{}</pre><p>The log around it:</p><pre>{}</pre>{}</details>",
            rk.rank,
            esc(&g.first_input),
            g.first_line,
            esc(&g.sample_record),
            around,
            ids
        );
    }
}

impl<W: Write> Sink for Html<W> {
    fn finish(&mut self, r: &Report) -> io::Result<()> {
        self.out.write_all(to_html(r).as_bytes())?;
        self.out.flush()
    }
}

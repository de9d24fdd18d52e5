//! Stage 7, output: one renderer per format.
//!
//! # Brief overview
//! Renderers implement [`Sink`]: [`Sink::finding`] is called the moment a
//! record completes on a live stream, [`Sink::finish`] once with the
//! [`Report`]. They never parse and never decide exit codes.
//!
//! | format | module | for |
//! |---|---|---|
//! | `table` | [`table`] | people: live lines, then one ranked table per kind |
//! | `json` | [`json`] | scripts: one document, shape documented in the README |
//! | `ndjson` | [`ndjson`] | pipelines: one JSON object per finding as it is parsed, then a summary |
//! | `github` | [`github`] | GitHub Actions: one workflow command per site |
//! | `markdown` | [`markdown`] | a ticket: summary, ranked findings, records in `<details>` |
//! | `sarif` | [`sarif`] | code scanning: SARIF 2.1.0 |
//! | `html` | [`html`] | a self-contained page with tables, a timeline and a histogram |
//! | `brief` | [`brief`] | the analysis request for a colleague or an AI assistant |

pub mod brief;
pub mod fit;
pub mod github;
pub mod html;
pub mod json;
pub mod markdown;
pub mod ndjson;
pub mod sarif;
pub mod table;

use std::io;

use crate::correlate::Finding;
use crate::report::Report;
use crate::source::analyze::{Evidence, Sampled};

/// An output format.
pub trait Sink {
    /// A finding, as soon as its record is complete; `live` says whether it
    /// comes from a stream that is still open.
    fn finding(&mut self, _f: &Finding, _live: bool) -> io::Result<()> {
        Ok(())
    }

    /// Whether this format wants every finding through [`Sink::finding`]
    /// (then a large file is not split across threads, whose findings are
    /// only counted).
    fn wants_every_finding(&self) -> bool {
        false
    }
    /// The report, once, at the end.
    fn finish(&mut self, report: &Report) -> io::Result<()>;
}

/// Writes a control character as a visible `\u{…}` escape, so that no
/// escape sequence from a log acts on a reader's terminal or page.
pub fn push_control_escape(out: &mut String, c: char) {
    out.push_str(&format!("\\u{{{:x}}}", c as u32));
}

/// Text safe for a terminal: control characters (escape sequences, carriage
/// returns) shown as `\u{…}` escapes, tabs as spaces.
pub fn terminal_safe(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => o.push_str("    "),
            c if c.is_control() => push_control_escape(&mut o, c),
            c => o.push(c),
        }
    }
    o
}

/// The source evidence of a finding as indented text lines: what the source
/// shows, the location kind and confidence, the code with the line marked,
/// and the hint when the evidence is weak.
pub fn evidence_lines(e: &Evidence) -> Vec<String> {
    let mut v = vec![format!("{}", terminal_safe(&e.summary))];
    let kind = serde_json::to_value(e.location_kind)
        .ok()
        .and_then(|x| x.as_str().map(str::to_string))
        .unwrap_or_default();
    let conf = serde_json::to_value(e.confidence)
        .ok()
        .and_then(|x| x.as_str().map(str::to_string))
        .unwrap_or_default();
    v.push(format!(
        "location: {}, confidence: {}",
        kind.replace('_', "-"),
        conf.replace('_', " ")
    ));
    for c in e.candidates.iter().skip(1).take(3) {
        v.push(format!(
            "also line {}: {} ({})",
            c.line,
            terminal_safe(&c.hit.call),
            c.hit.api
        ));
    }
    let width = e
        .code
        .iter()
        .map(|c| c.line.to_string().len())
        .max()
        .unwrap_or(1);
    for c in &e.code {
        v.push(format!(
            "{} {:>width$} | {}",
            if c.marked { ">" } else { " " },
            c.line,
            terminal_safe(&c.text)
        ));
    }
    if let Some(h) = &e.hint {
        v.push(format!("hint: {h}"));
    }
    if let Some(a) = &e.attribution {
        v.push(terminal_safe(a));
    }
    if let Some(s) = &e.sampled {
        v.extend(stack_excerpt(s));
    }
    v
}

/// How many frames of a sampled stack [`stack_excerpt`] shows above and
/// below the statement.
const EXCERPT_ABOVE: usize = 3;
const EXCERPT_BELOW: usize = 4;

/// What the stall probe saw, for people: the task, the handler a framework called and the request's route, then the
/// stack from the framework's frame (or a few frames above the statement)
/// to the call below it, the statement marked `>`.
pub fn stack_excerpt(s: &Sampled) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(t) = &s.task {
        let coro = s
            .coroutine
            .as_deref()
            .map_or(String::new(), |c| format!(" {c}"));
        v.push(format!("task: '{t}'{coro}"));
    }
    if let Some(h) = &s.handler {
        let mut line = format!(
            "handler: {} ({}:{}), called by {}",
            h.frame.function.as_deref().unwrap_or("?"),
            h.frame.path,
            h.frame.line,
            h.framework
        );
        if let Some(r) = &s.route {
            line.push_str(&format!(
                "; request {} {} (route {})",
                r.method, r.path, r.pattern
            ));
        }
        v.push(line);
    }
    let Some((st, at)) = s.stacks.iter().find_map(|st| {
        st.frames
            .iter()
            .rposition(|f| f.same_line(&s.frame))
            .map(|i| (st, i))
    }) else {
        return v;
    };
    let handler_at = s
        .handler
        .as_ref()
        .and_then(|h| st.frames[..=at].iter().rposition(|f| f.same_line(&h.frame)));
    let first = match handler_at {
        Some(h) => h
            .saturating_sub(1)
            .max(at.saturating_sub(EXCERPT_ABOVE + 1))
            .min(h),
        None => at.saturating_sub(EXCERPT_ABOVE),
    };
    let last = (at + EXCERPT_BELOW).min(st.frames.len() - 1);
    let from = if first > 0 {
        format!(", from frame {}", first + 1)
    } else {
        String::new()
    };
    v.push(format!(
        "stack ({} of {} samples{}, outermost first{from}):",
        st.samples,
        s.samples,
        if st.faulthandler {
            ", faulthandler"
        } else {
            ""
        },
    ));
    for (i, f) in st.frames.iter().enumerate().take(last + 1).skip(first) {
        v.push(format!(
            "{} {}:{} in {}",
            if i == at { ">" } else { " " },
            f.path,
            f.line,
            f.function.as_deref().unwrap_or("?")
        ));
    }
    if last + 1 < st.frames.len() {
        v.push(format!("  … {} frames below", st.frames.len() - last - 1));
    }
    v.iter().map(|l| terminal_safe(l)).collect()
}

/// The log lines around a finding's first occurrence, for `-B`/`-A`.
pub fn context_lines(g: &crate::aggregate::Group) -> Vec<String> {
    let mut v = Vec::new();
    for l in &g.context_before {
        v.push(format!("log before | {}", terminal_safe(l)));
    }
    for l in &g.context_after {
        v.push(format!("log after  | {}", terminal_safe(l)));
    }
    if !g.request_ids.is_empty() {
        v.push(format!(
            "request ids: {}",
            terminal_safe(&g.request_ids.join(", "))
        ));
    }
    v
}

/// `1.204 s` from milliseconds.
pub fn fmt_ms(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// A site's figures per host (`--by host`): `web1 3 (1.204 s), web2 1
/// (0.150 s)` for a timed kind, `web1 3, web2 1` otherwise; `-` when the
/// findings named no host.
pub fn hosts_cell(g: &crate::aggregate::Group) -> String {
    if g.by_host.is_empty() {
        return "-".to_string();
    }
    let timed = g.key.kind.timed();
    g.by_host
        .iter()
        .map(|(h, t)| {
            if timed {
                format!("{h} {} ({} s)", t.count, fmt_ms(t.total_ms))
            } else {
                format!("{h} {}", t.count)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line for a finding, in the `path:line: kind: message` form that
/// editors and terminals turn into links.
pub fn live_line(f: &Finding) -> String {
    let place = match &f.site {
        Some(s) => s.location(),
        None => format!("{}:{}", f.input, f.line_no),
    };
    let subject = f.subject.as_deref().unwrap_or("?");
    let msg = f.kind.live(f, subject);
    let times = if f.occurrences > 1 {
        format!(" ({} times, as a summary counted them)", f.occurrences)
    } else {
        String::new()
    };
    terminal_safe(&format!("{place}: {}: {msg}{times}", f.kind))
}

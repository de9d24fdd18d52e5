//! `--format github`: GitHub Actions workflow commands, one per site, so that
//! a CI run annotates the lines aiolog found:
//!
//! ```text
//! ::warning file=app/api.py,line=88,title=aiolog AIO101 blocking-task-step::handler blocked the loop 3 times…
//! ```
//!
//! Values are escaped as the runner requires: `%`, `\r` and `\n` everywhere,
//! and `:` and `,` in properties. With `--src`, the file is named relative
//! to the repository (after the path maps) and the line is the blocking
//! call's where the source confirms it (the warning's line is named in the
//! message); otherwise an absolute path under the current directory is made
//! relative to it, as annotations need.

use std::io::{self, Write};

use super::Sink;
use crate::report::Report;
use crate::rules;

/// The GitHub renderer.
pub struct Github<W: Write> {
    out: W,
}

impl<W: Write> Github<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        Github { out }
    }
}

/// Escapes a message (the part after `::`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn relative(path: &str) -> String {
    if let Ok(cwd) = std::env::current_dir() {
        let cwd = cwd.to_string_lossy();
        if let Some(rest) = path.strip_prefix(&*cwd) {
            return rest.trim_start_matches('/').to_string();
        }
    }
    path.to_string()
}

impl<W: Write> Sink for Github<W> {
    fn finish(&mut self, r: &Report) -> io::Result<()> {
        for rk in &r.ranked {
            let g = &rk.group;
            let command = match r.severity_of(g.code) {
                "error" => "error",
                "note" => "notice",
                _ => "warning",
            };
            let rule = rules::by_code(g.code);
            let title = format!("aiolog {} {}", g.code, rule.map_or("", |r| r.name));
            let subject = g.subject.as_deref().unwrap_or("?");
            let mut msg = format!("{subject}: {}", rk.why);
            if let Some(s) = r.sampled(r.index_of(rk)) {
                msg.push_str(&format!("\n{}", super::stack_excerpt(s).join("\n")));
            }
            if let Some(rule) = rule {
                msg.push_str(&format!("\nFix: {}", rule.fix));
            }
            let annotation = r
                .evidence
                .get(r.index_of(rk))
                .and_then(Option::as_ref)
                .and_then(|e| e.annotation.as_ref());
            if let Some(w) = annotation.and_then(|a| a.warned.as_ref()) {
                msg.push_str(&format!("\nasyncio's warning names {}:{}.", w.path, w.line));
            }
            match (&g.key.site, annotation) {
                (_, Some(a)) => writeln!(
                    self.out,
                    "::{command} file={},line={},title={}::{}",
                    escape_property(&a.at.path),
                    a.at.line,
                    escape_property(&title),
                    escape_data(&msg)
                )?,
                (Some(site), None) => writeln!(
                    self.out,
                    "::{command} file={},line={},title={}::{}",
                    escape_property(&relative(&site.path)),
                    site.line,
                    escape_property(&title),
                    escape_data(&msg)
                )?,
                (None, None) => writeln!(
                    self.out,
                    "::{command} title={}::{}",
                    escape_property(&title),
                    escape_data(&msg)
                )?,
            }
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_requires() {
        assert_eq!(escape_data("50% a\nb\r"), "50%25 a%0Ab%0D");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}

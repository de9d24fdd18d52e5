//! Output that fits the terminal: lines longer than its width are wrapped
//! at spaces (continuations indented under the line's own indentation), so
//! that nothing the table renderer prints is broken by the terminal itself.
//! The tables are made to fit before they are written (or laid out stacked),
//! so the wrapping only ever touches prose: headings, notes, evidence.

use std::io::{self, Write};

/// A writer that wraps each line to `width` visible columns (`None`: as is).
pub struct Fit<W: Write> {
    inner: W,
    width: Option<usize>,
    pending: Vec<u8>,
}

impl<W: Write> Fit<W> {
    /// Wraps at `width` columns, or not at all.
    pub fn new(inner: W, width: Option<usize>) -> Self {
        Fit {
            inner,
            width,
            pending: Vec::new(),
        }
    }

    /// The writer it wraps, what is pending written out.
    pub fn into_inner(mut self) -> W {
        let _ = self.flush();
        self.inner
    }

    fn line(&mut self, line: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(line);
        match self.width {
            Some(w) if visible_width(&text) > w => {
                for part in wrap(&text, w) {
                    writeln!(self.inner, "{part}")?;
                }
                Ok(())
            }
            _ => {
                self.inner.write_all(line)?;
                self.inner.write_all(b"\n")
            }
        }
    }
}

impl<W: Write> Write for Fit<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.width.is_none() {
            return self.inner.write(buf);
        }
        let mut rest = buf;
        while let Some(nl) = memchr::memchr(b'\n', rest) {
            let mut line = std::mem::take(&mut self.pending);
            line.extend_from_slice(&rest[..nl]);
            self.line(&line)?;
            rest = &rest[nl + 1..];
        }
        self.pending.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let p = std::mem::take(&mut self.pending);
            self.inner.write_all(&p)?;
        }
        self.inner.flush()
    }
}

/// The characters of `s` a terminal shows: ANSI escape sequences (CSI:
/// `ESC [ … final`) left out.
pub fn visible_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    let mut chars = s.chars();
    std::iter::from_fn(move || loop {
        let c = chars.next()?;
        if c != '\u{1b}' {
            return Some(c);
        }
        if chars.next() == Some('[') {
            for c in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    break;
                }
            }
        }
    })
}

/// Columns `s` takes on a terminal: its [`visible_chars`].
pub fn visible_width(s: &str) -> usize {
    visible_chars(s).count()
}

/// `line` in pieces of at most `width` columns, broken at spaces (a word
/// longer than a piece is cut); continuations are indented two columns
/// deeper than the line. Runs of spaces inside the line are kept.
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    let width = width.max(2);
    let body = line.trim_start_matches(' ');
    let indent = (line.len() - body.len()).min(width / 2);
    let cont = (indent + 2).min(width / 2);
    let mut out = Vec::new();
    let mut cur = " ".repeat(indent);
    let (mut cur_w, mut start) = (indent, indent);
    for word in body.split(' ') {
        let mut word = word.to_string();
        loop {
            let w = visible_width(&word);
            let sep = usize::from(cur_w > start);
            if cur_w + sep + w <= width {
                if cur_w > start {
                    cur.push(' ');
                }
                cur.push_str(&word);
                cur_w += usize::from(cur_w > start) + w;
                break;
            }
            if cur_w > start {
                out.push(std::mem::replace(&mut cur, " ".repeat(cont)));
                (cur_w, start) = (cont, cont);
                continue;
            }
            // Longer than a whole piece: cut it.
            let room = width.saturating_sub(cur_w).max(1);
            let cut: String = word.chars().take(room).collect();
            word = word.chars().skip(room).collect();
            cur.push_str(&cut);
            out.push(std::mem::replace(&mut cur, " ".repeat(cont)));
            (cur_w, start) = (cont, cont);
        }
    }
    if cur_w > start || out.is_empty() {
        out.push(cur);
    }
    out.iter().map(|l| l.trim_end().to_string()).collect()
}

/// A path shortened from the left to `max` columns, keeping its end (the
/// file name and line): `…/service/api.py:88`.
pub fn shorten_left(path: &str, max: usize) -> String {
    let n = path.chars().count();
    if n <= max || max < 2 {
        return path.to_string();
    }
    let tail: String = path.chars().skip(n - (max - 1)).collect();
    // At a directory boundary when the tail holds one.
    let tail = match tail.find('/') {
        Some(i) if i + 1 < tail.len() => &tail[i..],
        _ => &tail[..],
    };
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_fit_and_keep_every_word() {
        let line = "    /app/blocking_sleep.py:17 time.sleep(...) blocks on the clock: the whole event loop sleeps; use await asyncio.sleep(...) averyveryveryverylongwordthatmustbecutsomewhere";
        for w in [20, 40, 60, 80] {
            let parts = wrap(line, w);
            assert!(
                parts.iter().all(|p| visible_width(p) <= w),
                "{w}: {parts:#?}"
            );
            let joined: String = parts.iter().map(|p| p.trim()).collect::<Vec<_>>().join(" ");
            let words = |s: &str| s.split_whitespace().collect::<String>();
            assert_eq!(words(&joined), words(line), "{w}");
            assert!(parts[0].starts_with("    /app"));
        }
        assert_eq!(wrap("short", 80), vec!["short"]);
        assert_eq!(visible_width("\u{1b}[1;33mab\u{1b}[0m"), 2);
        assert_eq!(
            shorten_left("/srv/app/service/api.py:88", 12),
            "…/api.py:88"
        );
    }
}

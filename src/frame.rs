//! Stage 3a, frame: turn the raw bytes of one line into text fit to parse.
//!
//! # Brief overview
//! Only lines at or right after a scan hit get here. [`clean_line`] drops the
//! `\r` of CRLF endings (and a lone `\r` a terminal paste may leave) and NUL
//! bytes, strips
//! ANSI colour and cursor sequences (and the colour codes a copy from a
//! terminal left as visible text: `ESC[0m`, `^[[0m`, `\x1b[0m`, `\033[0m`),
//! replaces invalid UTF-8 with U+FFFD and cuts
//! a line longer than the configured bound. [`ReadLine`] then reads the line
//! a wrapper holds: a JSON log object, or the bytes literal a relay printed
//! a child's line as ([`decode_bytes_literal`]). Nothing here is fatal: whatever the
//! bytes, a line comes out, with flags that say what was done to it. The line
//! grammar (module [`crate::grammar`]) then splits the prefix from the message.
//!
//! # Example
//! ```
//! use aiolog::frame::clean_line;
//! let c = clean_line(b"\x1b[33mWARNING\x1b[0m:asyncio:hi\r", 1024);
//! assert_eq!(c.text, "WARNING:asyncio:hi");
//! assert!(!c.truncated);
//! ```

use std::borrow::Cow;

mod json_fields;
mod plain;
use json_fields::JsonFields;

/// The default bound on one line, in bytes.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// A cleaned line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanLine<'a> {
    /// The text: no `\r`, no escape sequences, valid UTF-8; borrowed from
    /// the line when it needed no cleaning (nearly every line).
    pub text: Cow<'a, str>,
    /// The line was longer than the bound and was cut.
    pub truncated: bool,
    /// Invalid UTF-8 was replaced.
    pub invalid_utf8: bool,
}

/// Cleans one line (without its `\n`).
pub fn clean_line(raw: &[u8], max_len: usize) -> CleanLine<'_> {
    let cut = &raw[..raw.len().min(max_len)];
    if plain::plain(cut) {
        return CleanLine {
            // SAFETY: `plain` passes only ASCII, which is valid UTF-8.
            text: Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(cut) }),
            truncated: raw.len() > max_len,
            invalid_utf8: false,
        };
    }
    clean_full(raw, max_len)
}

/// [`clean_line`]'s every step, for a line that is not [`plain::plain`].
fn clean_full(raw: &[u8], max_len: usize) -> CleanLine<'_> {
    let mut raw = raw;
    let truncated = raw.len() > max_len;
    if truncated {
        raw = &raw[..max_len];
    }
    let mut stripped: Cow<[u8]> = if memchr::memchr3(0x1b, b'\r', 0, raw).is_some() {
        Cow::Owned(strip_controls(raw))
    } else {
        Cow::Borrowed(raw)
    };
    if let Some(visible) = strip_visible_escapes(&stripped) {
        stripped = Cow::Owned(visible);
    }
    // Valid UTF-8 (nearly every line) is checked at memory speed; only
    // invalid text goes through the lossy conversion.
    let (text, invalid_utf8) = match stripped {
        Cow::Borrowed(b) => match crate::text::utf8(b) {
            Ok(s) => (Cow::Borrowed(s), false),
            Err(_) => (Cow::Owned(String::from_utf8_lossy(b).into_owned()), true),
        },
        Cow::Owned(v) => match String::from_utf8(v) {
            Ok(s) => (Cow::Owned(s), false),
            Err(e) => (
                Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
                true,
            ),
        },
    };
    CleanLine {
        text,
        truncated,
        invalid_utf8,
    }
}

/// Removes `\r` and ANSI escape sequences: CSI (`ESC [ … final`), OSC
/// (`ESC ] … BEL` or `ESC \`) and two-byte escapes.
fn strip_controls(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            // Carriage returns and the NUL bytes of binary garbage carry no text.
            b'\r' | 0 => i += 1,
            0x1b => {
                i += 1;
                match raw.get(i) {
                    Some(b'[') => {
                        i += 1;
                        // parameters and intermediates, then one final byte 0x40..=0x7e
                        while i < raw.len() && !(0x40..=0x7e).contains(&raw[i]) {
                            i += 1;
                        }
                        i += 1;
                    }
                    Some(b']') => {
                        i += 1;
                        while i < raw.len() {
                            if raw[i] == 0x07 {
                                i += 1;
                                break;
                            }
                            if raw[i] == 0x1b && raw.get(i + 1) == Some(&b'\\') {
                                i += 2;
                                break;
                            }
                            i += 1;
                        }
                    }
                    Some(_) => i += 1,
                    None => {}
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// How a colour code reads once a copy from a terminal, a pager or a
/// program's source has made its escape byte visible text: `ESC[0m`,
/// `^[[0m`, `\x1b[0m`, `\033[0m`, `\u001b[0m`, `\e[0m`. Each is followed by
/// the sequence's parameters and final letter.
const VISIBLE_ESCAPES: &[&[u8]] = &[
    b"ESC[",
    b"^[[",
    b"\\x1b[",
    b"\\x1B[",
    b"\\033[",
    b"\\u001b[",
    b"\\u001B[",
    b"\\e[",
];

/// Removes colour codes written as visible text ([`VISIBLE_ESCAPES`]), as
/// [`strip_controls`] removes the real ones: an introducer, parameters
/// (digits and `;`) and the final letter of a colour (`m`), an erase
/// (`K`, `J`) or a cursor move (`H`, `A`–`D`, `G`). `None` when the line holds none,
/// so that the common line is not copied.
fn strip_visible_escapes(raw: &[u8]) -> Option<Vec<u8>> {
    // Every introducer ends in `[` after one of these bytes: a line
    // without such a pair is passed by (most lines with a `[` have it after
    // a space or `=`).
    memchr::memchr_iter(b'[', raw)
        .find(|&i| i > 0 && VISIBLE_ESCAPES.iter().any(|e| e[e.len() - 2] == raw[i - 1]))?;
    let sequence_len = |at: usize| -> Option<usize> {
        let intro = VISIBLE_ESCAPES.iter().find(|e| raw[at..].starts_with(e))?;
        // `ESC` inside a word (`DESC[`) is not an introducer.
        if intro[0] == b'E' && at > 0 && raw[at - 1].is_ascii_alphanumeric() {
            return None;
        }
        let params = raw[at + intro.len()..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b';')
            .count();
        let last = at + intro.len() + params;
        raw.get(last)
            .filter(|b| b"mKJHABCDG".contains(b))
            .map(|_| last + 1 - at)
    };
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(off) = memchr::memchr3(b'E', b'^', b'\\', &raw[i..]) {
        let at = i + off;
        match sequence_len(at) {
            Some(len) => {
                out.get_or_insert_with(|| Vec::with_capacity(raw.len()))
                    .extend_from_slice(&raw[copied..at]);
                copied = at + len;
                i = copied;
            }
            None => i = at + 1,
        }
    }
    let mut out = out?;
    out.extend_from_slice(&raw[copied..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_codes_written_as_visible_text_are_removed() {
        // Derived: the forms a copy from a terminal or a pager leaves.
        for (raw, want) in [
            ("ESC[32mok ESC[0m.", "ok ."),
            ("^[[1;31mERROR^[[0m x", "ERROR x"),
            (
                r"\x1b[31mred\x1b[0m \033[0mend \u001b[2Kz \e[1mq",
                "red end z q",
            ),
            // Not a colour code: a word, a character class, a bracket.
            (
                "DESC[1m ESC[x \\033[0-9]m [INFO]",
                "DESC[1m ESC[x \\033[0-9]m [INFO]",
            ),
        ] {
            assert_eq!(clean_line(raw.as_bytes(), 1000).text, want, "{raw}");
        }
    }

    #[test]
    fn strips_crlf_ansi_and_replaces_bad_utf8() {
        let c = clean_line(b"\x1b[1;31mERROR\x1b[0m x\xff\r", 100);
        assert_eq!(c.text, "ERROR x\u{fffd}");
        assert!(c.invalid_utf8);
        let c = clean_line(b"\x1b]0;title\x07hello", 100);
        assert_eq!(c.text, "hello");
        let c = clean_line(b"unterminated \x1b[", 100);
        assert_eq!(c.text, "unterminated ");
    }

    #[test]
    fn cuts_long_lines() {
        let c = clean_line(&[b'a'; 50], 10);
        assert_eq!(c.text.len(), 10);
        assert!(c.truncated);
    }

    #[test]
    fn cut_inside_a_multibyte_character_is_replaced_not_fatal() {
        let s = "é".repeat(10);
        let c = clean_line(s.as_bytes(), 5);
        assert!(c.text.starts_with("éé"));
        assert!(c.invalid_utf8);
    }
}

/// Keys that hold a JSON log line's message, most specific first: Docker's
/// json-file and Kubernetes (`log`), structlog (`event`), python-json-logger
/// and Loguru's `serialize=True` (`message`, `text`), others (`msg`),
/// `journalctl -o json` (`MESSAGE`).
const JSON_MESSAGE_KEYS: &[&str] = &["log", "event", "message", "msg", "MESSAGE", "text"];
const JSON_LEVEL_KEYS: &[&str] = &["level", "levelname", "severity", "log.level"];
const JSON_LOGGER_KEYS: &[&str] = &["logger", "name", "logger_name"];
const JSON_TIME_KEYS: &[&str] = &["timestamp", "time", "ts", "asctime", "@timestamp"];
const JSON_PID_KEYS: &[&str] = &["pid", "process", "_PID"];
/// The other keys framing reads: the stream of a collector's object
/// (`stream`; journald's `_HOSTNAME`, `SYSLOG_IDENTIFIER`) and a structured
/// logger's traceback.
const JSON_OTHER_KEYS: &[&str] = &[
    "stream",
    "_HOSTNAME",
    "SYSLOG_IDENTIFIER",
    "exception",
    "exc_info",
];

/// The line a wrapper holds, read: a JSON log object ([`decode_json`]) or
/// a relay's bytes literal ([`decode_bytes_literal`]); the text, and the
/// stream a collector's per-line object names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InnerLine {
    /// The text a logging format would have written.
    pub text: String,
    /// The stream of a collector's object that holds one physical line of
    /// a program: journald's host and process (`_HOSTNAME`,
    /// `SYSLOG_IDENTIFIER`, `_PID`), the stream of Docker's json-file and
    /// Kubernetes (`stream`). Lines of different streams interleave; a
    /// structured logger's object holds a whole record and names none.
    pub stream: Option<String>,
}

/// [`decode_json_line`], with the stream of a collector's per-line object.
pub fn decode_json(text: &str) -> Option<InnerLine> {
    let obj = json_object(text)?;
    let s = |k: &str| obj.get(k).and_then(|v| v.as_str());
    let stream = if obj.contains_key("log") {
        s("stream").map(str::to_string)
    } else if obj.contains_key("MESSAGE") {
        let parts: Vec<&str> = ["_HOSTNAME", "SYSLOG_IDENTIFIER", "_PID"]
            .iter()
            .filter_map(|k| s(k))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    } else {
        None
    };
    Some(InnerLine {
        text: object_text(&obj)?,
        stream,
    })
}

/// A line as the record stage reads it: cleaned, and, when it wraps
/// another line, that line: a JSON log object (structlog,
/// python-json-logger, docker's json-file) read as the text a logging
/// format would have written, or the bytes literal a relay printed a
/// child's line as. The analyzer and the parallel splitter read lines the
/// same way through it.
#[derive(Debug, Clone)]
pub struct ReadLine<'a> {
    /// The cleaned line.
    pub clean: CleanLine<'a>,
    /// The line it wraps, read.
    pub inner: Option<InnerLine>,
}

impl ReadLine<'_> {
    /// Cleans and decodes one line (without its `\n`).
    pub fn read(raw: &[u8], max_len: usize) -> ReadLine<'_> {
        let clean = clean_line(raw, max_len);
        let inner = decode_json(&clean.text).or_else(|| {
            decode_bytes_literal(&clean.text, max_len).map(|text| InnerLine { text, stream: None })
        });
        ReadLine { clean, inner }
    }

    /// The text the grammars read.
    pub fn text(&self) -> &str {
        self.inner.as_ref().map_or(&*self.clean.text, |j| &j.text)
    }

    /// The stream a collector's JSON object names.
    pub fn stream(&self) -> Option<&str> {
        self.inner.as_ref().and_then(|j| j.stream.as_deref())
    }
}

/// The line inside a relay's Python bytes literal: process runners and
/// test harnesses log each line a child writes as `repr(line)`, behind
/// their own prefix (`DEBUG 07-21 00:26:57 runner.py b'\x1b[1m ERROR …
/// Task was destroyed but it is pending!\n'`). The literal ends the line
/// and its bytes end in the `\n` the child wrote (escaped); it is decoded
/// as Python reads it (`\xNN`, `\n`, `\t`, `\r`, `\'`, `\"`, `\\`,
/// octal, the rest kept), then cleaned as a line is (colour codes, invalid
/// bytes replaced). `None` when the line ends in no such literal.
pub fn decode_bytes_literal(text: &str, max_len: usize) -> Option<String> {
    let t = text.trim_end();
    let quote = *t.as_bytes().last()?;
    if !(quote == b'\'' || quote == b'"') || !t[..t.len() - 1].ends_with("\\n") {
        return None;
    }
    let b = t.as_bytes();
    // The literal's opening: `b'` at the line's start or after a
    // non-word byte. The leftmost opening whose literal runs to the end.
    let mut from = 0;
    while let Some(off) = memchr::memmem::find(&b[from..], &[b'b', quote]) {
        let at = from + off;
        from = at + 1;
        if at > 0 && (b[at - 1].is_ascii_alphanumeric() || b[at - 1] == b'_') {
            continue;
        }
        if let Some(bytes) = unescape_bytes(&b[at + 2..b.len() - 1], quote) {
            let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
            let body = body.strip_suffix(b"\r").unwrap_or(body);
            return Some(clean_line(body, max_len).text.into_owned());
        }
    }
    None
}

/// The bytes of a Python bytes literal's body (between its quotes), or
/// `None` when an unescaped closing quote shows it is not one literal.
fn unescape_bytes(body: &[u8], quote: u8) -> Option<Vec<u8>> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        if c == quote {
            return None;
        }
        if c != b'\\' || i + 1 == body.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let e = body[i + 1];
        i += 2;
        match e {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'a' => out.push(0x07),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'v' => out.push(0x0b),
            b'\\' | b'\'' | b'"' => out.push(e),
            b'x' => match (
                body.get(i).and_then(|&c| hex(c)),
                body.get(i + 1).and_then(|&c| hex(c)),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.extend_from_slice(b"\\x"),
            },
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                let mut n = 1;
                while n < 3 && i < body.len() && (b'0'..=b'7').contains(&body[i]) {
                    v = v * 8 + u32::from(body[i] - b'0');
                    i += 1;
                    n += 1;
                }
                out.push(v as u8);
            }
            // Python keeps an unknown escape as written.
            _ => out.extend_from_slice(&[b'\\', e]),
        }
    }
    Some(out)
}

/// The JSON object a line holds, if it is one.
fn json_object(text: &str) -> Option<JsonFields> {
    // Most lines are not objects: the first byte tells, before any trim.
    if !matches!(
        text.as_bytes().first(),
        Some(b'{' | b' ' | 0x09..=0x0d | 0x80..)
    ) {
        return None;
    }
    // `text.trim()`, its start first: an indented line is rejected there.
    let t = crate::text::trim_start(text);
    if !t.starts_with('{') {
        return None;
    }
    let t = t.trim_end();
    if !t.ends_with('}') {
        return None;
    }
    // The fields framing reads; the rest is checked, not kept.
    serde_json::from_str(t).ok()
}

/// A JSON log line as the text a logging format would have written, for
/// the line grammars: the collector's raw line (`{"log": …}`), or
/// `TIME [PID] LEVEL LOGGER: MESSAGE` from a structured logger's fields. A
/// message with `\n` escapes (a traceback inside one JSON string) becomes
/// several lines of one record. `None` when the line is not such an object.
pub fn decode_json_line(text: &str) -> Option<String> {
    object_text(&json_object(text)?)
}

/// See [`decode_json_line`].
fn object_text(obj: &JsonFields) -> Option<String> {
    let get = |keys: &[&str]| -> Option<String> {
        keys.iter().find_map(|k| match obj.get(k)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    if let Some(raw) = obj.get("log").and_then(|l| l.as_str()) {
        // A collector's wrapper around the program's own line.
        return Some(raw.trim_end_matches(['\n', '\r']).to_string());
    }
    let message = get(&JSON_MESSAGE_KEYS[1..])?;
    let mut exc = String::new();
    if let Some(e) = obj
        .get("exception")
        .or_else(|| obj.get("exc_info"))
        .and_then(|e| e.as_str())
    {
        exc = format!("\n{}", e.trim_end());
    }
    match get(JSON_LEVEL_KEYS) {
        Some(level) => {
            let ts = get(JSON_TIME_KEYS)
                .map(|t| t.trim_end_matches('Z').replacen('T', " ", 1))
                .filter(|t| t.len() >= 19 && t.as_bytes()[4] == b'-')
                .map(|t| t.chars().take(23).collect::<String>())
                .unwrap_or_else(|| "1970-01-01 00:00:00".into());
            let pid = get(JSON_PID_KEYS)
                .map(|p| format!("[{p}] "))
                .unwrap_or_default();
            let logger = get(JSON_LOGGER_KEYS).unwrap_or_else(|| "root".into());
            let logger: String = logger
                .chars()
                .map(|c| {
                    if c.is_whitespace() || c == ':' {
                        '_'
                    } else {
                        c
                    }
                })
                .collect();
            let level = match level.to_ascii_uppercase().as_str() {
                "WARN" => "WARNING".to_string(),
                "FATAL" => "CRITICAL".to_string(),
                l => l.to_string(),
            };
            Some(format!("{ts} {pid}{level} {logger}: {message}{exc}"))
        }
        None => Some(format!("{message}{exc}")),
    }
}

#[cfg(test)]
mod json_tests {
    use super::*;

    #[test]
    fn a_relays_bytes_literal_is_the_childs_line() {
        // Derived: `repr()` of the bytes a child wrote, behind a relay's prefix.
        let read = |s: &str| ReadLine::read(s.as_bytes(), 1000).text().to_string();
        assert_eq!(
            read(
                r"DEBUG 07-21 00:26:57 runner.py b'\x1b[1m\x1b[31m ERROR asyncio Task was destroyed but it is pending!\x1b[0m\n'"
            ),
            " ERROR asyncio Task was destroyed but it is pending!"
        );
        assert_eq!(
            read(r#"[w1] b"  File \"/app/a.py\", line 3, in f\r\n""#),
            r#"  File "/app/a.py", line 3, in f"#
        );
        assert_eq!(
            read(r"out: b'coroutine \'fetch\' was never awaited \\ \xe2\x80\x94 \xff\n'"),
            "coroutine 'fetch' was never awaited \\ \u{2014} \u{fffd}"
        );
        // Not a relay's literal: no line end inside, a quote that closes
        // early, a word ending in b.
        for s in [r"sent b'hello'", r"x b'a' + 'b\n'", r"verb'x\n'"] {
            assert_eq!(read(s), s, "{s}");
        }
    }

    #[test]
    fn json_lines_become_the_text_a_format_would_write() {
        assert_eq!(
            decode_json_line(r#"{"log":"Task was destroyed but it is pending!\n","stream":"stderr","time":"2024-05-01T12:00:00.1Z"}"#)
                .as_deref(),
            Some("Task was destroyed but it is pending!")
        );
        assert_eq!(
            decode_json_line(r#"{"event": "Task exception was never retrieved\nfuture: <Task finished>", "level": "error", "logger": "asyncio", "timestamp": "2024-05-01T12:00:00.123456Z"}"#).as_deref(),
            Some("2024-05-01 12:00:00.123 ERROR asyncio: Task exception was never retrieved\nfuture: <Task finished>")
        );
        assert_eq!(
            decode_json_line(r#"{"MESSAGE": "x", "_PID": "7"}"#).as_deref(),
            Some("x")
        );
        assert_eq!(decode_json_line("not json"), None);
        let j = decode_json(r#"{"MESSAGE": "  File \"/app/a.py\", line 3, in f", "_PID": "7", "_HOSTNAME": "web1", "SYSLOG_IDENTIFIER": "python3"}"#).unwrap();
        assert_eq!(j.stream.as_deref(), Some("web1 python3 7"));
        let j = decode_json(r#"{"log":"x\n","stream":"stderr"}"#).unwrap();
        assert_eq!(j.stream.as_deref(), Some("stderr"));
        let j = decode_json(r#"{"event": "x", "level": "info"}"#).unwrap();
        assert_eq!(j.stream, None);
        assert_eq!(decode_json_line(r#"{"no": "message"}"#), None);
    }
}

//! Stage 3a, frame: turn the raw bytes of one line into text fit to parse.
//!
//! # Brief overview
//! Only lines at or right after a scan hit get here. [`clean_line`] drops the
//! `\r` of CRLF endings (and a lone `\r` a terminal paste may leave) and NUL
//! bytes, strips
//! ANSI colour and cursor sequences, replaces invalid UTF-8 with U+FFFD and cuts
//! a line longer than the configured bound. Nothing here is fatal: whatever the
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

/// The default bound on one line, in bytes.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// A cleaned line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanLine {
    /// The text: no `\r`, no escape sequences, valid UTF-8.
    pub text: String,
    /// The line was longer than the bound and was cut.
    pub truncated: bool,
    /// Invalid UTF-8 was replaced.
    pub invalid_utf8: bool,
}

/// Cleans one line (without its `\n`).
pub fn clean_line(raw: &[u8], max_len: usize) -> CleanLine {
    let mut raw = raw;
    let truncated = raw.len() > max_len;
    if truncated {
        raw = &raw[..max_len];
    }
    let stripped: Cow<[u8]> = if memchr::memchr3(0x1b, b'\r', 0, raw).is_some() {
        Cow::Owned(strip_controls(raw))
    } else {
        Cow::Borrowed(raw)
    };
    // Valid UTF-8 (nearly every line) is checked at memory speed; only
    // invalid text goes through the lossy conversion.
    let (text, invalid_utf8) = match std::str::from_utf8(&stripped) {
        Ok(s) => (s.to_string(), false),
        Err(_) => (String::from_utf8_lossy(&stripped).into_owned(), true),
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

#[cfg(test)]
mod tests {
    use super::*;

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

/// A JSON log line read by [`decode_json`]: the text, and the stream a
/// collector's per-line object names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonLine {
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
pub fn decode_json(text: &str) -> Option<JsonLine> {
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
    Some(JsonLine {
        text: object_text(&obj)?,
        stream,
    })
}

/// A line as the record stage reads it: cleaned, and, when it holds a JSON
/// log object (structlog, python-json-logger, docker's json-file), that
/// object read as the text a logging format would have written. The
/// analyzer and the parallel splitter read lines the same way through it.
#[derive(Debug, Clone)]
pub struct ReadLine {
    /// The cleaned line.
    pub clean: CleanLine,
    /// The JSON object it holds, read.
    pub json: Option<JsonLine>,
}

impl ReadLine {
    /// Cleans and decodes one line (without its `\n`).
    pub fn read(raw: &[u8], max_len: usize) -> ReadLine {
        let clean = clean_line(raw, max_len);
        let json = decode_json(&clean.text);
        ReadLine { clean, json }
    }

    /// The text the grammars read.
    pub fn text(&self) -> &str {
        self.json.as_ref().map_or(&self.clean.text, |j| &j.text)
    }

    /// The stream a collector's JSON object names.
    pub fn stream(&self) -> Option<&str> {
        self.json.as_ref().and_then(|j| j.stream.as_deref())
    }
}

/// The JSON object a line holds, if it is one.
fn json_object(text: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let t = text.trim();
    if !t.starts_with('{') || !t.ends_with('}') {
        return None;
    }
    match serde_json::from_str(t).ok()? {
        serde_json::Value::Object(o) => Some(o),
        _ => None,
    }
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
fn object_text(obj: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    let get = |keys: &[&str]| -> Option<String> {
        keys.iter().find_map(|k| match obj.get(*k)? {
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

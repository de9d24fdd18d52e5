//! `--format json`: one document for scripts.
//!
//! # Format
//! ```json
//! {
//!   "version": 1,
//!   "input": {"files": ["app.log"], "bytes": 0, "lines": 0, "parsed_lines": 0,
//!             "passed_through_lines": 0, "skipped_lines": 0, "records": 0,
//!             "unrecognized_records": 0, "truncated_lines": 0,
//!             "invalid_utf8_lines": 0, "findings": 0, "interrupted": false,
//!             "unrecognized_samples": [{"input": "", "line": 0, "reason": "", "text": ""}]},
//!   "summary": {"slow_callback": {"sites": 0, "count": 0, "total_seconds": 0.0}, "...": {}},
//!   "findings": [{"rank": 1, "kind": "slow_callback", "subject": "Repo.save",
//!                 "site": {"path": "", "line": 0, "function": ""}, "site_basis": "",
//!                 "site_note": "",
//!                 "location": "path:line", "created_at": "path:line", "count": 1,
//!                 "total_seconds": 0.0, "max_seconds": 0.0, "p95_seconds": 0.0,
//!                 "first_seen": null, "last_seen": null,
//!                 "first_occurrence": {"input": "", "line": 0}, "other": false, "why": "",
//!                 "histogram_ms": {"251": 2}, "sample_record": ""}],
//!   "timeline": [{"ts": "2024-05-01T12:00:00.123", "ms": 251, "site": "/app/api.py:88"}]
//! }
//! ```
//! `findings` are ordered by kind (the registry's order, `crate::kinds`),
//! then by `rank`. The seconds fields are null for kinds that measure no
//! blocked time; `site`,
//! `location`, `created_at`, `subject` and the timestamps are null when the
//! log does not give them. The README documents every field.

use serde_json::{json, Value};
use std::io::{self, Write};

use super::Sink;
use crate::kinds::Kind;
use crate::report::{FindingWire, InputWire, Report};

/// The JSON renderer.
pub struct Json<W: Write> {
    out: W,
}

impl<W: Write> Json<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        Json { out }
    }
}

/// Writes `value` as pretty JSON nested `indent` spaces deep (every line
/// but the first indented by that much more), in one write to `out`: the
/// value is serialized into `buf` by [`Nested`], in place of a
/// `serde_json::Value` of the whole document or a copy that indents each
/// line.
fn write_pretty<W: Write, T: serde::Serialize + ?Sized>(
    out: &mut W,
    buf: &mut Vec<u8>,
    value: &T,
    indent: usize,
) -> io::Result<()> {
    buf.clear();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut *buf,
        Nested {
            level: indent / 2,
            has_value: false,
        },
    );
    value.serialize(&mut ser).map_err(io::Error::from)?;
    out.write_all(buf)
}

/// serde_json's `PrettyFormatter` (two spaces a level) started `level`
/// levels deep: the same bytes as its output with each line indented, for
/// a value written inside the document.
struct Nested {
    level: usize,
    has_value: bool,
}

impl Nested {
    fn newline<W: ?Sized + Write>(&self, w: &mut W, comma: bool) -> io::Result<()> {
        const PAD: &[u8] = &[b' '; 64];
        w.write_all(if comma { b",\n" } else { b"\n" })?;
        let mut n = 2 * self.level;
        while n > 0 {
            let k = n.min(PAD.len());
            w.write_all(&PAD[..k])?;
            n -= k;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline(w, !first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline(w, !first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// The document as a value.
pub fn document(r: &Report) -> Value {
    let findings: Vec<Value> = (0..r.ranked.len()).map(|i| finding_value(r, i)).collect();
    let (input, summary) = head(r);
    json!({
        "version": 1,
        "input": input,
        "summary": summary,
        "findings": findings,
        "timeline": r.timeline,
    })
}

/// The `input` and `summary` objects.
fn head(r: &Report) -> (Value, Value) {
    let mut summary = serde_json::Map::new();
    for &kind in Kind::ALL {
        let mut entry = json!({
            "sites": r.of_kind(kind).count(),
            "count": r.events_of(kind),
        });
        if kind.timed() {
            entry["total_seconds"] = json!(r.blocked_ms_of(kind) as f64 / 1000.0);
        }
        summary.insert(kind.as_str().to_string(), entry);
    }
    let input = serde_json::to_value(InputWire::of(r)).expect("the input object serializes");
    (input, Value::Object(summary))
}

/// One finding of the document.
fn finding_value(r: &Report, i: usize) -> Value {
    serde_json::to_value(FindingWire::of(r, i)).expect("a finding serializes")
}

impl<W: Write> Sink for Json<W> {
    /// Streams the document: each finding is built, written and dropped,
    /// so memory does not grow with the number of sites.
    fn finish(&mut self, report: &Report) -> io::Result<()> {
        let (input, summary) = head(report);
        let out = &mut self.out;
        let buf = &mut Vec::new();
        writeln!(out, "{{\n  \"version\": 1,")?;
        write!(out, "  \"input\": ")?;
        write_pretty(out, buf, &input, 2)?;
        write!(out, ",\n  \"summary\": ")?;
        write_pretty(out, buf, &summary, 2)?;
        write!(out, ",\n  \"findings\": [")?;
        for i in 0..report.ranked.len() {
            write!(out, "{}\n    ", if i == 0 { "" } else { "," })?;
            write_pretty(out, buf, &FindingWire::of(report, i), 4)?;
        }
        writeln!(
            out,
            "{}],",
            if report.ranked.is_empty() { "" } else { "\n  " }
        )?;
        write!(out, "  \"timeline\": ")?;
        write_pretty(out, buf, &report.timeline, 2)?;
        writeln!(out)?;
        writeln!(out, "}}")?;
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_writes_serde_jsons_pretty_output_indented() {
        let value = json!({
            "a": [1, [], {}, [2, {"b": null}], "x\ny"],
            "c": {"d": {"e": [true, 1.5]}},
            "f": [],
            "g": {},
        });
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        for indent in [0, 2, 4, 70] {
            let mut out = Vec::new();
            write_pretty(&mut out, &mut Vec::new(), &value, indent).unwrap();
            let pad = format!("\n{}", " ".repeat(indent / 2 * 2));
            assert_eq!(String::from_utf8(out).unwrap(), pretty.replace('\n', &pad));
        }
    }
}

//! `Fatal error: protocol.data_received() call failed.` and the other fatal
//! transport errors (FORMATS.md §3.2): a protocol callback raised and
//! asyncio closed the connection (AIO403).

use super::{KindSpec, Placed, Tally};
use crate::aggregate::{times, Group};
use crate::correlate::{frame_site, innermost_user, Basis, Finding};
use crate::event::{frame_blocks_and, last_exception_line, Frame, Unrecognized};
use crate::rules::Rule;

/// `Fatal error: protocol.data_received() call failed.` (and `Fatal error on
/// transport`, `Fatal read error on socket transport`, …) with `protocol:`,
/// `transport:` and a traceback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FatalTransportError {
    /// The message.
    pub message: String,
    /// The protocol's class, from its repr.
    pub protocol: Option<String>,
    /// The traceback frames.
    pub traceback: Vec<Frame>,
    /// The exception line.
    pub exception: Option<String>,
}

impl KindSpec for FatalTransportError {
    const NAME: &'static str = "fatal_transport_error";
    const TITLE: &'static str = "Fatal transport errors";
    const HELP: &'static str = "Fatal transport errors";
    const MARKERS: &'static [&'static str] = &[
        "Fatal error: protocol.",
        "Fatal error on ",
        "Fatal read error on ",
        "Fatal write error on ",
    ];
    const TABLE_NOTE: &'static str =
        "Ranked by count. The site is where the protocol callback raised; asyncio closed the connection.";
    const RULES: &'static [Rule] = &[
    Rule {
        code: "AIO403",
        name: "transport-callback-failed",
        kind: super::Kind::FatalTransportError,
        summary: "a protocol callback raised and asyncio closed the connection",
        why: "An exception in `data_received()`, `eof_received()` or another protocol callback is fatal \
              to the transport: asyncio logs it and closes the connection, and the peer sees it dropped.",
        fix: "Handle malformed input inside the protocol callback (validate, buffer, reply with an \
              error) instead of letting it raise.",
        example_log: r#"Fatal error: protocol.data_received() call failed.
protocol: <app.Echo object at 0x7f7728eb5110>
transport: <_SelectorSocketTransport fd=6 read=polling write=<idle, bufsize=0>>
Traceback (most recent call last):
  File "/app/echo.py", line 11, in data_received
    raise ValueError("cannot parse")
ValueError: cannot parse"#,
        example_fix: r#"# before
def data_received(self, data):
    msg = parse(data)            # raises on bad input
# after
def data_received(self, data):
    try:
        msg = parse(data)
    except ValueError:
        self.transport.write(b"bad request\n")
        return"#,
    },
    ];

    fn parse(first: &str, text: &str) -> Option<Result<Self, Unrecognized>> {
        let i = Self::MARKERS.iter().find_map(|m| first.find(m))?;
        let (mut blocks, protocol) = frame_blocks_and(text, Some("protocol"));
        let protocol = protocol.map(|v| {
            let v = v.trim().trim_start_matches('<');
            v[..v.find([' ', '>']).unwrap_or(v.len())].to_string()
        });
        Some(Ok(FatalTransportError {
            message: first[i..].trim().to_string(),
            protocol,
            traceback: blocks.remove("traceback").unwrap_or_default(),
            exception: last_exception_line(text),
        }))
    }

    fn subject(&self) -> Option<String> {
        self.protocol.clone()
    }

    fn traceback(&self) -> &[Frame] {
        &self.traceback
    }

    fn site(&self) -> Placed {
        match innermost_user(&self.traceback) {
            Some(fr) => (Some(frame_site(fr)), Basis::RaisedAt, self.exception.clone()),
            None => (None, Basis::Unknown, self.exception.clone()),
        }
    }

    fn why(g: &Group, short: &str) -> String {
        format!(
            "a protocol callback failed {} and the connection was closed; {short}",
            times(g.count)
        )
    }

    fn live(f: &Finding, subject: &str) -> String {
        match &f.detail {
            Some(d) => format!("protocol {subject} failed: {d}"),
            None => format!("protocol {subject} failed"),
        }
    }

    fn symptom(t: &Tally) -> String {
        format!(
            "- {} connection(s) were closed by a failing protocol callback, at {} site(s).",
            t.events, t.sites
        )
    }

    fn questions(_g: &Group, site: &str) -> Vec<String> {
        vec![
            format!("Why does the protocol callback at {site} raise?"),
            "How should the protocol handle bad input without losing the connection?".into(),
            "Give the corrected code.".into(),
        ]
    }
}

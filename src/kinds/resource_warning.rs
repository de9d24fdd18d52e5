//! `ResourceWarning: unclosed …` (FORMATS.md §3.4) and aiohttp's `Unclosed
//! client session`: a resource never closed (AIO501).

use super::{KindSpec, Placed, Tally};
use crate::aggregate::{times, Group};
use crate::correlate::{classify, frame_site, innermost_user, loc_site, Basis, Finding, PathClass};
use crate::event::{frame_blocks, warning_path, Frame, Location, Unrecognized};
use crate::record::Shape;
use crate::rules::Rule;

/// The unraisable hook's last line (3.7 and 3.8, `sys.unraisablehook`,
/// IPython): `ResourceWarning: unclosed …` with no `path:N:` before it,
/// after the `Exception ignored in: <repr>` line and the traceback, if any.
const UNRAISABLE: &str = "ResourceWarning: unclosed";

/// An unclosed resource: the warnings module's `path:N: ResourceWarning:
/// unclosed <…>`, or aiohttp's `Unclosed client session` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceWarning {
    /// The resource's type as printed (`_UnixSelectorEventLoop`,
    /// `socket.socket`, `aiohttp.client.ClientSession`).
    pub resource: Option<String>,
    /// The warning's `path:N:` (the frame that raised it).
    pub location: Option<Location>,
    /// tracemalloc's `Object allocated at` frames.
    pub allocated: Vec<Frame>,
    /// The object's identity as printed: `aiohttp.client.ClientSession
    /// object at 0x7f9de2861950`.
    pub object: Option<String>,
}

/// `TYPE object at 0xADDR` in a record's text, the object's identity.
fn object_identity(text: &str) -> Option<String> {
    let i = text.find(" object at 0x")?;
    let start = text[..i].rfind('<')? + 1;
    let addr_start = i + " object at ".len();
    let len = text[addr_start + 2..]
        .bytes()
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    (len > 0).then(|| text[start..addr_start + 2 + len].to_string())
}

/// The type at the start of an object's repr, after its `<`
/// (`socket.socket` of `<socket.socket fd=7, …>`).
fn repr_type(inner: &str) -> String {
    inner[..inner.find([' ', '>']).unwrap_or(inner.len())].to_string()
}

/// `path:N: ResourceWarning: unclosed <…>` or aiohttp's `Unclosed client
/// session` / `Unclosed connector` / `Unclosed connection` records.
fn resource_warning(text: &str) -> Option<ResourceWarning> {
    let first = crate::text::lines(text).next()?;
    let blocks = frame_blocks(text);
    if !first.contains(": ResourceWarning: unclosed") {
        if let Some(line) = text.lines().rev().find(|l| l.trim_start().starts_with(UNRAISABLE)) {
            // The unraisable hook: the object's type from the warning, the
            // location from the traceback's innermost frame (the `__del__`
            // that warned, or the line that finalized a socket).
            let what = line.trim_start()[UNRAISABLE.len()..].trim();
            let frames: Vec<Frame> = text
                .lines()
                .filter_map(|l| crate::event::repr::frame_line(l.trim_start()).ok())
                .map(|(_, f)| f)
                .collect();
            return Some(ResourceWarning {
                resource: what.split_once('<').map(|(_, inner)| repr_type(inner)),
                location: frames.last().map(Frame::location),
                allocated: blocks.get("allocated").cloned().unwrap_or_default(),
                object: object_identity(line),
            });
        }
    }
    if let Some(i) = first.find(": ResourceWarning: unclosed") {
        let what = first[i + ": ResourceWarning: unclosed".len()..].trim();
        let resource = what.split_once('<').map(|(_, inner)| repr_type(inner));
        return Some(ResourceWarning {
            resource,
            location: warning_path(&first[..i]),
            allocated: blocks.get("allocated").cloned().unwrap_or_default(),
            object: object_identity(first),
        });
    }
    if first.contains("Unclosed ") {
        // The object is in the record's key line: `client_session: <aiohttp.client.ClientSession object at 0x…>`,
        // `connector: <aiohttp.connector.TCPConnector object at 0x…>`, `client_connection: Connection<…>`;
        // in the warnings module's own line, after the message
        // (`client.py:NNN: ResourceWarning: Unclosed client session <aiohttp.client.ClientSession object at 0x…>`).
        let in_first = first
            .split_once("Unclosed ")
            .and_then(|(_, rest)| rest.split_once('<'))
            .map(|(_, inner)| repr_type(inner));
        let keyed = text.lines().skip(1).find_map(|l| {
            let (key, value) = l.trim().split_once(": ")?;
            // The exception handler's keys are lower-case names; the
            // warnings module's `ResourceWarning: Enable tracemalloc …`
            // and the `source_traceback` block are not the object.
            if key == "connections"
                || key == "source_traceback"
                || !key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return None;
            }
            let v = value.trim();
            let name_end = v.find(['<', ' ']).unwrap_or(v.len());
            if name_end > 0 {
                return Some(v[..name_end].to_string());
            }
            v.strip_prefix('<').map(repr_type)
        });
        return Some(ResourceWarning {
            resource: keyed.or(in_first),
            location: None,
            // Debug mode's `source_traceback: Object created at …`: where
            // the session was created.
            allocated: blocks.get("source_traceback").cloned().unwrap_or_default(),
            object: object_identity(first).or_else(|| {
                text.lines()
                    .skip(1)
                    .filter(|l| !l.starts_with(' '))
                    .find_map(object_identity)
            }),
        });
    }
    None
}

impl KindSpec for ResourceWarning {
    const NAME: &'static str = "resource_warning";
    const TITLE: &'static str = "Resources never closed";
    const HELP: &'static str = "Resources never closed";
    const JOINS_BY_OBJECT: bool = true;
    const MARKERS: &'static [&'static str] = &[
        "ResourceWarning: unclosed",
        // aiohttp's unclosed objects, reported through the exception handler.
        "Unclosed client session",
        "Unclosed connector",
        "Unclosed connection",
    ];
    const TABLE_NOTE: &'static str =
        "Ranked by count. The site is where the object was allocated (tracemalloc), else the warning's line \
         in your code. Close it with async with or in a finally block.";
    const RULES: &'static [Rule] = &[
    Rule {
        code: "AIO501",
        name: "resource-not-closed",
        kind: super::Kind::ResourceWarning,
        summary: "an event loop, transport, socket or client session was never closed",
        why: "An unclosed resource keeps file descriptors and memory until garbage collection, and its \
              buffered data may never be flushed; in a long-running service they accumulate.",
        fix: "Close it deterministically: `async with` (aiohttp.ClientSession, streams), `try/finally` \
              with `await x.close()`, or the service's shutdown hook; let asyncio.run manage the loop.",
        example_log: r#"/app/client.py:30: ResourceWarning: unclosed <socket.socket fd=7, family=2, type=1, proto=6>"#,
        example_fix: r#"# before
session = aiohttp.ClientSession()
data = await (await session.get(url)).json()
# after
async with aiohttp.ClientSession() as session:
    async with session.get(url) as resp:
        data = await resp.json()"#,
    },
    ];

    fn shape(first: &str) -> Option<Shape> {
        // The unraisable hook prints the warning after its traceback.
        first
            .trim_start()
            .starts_with(UNRAISABLE)
            .then_some(Shape::EndsTraceback)
    }

    fn parse(first: &str, text: &str) -> Option<Result<Self, Unrecognized>> {
        let unraisable = text
            .lines()
            .last()
            .is_some_and(|l| l.trim_start().starts_with(UNRAISABLE));
        static UNCLOSED: crate::text::First = crate::text::First::new("ResourceWarning: unclosed");
        static AIOHTTP: crate::text::First = crate::text::First::new("Unclosed ");
        (UNCLOSED.is_in(first) || AIOHTTP.is_in(first) || unraisable).then(|| {
            resource_warning(text)
                .ok_or_else(|| Unrecognized::new("ResourceWarning that does not parse"))
        })
    }

    fn subject(&self) -> Option<String> {
        self.resource.clone()
    }

    fn location(&self) -> Option<Location> {
        self.location.clone()
    }

    fn object(&self) -> Option<String> {
        self.object.clone()
    }

    fn created_at(&self) -> Option<Location> {
        self.allocated.last().map(Frame::location)
    }

    fn site(&self) -> Placed {
        if let Some(f) = innermost_user(&self.allocated) {
            (Some(frame_site(f)), Basis::CreationTraceback, None)
        } else if let Some(site) = self
            .location
            .as_ref()
            .filter(|l| classify(&l.path) == PathClass::User)
            .and_then(|l| loc_site(l, None))
        {
            (Some(site), Basis::WarningLine, None)
        } else {
            (None, Basis::Unknown, None)
        }
    }

    fn why(g: &Group, short: &str) -> String {
        format!("left unclosed {}; {short}", times(g.count))
    }

    fn live(_f: &Finding, subject: &str) -> String {
        format!("{subject} was never closed")
    }

    fn symptom(t: &Tally) -> String {
        format!(
            "- {} resource(s) were left unclosed, at {} site(s).",
            t.events, t.sites
        )
    }

    fn questions(_g: &Group, site: &str) -> Vec<String> {
        vec![
            format!("Which object reported near {site} is never closed, and who owns it?"),
            "Where should it be closed (async with, try/finally, the service's shutdown)?".into(),
            "Give the corrected code.".into(),
        ]
    }
}

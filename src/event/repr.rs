//! nom parsers for the object reprs asyncio prints: Task, coroutine, Handle,
//! locations and traceback frames (FORMATS.md §4, §5).
//!
//! Reprs nest and are not reliably balanced (reprlib cuts inner reprs, and
//! exception reprs are raw), so fields are read from the left only up to the
//! coroutine, and a repr's own `created at` is located from the right
//! (FORMATS.md §7, pitfalls 3–6).

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{char, multispace0};
use nom::combinator::opt;
use nom::sequence::preceded;
use nom::{IResult, Parser};

use super::{CoroRepr, CoroState, Frame, HandleRepr, Location, TaskRepr};

// UTILITY

/// `s`, borrowed when it is one of the `usual` words: a repr's class and
/// state, read on most records, cost no allocation.
pub fn word(s: &str, usual: &[&'static str]) -> std::borrow::Cow<'static, str> {
    match usual.iter().find(|&&u| u == s) {
        Some(&u) => std::borrow::Cow::Borrowed(u),
        None => std::borrow::Cow::Owned(s.to_string()),
    }
}

/// `path:N` for a whole string: split at the last `:` followed by digits only.
pub fn location(s: &str) -> Option<Location> {
    let s = s.trim();
    let colon = memchr::memrchr(b':', s.as_bytes())?;
    let (path, line) = (&s[..colon], &s[colon + 1..]);
    if path.is_empty() || line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Location {
        path: path.to_string(),
        line: line.parse().ok()?,
    })
}

/// `path:N` followed by `>`: the path runs to the first `:digits>`.
fn location_then_gt(i: &str) -> IResult<&str, Location> {
    let bytes = i.as_bytes();
    let mut pos = 0;
    while let Some(off) = memchr::memchr(b':', &bytes[pos..]) {
        let colon = pos + off;
        let digits = bytes[colon + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits > 0 && bytes.get(colon + 1 + digits) == Some(&b'>') && colon > 0 {
            let loc = Location {
                path: i[..colon].to_string(),
                line: i[colon + 1..colon + 1 + digits].parse().unwrap_or(0),
            };
            return Ok((&i[colon + 1 + digits + 1..], loc));
        }
        pos = colon + 1;
    }
    Err(nom::Err::Error(nom::error::Error::new(
        i,
        nom::error::ErrorKind::TakeUntil,
    )))
}

/// A Python `repr()` string literal, `'…'` or `"…"`, with `\` escapes.
/// Returns the text between the quotes, escapes kept as written.
// 'Task-7' | "it's" | 'a \'b\''
pub fn py_str(i: &str) -> IResult<&str, &str> {
    let quote = match i.chars().next() {
        Some(q @ ('\'' | '"')) => q,
        _ => {
            return Err(nom::Err::Error(nom::error::Error::new(
                i,
                nom::error::ErrorKind::Char,
            )))
        }
    };
    let body = &i[1..];
    let mut escaped = false;
    for (idx, c) in body.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            return Ok((&body[idx + 1..], &body[..idx]));
        }
    }
    Err(nom::Err::Error(nom::error::Error::new(
        i,
        nom::error::ErrorKind::Char,
    )))
}

// COROUTINE

/// `f() running at p.py:12>` | `f() done, defined at p.py:3>` |
/// `f() running, defined at p.py:3>` | `f() running>` | `f()>`; consumes the
/// closing `>`.
pub fn coro(i: &str) -> IResult<&str, CoroRepr> {
    let (i, qualname) = until_parens(i)?;
    let (i, _) = tag("()")(i)?;
    let (i, (state, location)) = alt((
        (preceded(tag(" running at "), location_then_gt),)
            .map(|(l,)| (CoroState::Running, Some(l))),
        // A wrapped paste may lose the spaces around "defined at" (corpus 018).
        (preceded(
            (tag(" done,"), multispace0, tag("defined at"), multispace0),
            location_then_gt,
        ),)
            .map(|(l,)| (CoroState::Done, Some(l))),
        (preceded(tag(" running, defined at "), location_then_gt),)
            .map(|(l,)| (CoroState::RunningDefined, Some(l))),
        tag(" running>").map(|_| (CoroState::Running, None)),
        tag(">").map(|_| (CoroState::Unknown, None)),
    ))
    .parse(i)?;
    Ok((
        i,
        CoroRepr {
            qualname: qualname.to_string(),
            state,
            location,
        },
    ))
}

// TASK

/// A class name: `Task`, `_GatheringFuture`, `MyTask`.
fn class_name(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_alphanumeric() || c == '_' || c == '.')(i)
}

/// Class, state, name and coroutine: the fields of a Task repr read from the
/// left.
type TaskHead<'a> = (&'a str, &'a str, Option<&'a str>, Option<CoroRepr>);

/// `<Task pending name='Task-2' coro=<f() running at p.py:12> … created at p.py:3>`
/// — also the Future reprs of §4.4, which have no name and no coroutine.
pub fn task_repr(s: &str) -> Option<TaskRepr> {
    let s = s.trim();
    let inner = s.strip_prefix('<')?.strip_suffix('>')?;
    let head = |i| -> IResult<&str, TaskHead<'_>> {
        (
            class_name,                                                          // Task
            preceded(char(' '), take_while1(|c: char| c.is_ascii_alphabetic())), // pending
            opt(preceded(tag(" name="), py_str)),                                // name='Task-2'
            opt(preceded(tag(" coro=<"), coro)), // coro=<f() running at p:1>
        )
            .parse(i)
    };
    let (_, (class, state, name, coro)) = head(inner).ok()?;
    if class.starts_with("Handle") || class.ends_with("Handle") {
        return None;
    }
    Some(TaskRepr {
        class: word(class, &["Task", "_GatheringFuture", "Future"]),
        state: word(state, &["pending", "cancelling", "cancelled", "finished"]),
        name: name.map(str::to_string),
        coro,
        created_at: own_created_at(inner).map(|(_, l)| l),
    })
}

/// `) at `, between a callback's arguments and its definition.
/// Found by its last space ([`crate::text::Last::new_at`]): a path follows.
pub static AT: crate::text::Last = crate::text::Last::new_at(") at ", 4);

/// The repr's own ` created at path:N`, which is always its last field: the
/// text before it and the location.
fn own_created_at(inner: &str) -> Option<(&str, Location)> {
    // By its last space: a path follows it.
    static CREATED_AT: crate::text::Last = crate::text::Last::new_at(" created at ", 11);
    let idx = CREATED_AT.in_(inner)?;
    let loc = location(&inner[idx + " created at ".len()..])?;
    Some((&inner[..idx], loc))
}

// HANDLE

/// `<Handle f() at p.py:3 created at p.py:9>`,
/// `<TimerHandle when=12.5 f(1) at p.py:3 created at p.py:9>`,
/// `<_ThreadSafeHandle …>`, and the 2014 prototype `Handle(<function f at 0x…>, ())`.
pub fn handle_repr(s: &str) -> Option<HandleRepr> {
    let s = s.trim();
    if let Some(proto) = s.strip_prefix("Handle(") {
        return Some(HandleRepr {
            class: "Handle".into(),
            callback: callback_name(proto)?,
            location: None,
            created_at: None,
        });
    }
    let inner = s.strip_prefix('<')?.strip_suffix('>')?;
    let parsed: IResult<&str, (&str, Option<&str>, Option<&str>)> = (
        alt((tag("TimerHandle"), tag("_ThreadSafeHandle"), tag("Handle"))), // class
        opt(tag(" cancelled")),                                             // state
        opt(preceded(
            tag(" when="),
            take_while1(|c: char| c.is_ascii_digit() || c == '.' || c == 'e' || c == '-'),
        )),
    )
        .parse(inner);
    let (rest, (class, _, _)) = parsed.ok()?;
    let rest = rest.strip_prefix(' ')?;
    let (rest, created_at) = match own_created_at(rest) {
        Some((before, loc)) => (before, Some(loc)),
        None => (rest, None),
    };
    // The callback's definition: ` at path:N` right after the arguments'
    // closing parenthesis. Arguments may themselves contain ` at x.py:1`, so
    // take the last one.
    let (callback, location) = match AT.in_(rest) {
        Some(idx) => match location(&rest[idx + ") at ".len()..]) {
            Some(loc) => (&rest[..idx + 1], Some(loc)),
            None => (rest, None),
        },
        None => (rest, None),
    };
    Some(HandleRepr {
        class: word(class, &["Handle", "TimerHandle", "_ThreadSafeHandle"]),
        callback: callback_name(callback)?,
        location,
        created_at,
    })
}

/// The callback's name in an `Exception in callback` message.
pub fn callback_name_of(cb: &str) -> Option<String> {
    callback_name(cb)
}

/// The callback's name: `f` in `f(1, 2)`, `Service.on_tick` in
/// `Service.on_tick()`, `f` in `<function f at 0x…>(…)` and
/// `Task._step` in `<bound method Task._step of …>`.
fn callback_name(cb: &str) -> Option<String> {
    let cb = cb.trim();
    if let Some(obj) = cb.strip_prefix('<') {
        for lead in ["function ", "bound method ", "built-in method ", "method "] {
            if let Some(r) = obj.strip_prefix(lead) {
                let end = r.find([' ', '>']).unwrap_or(r.len());
                return Some(r[..end].to_string());
            }
        }
        let end = obj.find([' ', '>']).unwrap_or(obj.len());
        return Some(obj[..end].to_string());
    }
    let end = cb.find('(').unwrap_or(cb.len());
    let name = cb[..end].trim();
    (!name.is_empty()).then(|| name.to_string())
}

// FRAMES

/// nom's `take_until(word)`, given where the word was `found` by a
/// searcher built once (`text::First`, `text::FirstBy`): the parsers
/// below read every coroutine repr and traceback line with one.
fn take_until(found: Option<usize>, i: &str) -> IResult<&str, &str> {
    match found {
        Some(at) => Ok((&i[at..], &i[..at])),
        None => Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::TakeUntil,
        ))),
    }
}

/// `take_until("()")`: a coroutine's qualname.
fn until_parens(i: &str) -> IResult<&str, &str> {
    static PARENS: crate::text::First = crate::text::First::new("()");
    take_until(PARENS.in_(i), i)
}

/// `take_until("\", line")`: a traceback line's path.
fn until_line_tag(i: &str) -> IResult<&str, &str> {
    // By its quote: a path is short, and seldom holds one.
    static TAG: crate::text::FirstBy = crate::text::FirstBy::new("\", line", 0);
    take_until(TAG.in_(i), i)
}

/// `File "p.py", line 12, in f` (traceback) or `File "p.py", lineno 12`
/// (tracemalloc), leading spaces already removed.
pub fn frame_line(i: &str) -> IResult<&str, Frame> {
    frame_ref(i).map(|(i, f)| (i, f.into_frame()))
}

/// A frame line's fields, borrowed from it: what [`frame_line`] reads,
/// before a frame that is kept is made to own them.
#[derive(Debug, Clone, Copy)]
pub struct FrameRef<'a> {
    path: &'a str,
    line: &'a str,
    function: Option<&'a str>,
}

impl FrameRef<'_> {
    /// The frame, owning its strings.
    pub fn into_frame(self) -> Frame {
        Frame {
            path: self.path.to_string(),
            line: self.line.parse().unwrap_or(0),
            function: self.function.map(|f| f.trim_end().to_string()),
        }
    }
}

/// [`frame_line`] without the allocation.
///
/// Written out byte by byte (every line of a record is tried): what the
/// nom sequence [`frame_ref_nom`] reads, which the tests compare it with.
pub fn frame_ref(i: &str) -> IResult<&str, FrameRef<'_>> {
    let no = || nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Tag));
    let after = i.strip_prefix("File \"").ok_or_else(no)?;
    let (rest, path) = until_line_tag(after)?;
    let rest = rest.strip_prefix("\", line").ok_or_else(no)?;
    let rest = rest.strip_prefix("no").unwrap_or(rest);
    let rest = rest.strip_prefix(' ').ok_or_else(no)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(no());
    }
    let (line, rest) = rest.split_at(digits);
    let (rest, function) = match rest.strip_prefix(", in ") {
        Some(function) => ("", Some(function)),
        None => (rest, None),
    };
    Ok((
        rest,
        FrameRef {
            path,
            line,
            function,
        },
    ))
}

/// [`frame_ref`] as a nom sequence.
#[cfg(test)]
fn frame_ref_nom(i: &str) -> IResult<&str, FrameRef<'_>> {
    let (i, (_, path, _, _, _, line, function)) = (
        tag("File \""),                               // File "
        nom::bytes::complete::take_until("\", line"), // p.py
        tag("\", line"),                              // ", line
        opt(tag("no")),                               // (tracemalloc: lineno)
        char(' '),
        nom::character::complete::digit1,                   // 12
        opt(preceded(tag(", in "), nom::combinator::rest)), // , in f
    )
        .parse(i)?;
    Ok((
        i,
        FrameRef {
            path,
            line,
            function,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_reader_reads_what_the_nom_sequence_reads() {
        type Read<'a> = Option<(&'a str, &'a str, &'a str, Option<&'a str>)>;
        fn read<'a>(r: IResult<&'a str, FrameRef<'a>>) -> Read<'a> {
            r.ok().map(|(rest, f)| (rest, f.path, f.line, f.function))
        }
        let mut lines = crate::text::project_lines();
        lines.extend(
            [
                "File \"a.py\", line 3, in f",
                "File \"a.py\", lineno 3",
                "File \"a.py\", line 3",
                "File \"a.py\", line x",
                "File \"a.py\", line ",
                "File \"a.py\", linen 3",
                "File \"a.py\", line 3,in f",
                "File \"a\", line 1\", line 2, in g",
                "File \"a\"b.py\", line 3, in f",
                "File \"a\"\", line 3, in f",
                "File \"\"\", line 3",
                "File \"a.py\"",
                "File \"a.py\" line 3",
                "File \"é.py\", line 3, in ü",
                "File \"",
            ]
            .map(String::from),
        );
        let mut frames = 0;
        for l in &lines {
            let t = crate::text::trim_start(l);
            assert_eq!(read(frame_ref(t)), read(frame_ref_nom(t)), "{t:?}");
            frames += frame_ref(t).is_ok() as usize;
        }
        assert!(frames > 1000, "{frames} frame lines");
    }

    #[test]
    fn py_str_handles_quotes_and_escapes() {
        assert_eq!(py_str("'Task-7' coro"), Ok((" coro", "Task-7")));
        assert_eq!(py_str(r#""it's" x"#), Ok((" x", "it's")));
        assert_eq!(py_str(r"'a \'b\' <c>' rest"), Ok((" rest", r"a \'b\' <c>")));
        assert!(py_str("'open").is_err());
    }

    #[test]
    fn coro_forms() {
        let (r, c) = coro("handler() running at /app/api.py:88> wait_for=<x>").unwrap();
        assert_eq!(r, " wait_for=<x>");
        assert_eq!(c.qualname, "handler");
        assert_eq!(c.location, location("/app/api.py:88"));
        let (_, c) = coro("Outer.<locals>.f() done, defined at /dir with space/a.py:3>").unwrap();
        assert_eq!(c.state, CoroState::Done);
        assert_eq!(c.location.unwrap().path, "/dir with space/a.py");
        let (_, c) = coro("main() running at <string>:5>").unwrap();
        assert_eq!(c.location.unwrap().path, "<string>");
        let (_, c) = coro("w() done,\ndefined at/usr/x.py:520>").unwrap();
        assert_eq!(c.location.unwrap().line, 520);
        let (_, c) = coro("native()>").unwrap();
        assert_eq!(c.state, CoroState::Unknown);
    }

    #[test]
    fn task_repr_with_tricky_name_and_nested_fields() {
        let t = task_repr(
            "<Task pending name='a \\'b\\' coro=<x() running at /f.py:1> took 9.999 seconds' \
             coro=<real() running at /app/r.py:7> wait_for=<Future pending cb=[Task.task_wakeup()] \
             created at /usr/lib/python3.11/asyncio/base_events.py:427> created at /app/r.py:20>",
        )
        .unwrap();
        assert_eq!(t.state, "pending");
        let c = t.coro.unwrap();
        assert_eq!(c.qualname, "real");
        assert_eq!(c.location, location("/app/r.py:7"));
        assert_eq!(t.created_at, location("/app/r.py:20"));
    }

    #[test]
    fn task_repr_without_own_created_at_ignores_nested_one() {
        let t = task_repr(
            "<Task pending coro=<f() running at /a.py:1> wait_for=<Future pending created at /b.py:2> \
             cb=[g() at /c.py:3]>",
        )
        .unwrap();
        assert_eq!(t.created_at, None);
        let t = task_repr("<Task pending coro=<f() running at /a.py:1> wait_for=<Future pending created at /b.py:2>>").unwrap();
        assert_eq!(t.created_at, None);
    }

    #[test]
    fn handle_reprs() {
        let h = handle_repr("<Handle flush_metrics() at /app/m.py:12 created at /app/m.py:18>")
            .unwrap();
        assert_eq!(h.callback, "flush_metrics");
        assert_eq!(h.location, location("/app/m.py:12"));
        assert_eq!(h.created_at, location("/app/m.py:18"));
        let h = handle_repr(
            "<TimerHandle when=12768.78 _set_result_unless_cancelled(<Future finis...events.py:424>, None) \
             at /x/futures.py:308 created at /x/tasks.py:651>",
        )
        .unwrap();
        assert_eq!(h.class, "TimerHandle");
        assert_eq!(h.callback, "_set_result_unless_cancelled");
        assert_eq!(h.location.unwrap().line, 308);
        let h = handle_repr("<Handle Service.on_tick()>").unwrap();
        assert_eq!(
            (h.callback.as_str(), h.location, h.created_at),
            ("Service.on_tick", None, None)
        );
        let h = handle_repr("<Handle f('x at y.py:1') at /a.py:2>").unwrap();
        assert_eq!(h.location, location("/a.py:2"));
        let h = handle_repr("Handle(<bound method Task._step of Task(<coro>)<result=None>>, ())")
            .unwrap();
        assert_eq!(h.callback, "Task._step");
    }

    #[test]
    fn frames() {
        let (_, f) = frame_line("File \"/app/a b.py\", line 13, in handle").unwrap();
        assert_eq!(
            (f.path.as_str(), f.line, f.function.as_deref()),
            ("/app/a b.py", 13, Some("handle"))
        );
        let (_, f) = frame_line("File \"/x/runs.py\", lineno 1322").unwrap();
        assert_eq!((f.line, f.function), (1322, None));
    }

    #[test]
    fn locations() {
        assert_eq!(
            location("C:\\Python311\\Lib\\aio.py:177").unwrap().path,
            "C:\\Python311\\Lib\\aio.py"
        );
        assert_eq!(location("no-line"), None);
        assert_eq!(location("sys:1").unwrap().line, 1);
    }
}

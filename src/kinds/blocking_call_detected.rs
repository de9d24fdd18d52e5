//! A framework's own detector saw a blocking call in the event loop (Home
//! Assistant's `Detected blocking call to open inside the event loop by
//! integration '…' at PATH, line N: …`) (AIO104).

use super::{KindSpec, Placed, Tally};
use crate::aggregate::{times, Group};
use crate::correlate::{loc_site, Basis, Finding};
use crate::event::{Location, Unrecognized};
use crate::render::markdown::inline;
use crate::rules::Rule;

/// A blocking call that a framework's detector reported from inside the
/// event loop (Home Assistant's `homeassistant.util.loop`, formerly
/// `util.async_`), in any of its wordings:
///
/// * `Detected blocking call to FUNC inside the event loop by [custom
///   ]integration 'NAME' at PATH, line N: CODE (offender: PATH, line N:
///   CODE), please …` (2024.5+),
/// * the same without `(offender: …)` (2023–2024),
/// * `Detected blocking call inside the event loop. This is causing
///   stability issues. Please report issue[ to the custom component author]
///   for NAME doing blocking calls at PATH, line N: CODE` (2021–2022).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockingCallDetected {
    /// The blocking function (`open`, `sleep`, `import_module`), when named.
    pub function: Option<String>,
    /// The integration whose code made the call.
    pub integration: Option<String>,
    /// The integration's line (`PATH, line N`), relative to the config
    /// directory as printed.
    pub location: Option<Location>,
    /// The code on that line.
    pub code: Option<String>,
    /// Where the blocking call itself ran (`offender:`), when printed.
    pub offender: Option<Location>,
}

/// `PATH, line N` at the start of `s`: the location and the rest after it.
fn path_comma_line(s: &str) -> Option<(Location, &str)> {
    let i = s.find(", line ")?;
    let rest = &s[i + ", line ".len()..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let line: u32 = rest[..digits].parse().ok()?;
    Some((
        Location {
            path: s[..i].trim().to_string(),
            line,
        },
        &rest[digits..],
    ))
}

/// See [`BlockingCallDetected`].
fn blocking_call_detected(first: &str) -> Option<BlockingCallDetected> {
    let msg = &first[first.find("Detected blocking call ")?..];
    let function = msg
        .strip_prefix("Detected blocking call to ")
        .and_then(|r| r.split(' ').next())
        .map(str::to_string);
    let integration = msg
        .find("integration '")
        .map(|i| &msg[i + "integration '".len()..])
        .and_then(|r| r.split('\'').next())
        .or_else(|| {
            // The older wording: `… for NAME doing blocking calls at …`.
            let i = msg.find(" for ")?;
            let r = &msg[i + " for ".len()..];
            Some(&r[..r.find(" doing blocking calls")?])
        })
        .map(str::to_string);
    let at = msg.find("' at ").map(|i| i + "' at ".len()).or_else(|| {
        msg.find("blocking calls at ")
            .map(|i| i + "blocking calls at ".len())
    })?;
    let (location, rest) = path_comma_line(&msg[at..])?;
    let rest = rest.strip_prefix(": ").unwrap_or(rest);
    let (code, offender) = match rest.find(" (offender: ") {
        Some(i) => (
            &rest[..i],
            path_comma_line(&rest[i + " (offender: ".len()..]).map(|(l, _)| l),
        ),
        None => (rest.split(", please ").next().unwrap_or(rest), None),
    };
    Some(BlockingCallDetected {
        function,
        integration,
        location: Some(location),
        code: Some(code.trim().to_string()).filter(|c| !c.is_empty()),
        offender,
    })
}

impl KindSpec for BlockingCallDetected {
    const NAME: &'static str = "blocking_call_detected";
    const TITLE: &'static str = "Blocking calls a framework detected";
    const HELP: &'static str = "Blocking calls a framework detected (Home Assistant)";
    const MARKERS: &'static [&'static str] = &["Detected blocking call "];
    const TABLE_NOTE: &'static str =
        "Ranked by count. Home Assistant's detector names the integration's line that made a blocking \
         call (open, sleep, import_module …) in the event loop; the path is relative to its config \
         directory. Move the call into an executor (hass.async_add_executor_job).";
    const RULES: &'static [Rule] = &[
    Rule {
        code: "AIO104",
        name: "blocking-call-detected",
        kind: super::Kind::BlockingCallDetected,
        summary: "a framework's detector saw a blocking call made in the event loop",
        why: "Home Assistant wraps blocking functions (open, time.sleep, import_module, HTTP \
              requests) and reports when one runs in the event loop: everything else in the process \
              waits for it, and newer versions refuse the call outright.",
        fix: "Run the call in an executor (`await hass.async_add_executor_job(func, ...)`, \
              `asyncio.to_thread`), use an async library, or do the work once at setup.",
        example_log: r#"2023-12-19 16:23:26.083 WARNING (MainThread) [homeassistant.util.async_] Detected blocking call to sleep inside the event loop by custom integration 'open_epaper_link' at custom_components/open_epaper_link/__init__.py, line 24: time.sleep(delay), please create a bug report at https://github.com/jonasniesner/open_epaper_link_homeassistant/issues"#,
        example_fix: r#"# before
config = load_yaml(filename)
# after
config = await hass.async_add_executor_job(load_yaml, filename)"#,
    },
    ];

    fn parse(first: &str, _text: &str) -> Option<Result<Self, Unrecognized>> {
        first.contains("Detected blocking call ").then(|| {
            blocking_call_detected(first).ok_or_else(|| {
                Unrecognized::new("`Detected blocking call` line without `at PATH, line N`")
            })
        })
    }

    fn subject(&self) -> Option<String> {
        self.function.clone()
    }

    fn location(&self) -> Option<Location> {
        self.location.clone()
    }

    fn site(&self) -> Placed {
        let detail = self.code.clone();
        match self.location.as_ref().and_then(|l| loc_site(l, None)) {
            Some(site) => (Some(site), Basis::DetectedAt, detail),
            None => (None, Basis::Unknown, detail),
        }
    }

    fn why(g: &Group, short: &str) -> String {
        format!(
            "the framework detected a blocking call here {}; {short}",
            times(g.count)
        )
    }

    fn live(f: &Finding, subject: &str) -> String {
        match &f.detail {
            Some(d) => format!("blocking call to {subject}() in the event loop: {d}"),
            None => format!("blocking call to {subject}() in the event loop"),
        }
    }

    fn symptom(t: &Tally) -> String {
        format!(
            "- The framework detected {} blocking call(s) in the event loop, at {} site(s).",
            t.events, t.sites
        )
    }

    fn questions(g: &Group, site: &str) -> Vec<String> {
        vec![
            format!(
                "Why does the code at {site} call {} in the event loop?",
                inline(g.subject.as_deref().unwrap_or("a blocking function"))
            ),
            "Can it run in an executor (`hass.async_add_executor_job`, `asyncio.to_thread`) or be done once at setup?".into(),
            "Give the corrected code.".into(),
        ]
    }
}

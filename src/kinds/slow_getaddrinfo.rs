//! `Getting address info HOST:PORT took N ms` at INFO level (FORMATS.md
//! §3.6): a name lookup at least as slow as the slow-callback threshold
//! (AIO103).

use super::{KindSpec, Placed, Tally};
use crate::aggregate::{times, Group};
use crate::correlate::{Basis, Finding};
use crate::event::Unrecognized;
use crate::rules::Rule;

/// `Getting address info HOST:PORT[, …] took N.NNNms: …` at INFO level: a
/// `loop.getaddrinfo()` at least as slow as `slow_callback_duration`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlowGetaddrinfo {
    /// `host:port` as printed.
    pub address: String,
    /// Milliseconds the lookup took.
    pub millis: f64,
}

/// The slow-callback threshold asyncio uses unless the program changes it
/// (`loop.slow_callback_duration`), in milliseconds: a name lookup this slow
/// is logged at INFO instead of DEBUG.
pub const SLOW_LOOKUP_MS: f64 = 100.0;

/// `Getting address info localhost:8080 took 152.542ms: [...]`, when the
/// lookup took at least [`SLOW_LOOKUP_MS`]. The line has the same text at
/// DEBUG (fast) and INFO (slow) level; the duration tells them apart without
/// the level, which not every log keeps. A fast one is a debug line.
fn slow_getaddrinfo(first: &str) -> Option<SlowGetaddrinfo> {
    let rest = &first[first.find("Getting address info ")? + "Getting address info ".len()..];
    let took = rest.find(" took ")?;
    let after = &rest[took + " took ".len()..];
    let ms_end = after.find("ms")?;
    let millis: f64 = after[..ms_end].trim().parse().ok()?;
    if millis < SLOW_LOOKUP_MS {
        return None;
    }
    // `host:port, family=…, type=…`: the address is what comes before the
    // first `, `.
    let address = rest[..took].split(", ").next()?.to_string();
    Some(SlowGetaddrinfo { address, millis })
}

impl KindSpec for SlowGetaddrinfo {
    const NAME: &'static str = "slow_getaddrinfo";
    const TITLE: &'static str = "Slow name lookups";
    const HELP: &'static str = "Slow name lookups";
    // The scan finds `Getting address info ` among debug mode's lines
    // ([`crate::kinds::debug_lines::MARKERS`]); only the slow ones are this kind.
    const MARKERS: &'static [&'static str] = &[];
    const TABLE_NOTE: &'static str =
        "Ranked by count. asyncio names the host, not a line: each lookup took at least the \
         slow-callback threshold. The loop is not blocked, but every connection to the host waits.";
    const RULES: &'static [Rule] = &[
    Rule {
        code: "AIO103",
        name: "slow-name-lookup",
        kind: super::Kind::SlowGetaddrinfo,
        summary: "a host name lookup took at least the slow-callback threshold",
        why: "asyncio resolves names in a thread, so the loop is not blocked, but every connection to \
              the host waits for the lookup; a slow DNS server stalls the requests behind it.",
        fix: "Resolve once and reuse the address, cache lookups (aiohttp's `ttl_dns_cache`, a local \
              caching resolver), or fix the resolver configuration (search domains, unreachable servers).",
        example_log: r#"INFO:asyncio:Getting address info backend:8080 took 152.542ms: [(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('10.0.0.7', 8080))]"#,
        example_fix: r#"# before
connector = aiohttp.TCPConnector(use_dns_cache=False)
# after
connector = aiohttp.TCPConnector(ttl_dns_cache=300)"#,
    },
    ];

    fn parse(first: &str, _text: &str) -> Option<Result<Self, Unrecognized>> {
        slow_getaddrinfo(first).map(Ok)
    }

    fn subject(&self) -> Option<String> {
        Some(self.address.clone())
    }

    // The line names a host, not a line of code.
    fn site(&self) -> Placed {
        (
            None,
            Basis::Unknown,
            Some(format!("took {:.1} ms", self.millis)),
        )
    }

    fn why(g: &Group, _short: &str) -> String {
        format!(
            "a name lookup took at least 100 ms {}; connections wait for it",
            times(g.count)
        )
    }

    fn live(f: &Finding, subject: &str) -> String {
        match &f.detail {
            Some(d) => format!("name lookup of {subject} {d}"),
            None => format!("name lookup of {subject} was slow"),
        }
    }

    fn symptom(t: &Tally) -> String {
        format!(
            "- {} name lookup(s) took at least 100 ms, for {} address(es).",
            t.events, t.sites
        )
    }

    fn questions(g: &Group, _site: &str) -> Vec<String> {
        vec![
            format!(
                "Why does resolving {} take so long (DNS server, search domains, IPv6)?",
                crate::render::markdown::inline(g.subject.as_deref().unwrap_or("?"))
            ),
            "Should the address be cached, resolved once at start, or configured as an IP?".into(),
            "Give the corrected configuration or code.".into(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use crate::event::{parse_record, Parsed};
    use crate::kinds::Event;

    #[test]
    fn getaddrinfo_is_a_finding_only_when_slow() {
        let slow = "Getting address info localhost:8080, type=<SocketKind.SOCK_STREAM: 1> took 152.542ms: [(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('127.0.0.1', 8080))]";
        let Ok(Parsed::Event(Event::SlowGetaddrinfo(g))) = parse_record(slow) else {
            panic!("{:?}", parse_record(slow))
        };
        assert_eq!(g.address, "localhost:8080");
        assert!((g.millis - 152.542).abs() < 1e-9);
        let fast = "Getting address info localhost:8080 took 0.412ms: []";
        assert!(matches!(parse_record(fast), Ok(Parsed::DebugLine(_))));
        assert!(matches!(
            parse_record("Get address info localhost:8080"),
            Ok(Parsed::DebugLine(_))
        ));
    }
}

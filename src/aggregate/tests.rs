//! The aggregate stage's unit tests.
use super::*;
use crate::correlate::{Basis, FindingFields};

fn finding(kind: Kind, line: u32, secs: Option<f64>, ts: &str) -> Finding {
    FindingFields {
        kind,
        subject: Some("f".into()),
        location: None,
        created_at: None,
        seconds: secs,
        site: Some(Site {
            path: "/app/a.py".into(),
            line,
            function: Some("f".into()),
        }),
        basis: Basis::SuspendedAfterSlowStep,
        timestamp: Some(ts.into()),
        input: "x.log".into(),
        line_no: 1,
        detail: None,
        code: "AIO101",
        record: "Executing <Handle f() at /app/a.py:1> took 0.100 seconds".into(),
        context_before: Default::default(),
        context_after: Default::default(),
        during_shutdown: false,
        pid: None,
        step_of: None,
        object: None,
        occurrences: 1,
        host: None,
    }
    .into()
}

#[test]
fn ranks_blocking_by_total_then_count() {
    let mut a = Aggregator::new();
    a.add(&finding(
        Kind::SlowCallback,
        1,
        Some(1.0),
        "2024-01-01T00:00:02",
    ));
    for _ in 0..5 {
        a.add(&finding(
            Kind::SlowCallback,
            2,
            Some(0.3),
            "2024-01-01T00:00:01",
        ));
    }
    let r = a.ranked();
    assert_eq!(r[0].group.key.site.as_ref().unwrap().line, 2);
    assert_eq!(r[0].group.total_ms(), 1500);
    assert_eq!(r[0].group.count, 5);
    assert_eq!(r[1].group.max_ms(), Some(1000));
    assert!(
        r[0].why.starts_with("blocked the loop 5 times for 1.500 s"),
        "{}",
        r[0].why
    );
}

#[test]
fn distinct_sites_beyond_the_cap_go_to_one_other_group() {
    let mut a = Aggregator::new();
    for line in 0..(MAX_GROUPS as u32 + 500) {
        a.add(&finding(Kind::SlowCallback, line, Some(0.1), "t"));
    }
    assert_eq!(a.groups.len(), MAX_GROUPS + 1);
    let r = a.ranked();
    let other: Vec<_> = r.iter().filter(|x| x.group.key.other).collect();
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].group.count, 500);
    assert_eq!(a.events, MAX_GROUPS as u64 + 500);
}

#[test]
fn p95_is_nearest_rank() {
    let mut a = Aggregator::new();
    for ms in 1..=100u64 {
        a.add(&finding(
            Kind::SlowCallback,
            1,
            Some(ms as f64 / 1000.0),
            "t",
        ));
    }
    let g = &a.ranked()[0].group;
    assert_eq!(g.p95_ms(), Some(95));
    assert_eq!(g.max_ms(), Some(100));
    assert_eq!(g.total_ms(), 5050);
}

#[test]
fn merge_equals_one_run() {
    let fs: Vec<Finding> = (0..20)
        .map(|i| {
            finding(
                Kind::SlowCallback,
                i % 3,
                Some(i as f64 / 10.0),
                &format!("2024-01-01T00:00:{i:02}"),
            )
        })
        .collect();
    let mut whole = Aggregator::new();
    fs.iter().for_each(|f| whole.add(f));
    let (mut a, mut b) = (Aggregator::new(), Aggregator::new());
    fs[..7].iter().for_each(|f| a.add(f));
    fs[7..].iter().for_each(|f| b.add(f));
    a.merge(b);
    assert_eq!(a.ranked(), whole.ranked());
    // Taken out, the groups rank the same, and none is left.
    let ranked = a.ranked();
    assert!(ranked.len() > 1);
    assert_eq!(a.take_ranked(), ranked);
    assert!(a.ranked().is_empty());
}

#[test]
fn other_kinds_rank_by_count_and_keep_first_and_last_seen() {
    let mut a = Aggregator::new();
    a.add(&finding(Kind::NeverAwaited, 1, None, "2024-01-01T00:00:05"));
    a.add(&finding(Kind::NeverAwaited, 2, None, "2024-01-01T00:00:01"));
    a.add(&finding(Kind::NeverAwaited, 2, None, "2024-01-01T00:00:09"));
    let r = a.ranked();
    assert_eq!(r[0].group.count, 2);
    assert_eq!(
        r[0].group.first_seen.as_deref(),
        Some("2024-01-01T00:00:01")
    );
    assert_eq!(r[0].group.last_seen.as_deref(), Some("2024-01-01T00:00:09"));
}

#[test]
fn a_histogram_is_sorted_exact_and_written_as_a_map() {
    let mut h = Histogram::default();
    for (ms, n) in [(300, 1), (150, 2), (300, 4), (u64::MAX, 1)] {
        h.add(ms, n);
    }
    assert_eq!(
        h.iter().collect::<Vec<_>>(),
        [(150, 2), (300, 5), (u64::from(u32::MAX), 1)]
    );
    assert_eq!(h.max(), Some(u64::from(u32::MAX)));
    let json = serde_json::to_string(&h).unwrap();
    assert_eq!(json, r#"{"150":2,"300":5,"4294967295":1}"#);
    let back: Histogram = serde_json::from_str(&json).unwrap();
    assert_eq!(back, h);
}

/// Lines with request ids in several spellings.
const ID_LINES: &[&str] = &[
    "GET / 200 request_id=d72c1692509d2c5e",
    r#"{"trace_id": "abc:def.1", "x": 1}"#,
    "Request-ID:\t 'q1w2e3' rid=zz9 correlation_id = \"7f-3\"",
    "X-Request-Id:\u{a0}a.b:c=d request_id=='x'",
    "traceid:'aa' requestid=bb TRACE-ID = CC",
];

#[test]
fn the_id_of_a_match_is_its_group() {
    let re = id_pattern();
    let mut n = 0;
    for &l in ID_LINES {
        let by_group: Vec<&str> = re
            .captures_iter(l)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        let by_match: Vec<&str> = re.find_iter(l).map(|m| id_of_match(m.as_str())).collect();
        assert_eq!(by_group, by_match, "{l}");
        n += by_group.len();
    }
    assert!(n >= 6, "{n}");
}

#[test]
fn ascii_lines_give_the_regexs_ids_without_it() {
    let re = id_pattern();
    let mut lines = crate::text::project_lines();
    lines.extend(ID_LINES.iter().map(|l| l.to_string()));
    for l in [
        "ax-request-id=abc grid=1234 _rid=5555 x-rid=6666",
        "request_id=ab request_id=abc rid=\"\"'x' rid= 'abcd",
        "rid:abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrid=tail",
        "request__id=abc request_-id=abc Request_Id\u{0b}:\u{0c}zz9",
        "correlationid=1.2.3 Correlation-Id=ok trace=abc id=abc rid",
    ] {
        lines.push(l.to_string());
    }
    let mut found = 0;
    for l in lines.iter().filter(|l| l.is_ascii()) {
        let by_regex: Vec<&str> = re.find_iter(l).map(|m| id_of_match(m.as_str())).collect();
        let mut by_hand = Vec::new();
        ascii_ids(l, |id| by_hand.push(id));
        assert_eq!(by_hand, by_regex, "{l}");
        // A finding's ids: the first eight distinct, read from the line's
        // first `id` on.
        let mut distinct: Vec<&str> = Vec::new();
        for id in &by_regex {
            if distinct.len() < 8 && !distinct.contains(id) {
                distinct.push(id);
            }
        }
        assert_eq!(request_ids(std::iter::once(l.as_str())), distinct, "{l}");
        found += by_hand.len();
    }
    assert!(found >= 20, "{found} ids");
}

#[test]
fn the_id_search_finds_what_the_byte_reference_finds() {
    // Random bytes around the 16-byte blocks, the pair in every case at
    // every place, and the bytes that become `i` or `d` with 0x20 unset.
    let alphabet = b"iIdDxI\x49\x69\x44\x64\xc9\xe9\x89@`-";
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut lines: Vec<Vec<u8>> = crate::text::project_lines()
        .into_iter()
        .map(String::into_bytes)
        .collect();
    for len in 0..60usize {
        for _ in 0..100 {
            lines.push(
                (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        alphabet[(seed % alphabet.len() as u64) as usize]
                    })
                    .collect(),
            );
        }
        for pair in [*b"id", *b"ID", *b"iD", *b"Id"] {
            for at in 0..len.saturating_sub(1) {
                let mut l = vec![b'a'; len];
                l[at..at + 2].copy_from_slice(&pair);
                lines.push(l);
            }
        }
    }
    let mut found = 0;
    for l in &lines {
        for from in 0..=l.len().min(40) {
            let want = ids::next_id_bytes(l, from);
            assert_eq!(
                ids::next_id(l, from),
                want,
                "{:?} from {from}",
                String::from_utf8_lossy(l)
            );
            found += usize::from(want.is_some());
        }
    }
    assert!(found > 10_000, "{found}");
}

#[test]
fn lines_kept_together_give_the_ids_of_each_line() {
    // Context lines joined with newlines are read at once: no id may run
    // from one line into the next (`request_id=` at a line's end, its
    // value on the next).
    let mut lines = crate::text::project_lines();
    lines.extend(ID_LINES.iter().map(|l| l.to_string()));
    let split: crate::text::Lines = ["x request_id=", "abc123 y", "rid =", " 'zz9'", "trace_id"]
        .into_iter()
        .collect();
    let (empty, mut none) = (crate::text::Lines::default(), Vec::new());
    ids::each_request_id_in([&split, &empty], |id| none.push(id));
    assert!(none.is_empty(), "{none:?}");
    let mut found = 0;
    for chunk in lines.chunks(5) {
        let (before, after) = chunk.split_at(chunk.len() / 2);
        let by_line = request_ids(before.iter().chain(after).map(String::as_str));
        let joined: [crate::text::Lines; 2] = [
            before.iter().map(String::as_str).collect(),
            after.iter().map(String::as_str).collect(),
        ];
        let mut together = Vec::new();
        ids::each_request_id_in([&joined[0], &joined[1]], |id| together.push(id.to_string()));
        assert_eq!(together, by_line, "{chunk:#?}");
        found += by_line.len();
    }
    assert!(found >= 20, "{found} ids");
}

#[test]
fn a_long_timeline_is_thinned_the_same_in_one_pass_and_in_parts() {
    let points: Vec<Finding> = (0..20_000u32)
        .map(|i| {
            let ts = format!(
                "2024-05-01T{:02}:{:02}:{:02}.{:03}",
                i / 3600 % 24,
                i / 60 % 60,
                i % 60,
                i % 1000
            );
            finding(
                Kind::SlowCallback,
                1 + i % 50,
                Some(0.1 + f64::from(i % 7) / 100.0),
                &ts,
            )
        })
        .collect();
    let mut whole = Aggregator::new();
    points.iter().for_each(|f| whole.add(f));
    for cut in [1, 7_000, 12_345] {
        let (mut first, mut second) = (Aggregator::new(), Aggregator::new());
        points[..cut].iter().for_each(|f| first.add(f));
        points[cut..].iter().for_each(|f| second.add(f));
        first.merge(second);
        let (parts, one) = (first.timeline(), whole.timeline());
        assert!(
            parts == one,
            "cut at {cut}: {} points against {}",
            parts.len(),
            one.len()
        );
    }
    // Thinned, and spread over the whole log.
    let t = whole.timeline();
    assert!(
        t.len() < MAX_TIMELINE && t.len() > MAX_TIMELINE / 4,
        "{}",
        t.len()
    );
    let in_hour = |h: &str| t.iter().filter(|p| p.ts.starts_with(h)).count();
    for h in ["2024-05-01T00", "2024-05-01T02", "2024-05-01T04"] {
        assert!(
            in_hour(h) > t.len() / 8,
            "{h}: {} of {}",
            in_hour(h),
            t.len()
        );
    }
}

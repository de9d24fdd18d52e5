use super::*;
use crate::grammar::{Grammars, MESSAGE_TO_END};
use regex::Regex;

/// What the regex says of `line`, in the matcher's terms.
fn by_regex<'a>(re: &Regex, line: &'a str) -> Fast<'a> {
    match re.captures(line) {
        None => Fast::No,
        Some(c) => Fast::Yes(Prefix {
            end: c.get(0).unwrap().end(),
            timestamp: c.name("timestamp").map(|m| m.as_str()),
            level: c.name("level").map(|m| m.as_str()),
            logger: c.name("logger").map(|m| m.as_str()),
            pid: c.name("pid").map(|m| m.as_str()),
        }),
    }
}

/// Lines made from `line` by changing one byte position at a time to each
/// of a few bytes and characters that sit at the patterns' decisions, and
/// by cutting it short.
fn mutations(line: &str) -> Vec<String> {
    const WITH: &[&str] = &[
        " ", "\t", "\u{0b}", "\u{a0}", "\u{2003}", "0", "9", "\u{663}", ":", "-", "[", "]", ",",
        ".", "T", "W", "x", "é", "",
    ];
    let mut out = Vec::new();
    let cut: Vec<usize> = line.char_indices().map(|(i, _)| i).take(60).collect();
    for &i in &cut {
        let next = line[i..].chars().next().map_or(i, |c| i + c.len_utf8());
        for w in WITH {
            out.push(format!("{}{}{}", &line[..i], w, &line[next..]));
            out.push(format!("{}{}{}", &line[..i], w, &line[i..]));
        }
        out.push(line[..i].to_string());
    }
    out
}

#[test]
fn every_matcher_belongs_to_a_builtin_grammar() {
    let g = Grammars::builtin().unwrap();
    for (pattern, _) in FAST.iter().chain(REJECT) {
        assert!(
            g.all().iter().any(|x| x.def.pattern == *pattern),
            "no built-in grammar has the pattern {pattern}: its matcher is never used; \
             update the matcher with the grammar"
        );
    }
}

#[test]
fn every_grammar_but_bare_has_its_first_bytes() {
    let g = Grammars::builtin().unwrap();
    for (pattern, _) in FIRST_BYTES {
        assert!(
            g.all().iter().any(|x| x.def.pattern == *pattern),
            "no built-in grammar has the pattern {pattern}: update FIRST_BYTES with the grammar"
        );
    }
    for x in g.all().iter().filter(|x| x.name != "bare") {
        assert!(
            first_bytes_for(&x.def.pattern).is_some(),
            "{}: no first bytes in FIRST_BYTES: every line it may match then goes through the grammar set",
            x.name
        );
    }
}

/// The lines the tests read: the project's logs, the grammars' samples
/// and counter-samples, mutations of them, and hand-made edges.
fn test_lines(g: &Grammars) -> Vec<String> {
    let mut lines = crate::text::project_lines();
    for x in g.all() {
        for s in &x.samples {
            lines.extend(mutations(&s.line));
            lines.push(s.line.clone());
        }
        lines.extend(x.counter_samples.iter().cloned());
    }
    // Hand-made edges: fractions, pids, the levels that prefix each other.
    for l in [
        "2024-05-01 12:00:00,1234567890 INFO a: b",
        "2024-05-01 12:00:00,123456789 INFO a: b",
        "2024-05-01 12:00:00, INFO a: b",
        "2024-05-01T12:00:00.5\tWARN\tx.y:z",
        "  2024-05-01 12:00:00 [12] WARNING a:",
        "2024-05-01 12:00:00 [12]WARNING a:b",
        "2024-05-01 12:00:00 [] - a - INFO - m",
        "2024-05-01 12:00:00 - a b - INFO - m",
        "2024-05-01 12:00:00 - a - WARNINGS - m",
        "2024-05-01 12:00:00 - a - WARN -\u{a0}m",
        "Level 5:x:y",
        "Level :x:y",
        "Level 5\u{663}:x:y",
        "WARN:x:",
        "WARNING::x",
        "INFO:\u{a0} x",
        "INFO:",
        "",
    ] {
        lines.extend(mutations(l));
        lines.push(l.to_string());
    }
    lines
}

#[test]
fn a_line_a_grammar_matches_begins_with_one_of_its_first_bytes() {
    let g = Grammars::builtin().unwrap();
    let lines = test_lines(&g);
    for (pattern, first) in FIRST_BYTES {
        let re = Regex::new(pattern).unwrap();
        let mut matched = 0;
        for line in lines.iter().filter(|l| re.is_match(l)) {
            matched += 1;
            assert!(first(line.as_bytes()[0]), "{pattern}\non {line:?}");
        }
        assert!(matched > 0, "{pattern}: no line matches");
    }
}

#[test]
fn framing_without_the_set_is_framing_with_it() {
    let g = Grammars::builtin().unwrap();
    let (mut fast, mut all) = (0, 0);
    for line in test_lines(&g) {
        all += 1;
        for wrappers in [true, false] {
            if let Some(f) = g.frame_fast(&line, wrappers) {
                fast += 1;
                let by_set = if wrappers {
                    g.frame_by_set(&line)
                } else {
                    g.records_by_set(&line)
                };
                assert_eq!(f, by_set, "{line:?}");
            }
        }
    }
    assert!(fast > all / 2, "{fast} of {all}");
}

#[test]
fn matchers_agree_with_their_regex() {
    let g = Grammars::builtin().unwrap();
    let lines = test_lines(&g);
    assert!(lines.len() > 10_000, "{} lines", lines.len());
    for (pattern, matcher) in FAST {
        let re = Regex::new(pattern.strip_suffix(MESSAGE_TO_END).unwrap()).unwrap();
        let (mut decided, mut matched) = (0, 0);
        for line in &lines {
            let fast = matcher(line, &mut Seen::default());
            if fast == Fast::Ask {
                continue;
            }
            decided += 1;
            matched += matches!(fast, Fast::Yes(_)) as usize;
            assert_eq!(fast, by_regex(&re, line), "{pattern}\non {line:?}");
        }
        // The comparison covers both answers, and nearly every line is
        // decided without the regex.
        assert!(matched > 50, "{pattern}: {matched} matches");
        assert!(
            decided * 100 > lines.len() * 95,
            "{pattern}: {decided} decided"
        );
    }
}

#[test]
fn a_line_read_by_several_matchers_gets_the_answers_each_gives_alone() {
    // One `Seen` a line, whatever matchers read it before: each answers as
    // it does on a fresh line.
    let g = Grammars::builtin().unwrap();
    let lines = test_lines(&g);
    let matchers: Vec<Matcher> = FAST.iter().chain(REJECT).map(|&(_, m)| m).collect();
    let mut shared_heads = 0;
    for line in &lines {
        let alone: Vec<Fast> = matchers
            .iter()
            .map(|m| m(line, &mut Seen::default()))
            .collect();
        for first in 0..matchers.len() {
            let mut seen = Seen::default();
            for k in (first..matchers.len()).chain(0..first) {
                assert_eq!(
                    matchers[k](line, &mut seen),
                    alone[k],
                    "matcher {k} on {line:?}"
                );
            }
            shared_heads += seen.head.is_some_and(|h| h.is_ok()) as usize;
        }
    }
    assert!(shared_heads > 1000, "{shared_heads} heads shared");
}

#[test]
fn a_rejecters_no_is_the_regexs() {
    let g = Grammars::builtin().unwrap();
    let lines = test_lines(&g);
    for (pattern, rejecter) in REJECT {
        let re = Regex::new(pattern.strip_suffix(MESSAGE_TO_END).unwrap()).unwrap();
        let (mut no, mut ask_matched) = (0, 0);
        for line in &lines {
            match rejecter(line, &mut Seen::default()) {
                Fast::Yes(_) => panic!("{pattern}: a rejecter said yes on {line:?}"),
                Fast::No => {
                    no += 1;
                    assert!(!re.is_match(line), "{pattern}\non {line:?}");
                }
                Fast::Ask => ask_matched += re.is_match(line) as usize,
            }
        }
        assert!(no * 100 > lines.len() * 90, "{pattern}: {no} rejected");
        assert!(ask_matched > 0, "{pattern}: no line it passed on matches");
    }
}

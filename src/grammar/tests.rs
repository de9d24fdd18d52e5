use super::*;

#[test]
fn builtin_grammars_load_and_pass_their_checks() {
    Grammars::check_builtin().unwrap();
    let g = Grammars::builtin().unwrap();
    assert!(g.all().len() >= 5);
    for x in g.all() {
        x.regex();
    }
    let last_record = g.all().iter().rfind(|x| x.layer == Layer::Record).unwrap();
    assert_eq!(last_record.name, "bare");
}

#[test]
fn frames_each_dialect() {
    let g = Grammars::builtin().unwrap();
    let f = g.frame(
        "2024-05-01 12:00:00,123 - asyncio - WARNING - Executing <x> took 1.000 seconds",
        None,
    );
    assert_eq!(g.get(f.grammar).name, "asctime_dashes");
    assert_eq!(f.logger, Some("asyncio"));
    assert_eq!(
        g.normalize_timestamp(&f).as_deref(),
        Some("2024-05-01T12:00:00.123")
    );

    let f = g.frame(
        "2016-11-10 23:34:54.818801500 ERROR:asyncio:Task was destroyed but it is pending!",
        None,
    );
    assert_eq!(g.get(f.grammar).name, "python_basic");
    assert_eq!(
        f.wrapper.map(|w| g.get(w).name.as_str()),
        Some("timestamp_every_line")
    );
    assert_eq!(f.message, "Task was destroyed but it is pending!");
    assert_eq!(
        g.normalize_timestamp(&f).as_deref(),
        Some("2016-11-10T23:34:54.818")
    );

    let f = g.frame("task: <Task pending>", None);
    assert_eq!(g.get(f.grammar).name, "bare");
    assert!(!f.starts_record(&g));
}

#[test]
fn forced_grammar_reads_other_lines_as_bare() {
    let g = Grammars::builtin().unwrap();
    let forced = g.find("python_basic");
    let f = g.frame("2024-05-01 12:00:00,123 WARNING asyncio: hi", forced);
    assert_eq!(g.get(f.grammar).name, "bare");
    let f = g.frame("WARNING:asyncio:hi", forced);
    assert_eq!(f.message, "hi");
}

#[test]
fn check_rejects_bad_grammars() {
    let bad_sample = r#"{"name":"x","title":"t","description":"d","layer":"record","priority":1,
        "pattern":"^(?P<level>[A-Z]+) (?P<message>.*)$",
        "samples":[{"line":"INFO hi","fields":{"level":"INFO","message":"bye"}}]}"#;
    let err = Grammars::load([("x.json".to_string(), bad_sample.to_string())]).unwrap_err();
    assert!(err.to_string().contains("sample 1 yields"), "{err}");

    let partial = r#"{"name":"x","title":"t","description":"d","layer":"record","priority":1,
        "pattern":"(?P<level>[A-Z]+) (?P<message>\\w+)",
        "samples":[{"line":"INFO hi there","fields":{"level":"INFO","message":"hi"}}]}"#;
    let err = Grammars::load([("x.json".to_string(), partial.to_string())]).unwrap_err();
    assert!(err.to_string().contains("entire sample"), "{err}");

    let none = r#"{"name":"x","title":"t","description":"d","layer":"record","priority":1,
        "pattern":"^(?P<message>.*)$","samples":[]}"#;
    let err = Grammars::load([("x.json".to_string(), none.to_string())]).unwrap_err();
    assert!(err.to_string().contains("no samples"), "{err}");

    let source_in_record = r#"{"name":"x","title":"t","description":"d","layer":"record","priority":1,
        "pattern":"^(?P<source>\\w+) (?P<message>.*)$",
        "samples":[{"line":"web hi","fields":{"source":"web","message":"hi"}}]}"#;
    let err = Grammars::load([("x.json".to_string(), source_in_record.to_string())]).unwrap_err();
    assert!(err.to_string().contains("cannot capture `source`"), "{err}");
}

#[test]
fn group_names_are_the_regexs() {
    // Every built-in pattern, and patterns with escapes and classes that
    // could hide a group.
    let g = Grammars::builtin().unwrap();
    let mut patterns: Vec<String> = g.all().iter().map(|x| x.def.pattern.clone()).collect();
    patterns.extend(
        [
            r"^\(?P<level>x\)(?P<message>.*)$",
            r"^[(?P<level>]+(?P<message>.*)$",
            r"^[]()](?P<level>A)(?<message>.*)$",
            r"^[^]\[(]+(?P<a>b)[[:alpha:](]*(?P<message>.*)$",
            r"^\\(?P<level>x)(?P<message>.*)$",
        ]
        .map(String::from),
    );
    for p in &patterns {
        let re = Regex::new(p).unwrap();
        let by_regex: Vec<&str> = re.capture_names().flatten().collect();
        assert_eq!(check::group_names(p), by_regex, "{p}");
    }
    // And the answer framing uses, for every built-in grammar, before and
    // after its pattern is compiled.
    for (i, x) in g.all().iter().enumerate() {
        let framed = g.as_bare("");
        let framed = Framed {
            grammar: i,
            ..framed
        };
        let before = framed.starts_record(&g);
        let levelled = x.regex().capture_names().flatten().any(|n| n == "level");
        assert_eq!(before, levelled, "{}", x.name);
    }
}

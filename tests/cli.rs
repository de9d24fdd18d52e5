//! The command line as a user meets it: errors, exit codes, formats, live
//! streams, Ctrl-C and closed pipes.

use crate::common::*;
use std::io::{Read, Write};
use std::process::Stdio;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn missing_file_is_named_and_exits_2_but_other_inputs_are_still_reported() {
    let o = run(&["no/such/file.log"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read no/such/file.log"),
        "{}",
        stderr(&o)
    );

    let o = run(&["no/such/file.log", &sample("cpu_work.log")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("/app/cpu_work.py:21"), "{}", stdout(&o));
}

#[test]
fn rules_follow_the_format_flag() {
    let o = run(&["rules", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let rules: serde_json::Value = serde_json::from_slice(&o.stdout).expect("rules as JSON");
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), aiolog::rules::RULES.len());
    assert_eq!(rules[0]["code"], aiolog::rules::RULES[0].code);
    assert!(rules.iter().all(|r| r["fix"].is_string()));
    // The text table is the default.
    let text = stdout(&run(&["rules"]));
    assert!(text.starts_with(aiolog::rules::RULES[0].code), "{text}");
}

#[test]
fn an_empty_report_says_what_happened_instead_of_asking_about_debug_mode() {
    let dir = TempDir::new("cli");
    let log = sample("cpu_work.log");
    let summary = |args: &[&str]| {
        let o = run(args);
        let out = stdout(&o);
        out.lines()
            .find(|l| l.starts_with("No "))
            .unwrap_or_else(|| panic!("no summary line in {out}"))
            .to_string()
    };
    // Filtered by a flag.
    let s = summary(&["--kind", "never_awaited", &log]);
    assert!(s.contains("1 finding was filtered out"), "{s}");
    // Every site known from the baseline.
    let baseline = dir.join("baseline.json");
    let o = run(&["baseline", "save", baseline.to_str().unwrap(), &log]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = summary(&["--baseline", baseline.to_str().unwrap(), &log]);
    assert!(
        s.contains("1 finding site is known from the baseline"),
        "{s}"
    );
    // Left out by --owner.
    let s = summary(&["--owner", "@nobody", &log]);
    assert!(s.contains("1 finding site was left out by --owner"), "{s}");
    // Nothing read: a missing log, a missing report.
    let s = summary(&["no/such/file.log"]);
    assert_eq!(
        s,
        "No input was read: 1 input could not be read (see the errors above)."
    );
    let s = summary(&["merge", "no/such/report.json"]);
    assert!(s.starts_with("No input was read"), "{s}");
    for s in [
        summary(&["--kind", "never_awaited", &log]),
        summary(&["no/such/file.log"]),
    ] {
        assert!(!s.contains("Is debug mode on"), "{s}");
    }
    // A log without any warning still asks.
    let empty = dir.file("empty.log", "");
    let s = summary(&[empty.to_str().unwrap()]);
    assert!(s.contains("Is debug mode on?"), "{s}");
    // A log of debug mode's own lines alone: it was on, and says so.
    let s = summary(&[&sample("flow_control.timestamped.log")]);
    assert!(
        s.contains("Debug mode was on: ") && s.contains(" of them are its DEBUG/INFO lines."),
        "{s}"
    );
}

#[test]
fn colour_follows_the_flag_no_color_and_clicolor_force() {
    let log = sample("blocking_sleep.timestamped.log");
    let coloured = |args: &[&str], env: &[(&str, &str)]| -> bool {
        let mut cmd = aiolog();
        cmd.args(args)
            .arg(&log)
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let o = output_of(&mut cmd);
        assert_eq!(o.status.code(), Some(0));
        o.stdout.contains(&0x1b)
    };
    // Into a pipe: no colour unless asked.
    assert!(!coloured(&[], &[]));
    assert!(coloured(&["--color", "always"], &[]));
    assert!(!coloured(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
    assert!(coloured(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!coloured(&[], &[("CLICOLOR_FORCE", "0")]));
    assert!(!coloured(
        &[],
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]
    ));
    assert!(coloured(&["--color", "always"], &[("NO_COLOR", "1")]));
    // An empty NO_COLOR is unset, as no-color.org says.
    assert!(coloured(&[], &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")]));
}

#[test]
fn quiet_prints_the_findings_only() {
    let log = sample("blocking_sleep.timestamped.log");
    let src = root().join("samples/scenarios");
    let map = format!("/app={}", src.display());
    let args = ["--src", src.to_str().unwrap(), "--path-map", &map, &log];
    let loud = stdout(&run(&args));
    let mut q = vec!["-q"];
    q.extend(args);
    let quiet = stdout(&run(&q));
    for s in [&loud, &quiet] {
        assert!(s.contains("/app/blocking_sleep.py:18"), "{s}");
        assert!(s.contains("time.sleep"), "{s}");
    }
    for noise in ["Ranked by", "lines read from", "hint: "] {
        assert!(!quiet.contains(noise), "{noise} in {quiet}");
    }
    assert!(loud.contains("Ranked by") && loud.contains("lines read from"));
}

#[test]
fn errors_have_one_style_whoever_finds_them() {
    // An argument error (clap's) and aiolog's own read the same way.
    for args in [
        &["--bogus"][..],
        &["--format", "yaml", "x.log"],
        &["no/such/file.log"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = stderr(&o);
        assert!(e.starts_with("aiolog: error: "), "{args:?}: {e}");
    }
    // A value from the environment names its variable.
    let o = output_of(aiolog().arg("x.log").env("AIOLOG_FORMAT", "yaml"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with(
            "aiolog: error: invalid value 'yaml' in the environment variable AIOLOG_FORMAT"
        ),
        "{}",
        stderr(&o)
    );
    // Help and version are not errors.
    let o = run(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("aiolog "));
}

#[test]
fn an_informational_subcommands_help_shows_only_its_own_flags() {
    for (args, want, not) in [
        (
            &["rules", "--help"][..],
            &["--format"][..],
            &["--src", "--stats", "--threads", "--fail-on"][..],
        ),
        (
            &["explain", "-h"],
            &["--format", "--all", "[CODE]"],
            &["--src", "--baseline"],
        ),
        (&["help", "grammars"], &["--check"], &["--format", "--src"]),
        (&["man", "--help"], &["--help"], &["--format", "--src"]),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let help = stdout(&o);
        for w in want {
            assert!(help.contains(w), "{args:?} lacks {w}: {help}");
        }
        for n in not {
            assert!(!help.contains(n), "{args:?} shows {n}: {help}");
        }
    }
    // An analysis's help still teaches every flag.
    assert!(stdout(&run(&["--help"])).contains("--src"));
}

#[test]
fn top_says_how_many_sites_it_left_out() {
    let log = sample("blocking_families.log");
    let all = run_json(&[&log])["findings"].as_array().unwrap().len();
    assert!(all > 2, "{all}");
    let out = stdout(&run(&["--top", "1", &log]));
    let kinds = run_json(&["--top", "1", &log])["findings"]
        .as_array()
        .unwrap()
        .len();
    assert!(
        out.contains(&format!(
            "{} finding sites left out by --owner or --top.",
            all - kinds
        )),
        "{out}"
    );
}

/// The README's "Try it" example: its command (after `cargo run --release
/// --`) run from the checkout's root prints exactly the output it shows.
#[test]
fn the_readmes_example_is_the_binarys_real_output() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let cmd = readme
        .lines()
        .find_map(|l| l.trim().strip_prefix("cargo run --release -- "))
        .expect("the README's cargo run command");
    let start = readme.find("The output, as printed to a pipe").unwrap();
    let block = &readme[start..];
    let open = block.find("```\n").unwrap() + 4;
    let close = open + block[open..].find("```\n").unwrap();
    let shown = &block[open..close];
    let o = output_of(
        aiolog()
            .args(cmd.split_whitespace())
            .current_dir(root())
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE"),
    );
    assert_eq!(o.status.code(), Some(0));
    let real = stdout(&o);
    assert!(
        real == shown,
        "README.md's example output is out of date; the binary prints:\n{real}"
    );
}

/// A finding's details are headed by its site, or, without one, by what it
/// is about: never an empty `#3 `.
#[test]
fn every_details_heading_names_something() {
    let mut logs: Vec<String> = sample_logs();
    for e in std::fs::read_dir(root().join("tests/corpus")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "log") {
            logs.push(p.display().to_string());
        }
    }
    let mut headings = 0;
    for log in &logs {
        let out = stdout(&run(&[log]));
        for l in out.lines().filter(|l| l.starts_with('#')) {
            let rest = l.split_once(' ').map_or("", |(_, r)| r.trim());
            assert!(!rest.is_empty(), "{log}: empty heading {l:?}");
            headings += 1;
        }
    }
    assert!(headings > 20, "{headings}");
}

#[test]
fn a_directory_is_an_input_error() {
    let o = run(&[root().join("samples").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is a directory"), "{}", stderr(&o));
}

#[test]
fn empty_input_gives_an_empty_report() {
    let dir = TempDir::new("cli");
    let p = dir.file("empty.log", b"");
    let o = run(&[p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("No asyncio debug warnings found in 0 lines"),
        "{}",
        stdout(&o)
    );
    let doc = run_json(&[p.to_str().unwrap()]);
    assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
    assert_eq!(doc["input"]["lines"], 0);
}

#[test]
fn binary_input_is_read_without_panic() {
    let mut data: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    data.extend_from_slice(
        b"\n\x00\xffExecuting <Handle f() at /app/a.py:3> took 0.200 seconds\n\x00\x01",
    );
    let dir = TempDir::new("cli");
    let p = dir.file("binary.bin", &data);
    let o = run(&["--stats", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("/app/a.py:3"), "{}", stdout(&o));
    assert!(stderr(&o).contains("lines read"));
}

#[test]
fn unknown_grammar_lists_the_known_ones() {
    let o = run(&["--grammar", "nope", &sample("cpu_work.log")]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("unknown grammar `nope`") && e.contains("python_basic"),
        "{e}"
    );
    let o = run(&["--list-grammars"]);
    assert!(
        stdout(&o).contains("asctime_level_logger"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn forced_grammar_still_reads_bare_warnings() {
    let doc = run_json(&[
        "--grammar",
        "asctime_level_logger",
        &sample("forgot_await_method.timestamped.log"),
    ]);
    assert_eq!(summarize(&doc).len(), 1);
    let doc = run_json(&[
        "--grammar",
        "asctime_level_logger",
        &sample("blocking_sleep.timestamped.log"),
    ]);
    assert_eq!(doc["findings"][0]["count"], 2);
}

#[test]
fn json_has_the_documented_shape() {
    let doc = run_json(&[&sample("call_soon_callback.timestamped.log")]);
    assert_eq!(doc["version"], 1);
    for k in INPUT_COUNTS.iter().chain(&["files"]) {
        assert!(doc["input"].get(k).is_some(), "input.{k}");
    }
    let f = &doc["findings"][0];
    assert_eq!(f["kind"], "slow_callback");
    assert_eq!(f["subject"], "flush_metrics");
    assert_eq!(f["site"]["path"], "/app/call_soon_callback.py");
    assert_eq!(f["site"]["line"], 12);
    assert_eq!(f["site"]["function"], "flush_metrics");
    assert_eq!(f["location"], "/app/call_soon_callback.py:12");
    assert_eq!(f["created_at"], "/app/call_soon_callback.py:18");
    assert_eq!(f["count"], 1);
    assert_eq!(f["total_seconds"], 0.15);
    assert_eq!(f["max_seconds"], 0.15);
    assert_eq!(f["p95_seconds"], 0.15);
    assert_eq!(f["rank"], 1);
    assert_eq!(f["site_basis"], "callback_definition");
    assert!(f["why"].as_str().unwrap().contains("0.150 s"));
    assert!(f["first_seen"].is_string());

    let doc = run_json(&[&sample("forgot_await_nested.log")]);
    let f = &doc["findings"][0];
    assert_eq!(f["kind"], "never_awaited");
    assert_eq!(f["location"], "/app/forgot_await_nested.py:12");
    assert!(f["total_seconds"].is_null() && f["first_seen"].is_null());
}

#[test]
fn format_can_come_from_the_environment() {
    let o = output_of(
        aiolog()
            .env("AIOLOG_FORMAT", "json")
            .arg(sample("cpu_work.log")),
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["version"], 1);
}

#[test]
fn crlf_and_ansi_colours_do_not_change_the_findings() {
    let plain = std::fs::read(sample("fire_and_forget.timestamped.log")).unwrap();
    let text = String::from_utf8(plain.clone()).unwrap();
    let crlf = text.replace('\n', "\r\n");
    let coloured = text.replace("ERROR", "\x1b[31mERROR\x1b[0m");
    let want = summarize(&run_json(&[&sample("fire_and_forget.timestamped.log")]));
    for (name, data) in [("crlf.log", crlf), ("ansi.log", coloured)] {
        let dir = TempDir::new("cli");
        let p = dir.file(name, data.as_bytes());
        assert_eq!(summarize(&run_json(&[p.to_str().unwrap()])), want, "{name}");
    }
}

#[test]
fn stats_accounts_for_every_line() {
    let o = run(&["--stats", &sample("blocking_sleep.log")]);
    let e = stderr(&o);
    assert!(e.contains("lines read"), "{e}");
    let n = |label: &str| -> u64 {
        let line = e
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap();
        line[label.len() + 2..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(n("lines read"), 5);
    assert_eq!(n("parsed"), 2);
    assert_eq!(n("passed through"), 3);
    assert_eq!(n("skipped"), 0);
    // The debug lines are counted among the parsed ones, and shown there;
    // counts take their noun in the right number.
    let rows: Vec<&str> = e.lines().map(str::trim_start).collect();
    let parsed = rows.iter().position(|l| l.starts_with("parsed")).unwrap();
    assert!(rows[parsed + 1].starts_with("debug lines"), "{e}");
    assert!(e.contains("line account of 1 input,"), "{e}");
    assert!(e.contains("lines of 2 asyncio records that"), "{e}");
    assert!(e.contains("lines of 0 records with"), "{e}");
}

#[test]
fn unrecognized_records_are_counted_with_a_sample() {
    let dir = TempDir::new("cli");
    let p = dir.file(
        "unrec.log",
        // A never-awaited warning whose qualname has lost its closing quote.
        b"/app/a.py:3: RuntimeWarning: coroutine 'x was never awaited\n  x()\nok\n",
    );
    let o = run(&["--stats", p.to_str().unwrap()]);
    let e = stderr(&o);
    assert!(e.contains("not read:") && e.contains("unrec.log:1"), "{e}");
    let doc = run_json(&[p.to_str().unwrap()]);
    assert_eq!(doc["input"]["unrecognized_records"], 1);
    assert_eq!(doc["input"]["skipped_lines"], 2);
    assert_eq!(doc["input"]["passed_through_lines"], 1);
}

/// aiolog reading a pipe on stdin: the child, its stdin and its stdout lines.
fn spawn_live() -> (Spawned, std::process::ChildStdin, Lines) {
    let mut child = spawn(
        aiolog()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let stdin = child.stdin.take().unwrap();
    let out = Lines::of(child.stdout.take().unwrap());
    (child, stdin, out)
}

#[test]
fn live_stream_prints_a_finding_as_soon_as_its_record_is_complete() {
    let (child, mut stdin, out) = spawn_live();
    // A warning record stays open for its continuation lines; only the
    // 200 ms pause completes it while the stream is still open.
    stdin
        .write_all(b"app up\n/app/m.py:13: RuntimeWarning: coroutine 'Repo.save' was never awaited\n  self.save(item)\n")
        .unwrap();
    stdin.flush().unwrap();
    let line = out.next("a live line before end of input");
    assert_eq!(
        line,
        "/app/m.py:13: never_awaited: coroutine 'Repo.save' was never awaited"
    );
    drop(stdin);
    let rest = out.rest();
    assert_eq!(child.wait().code(), Some(0));
    assert!(
        rest.iter()
            .any(|l| l.starts_with("Coroutines never awaited: 1 finding")),
        "{rest:?}"
    );
}

/// A signal to a live run: the summary is printed once, the exit status is 0.
fn signal_ends_a_live_stream(signal: i32) {
    let (child, mut stdin, out) = spawn_live();
    stdin
        .write_all(
            b"Executing <Handle f() at /app/a.py:3 created at /app/a.py:9> took 0.300 seconds\n",
        )
        .unwrap();
    stdin.flush().unwrap();
    let first = out.next("live line");
    assert!(first.starts_with("/app/a.py:3: slow_callback"), "{first}");
    child.signal(signal);
    let rest = out.rest();
    assert_eq!(child.wait().code(), Some(0), "{signal}");
    assert_eq!(
        rest.iter()
            .filter(|l| l.starts_with("Blocking calls"))
            .count(),
        1,
        "{rest:?}"
    );
    assert!(rest.iter().any(|l| l.contains("Interrupted")), "{rest:?}");
    drop(stdin);
}

#[test]
fn sigint_on_a_live_stream_prints_the_summary_once_and_exits_0() {
    signal_ends_a_live_stream(libc::SIGINT);
}

#[test]
fn sigterm_on_a_live_stream_prints_the_summary_once_and_exits_0() {
    signal_ends_a_live_stream(libc::SIGTERM);
}

#[test]
fn a_closed_output_pipe_ends_quietly() {
    let mut big = Vec::new();
    for i in 0..20_000 {
        big.extend_from_slice(format!("Executing <Handle f{i}() at /app/a.py:{i} created at /app/a.py:9> took 0.300 seconds\n").as_bytes());
    }
    let dir = TempDir::new("cli");
    let p = dir.file("big.log", &big);
    let mut child = spawn(
        aiolog()
            .arg(p.to_str().unwrap())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    out.read_exact(&mut first).unwrap();
    drop(out);
    let done = child.finish();
    let err = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn help_teaches_the_exit_codes_and_the_slow_step_semantics() {
    let o = run(&["--help"]);
    let h = stdout(&o);
    assert!(
        h.contains("Exit status:") && h.contains("child's exit status"),
        "{h}"
    );
    assert!(h.contains("between the"), "{h}");
}

/// Runs aiolog with its standard output on a pseudo-terminal `cols` wide
/// and returns what it wrote, escape sequences removed.
fn on_a_terminal(cols: u16, args: &[&str]) -> String {
    use std::os::fd::FromRawFd;
    let (mut master, mut slave) = (0, 0);
    let ws = libc::winsize {
        ws_row: 200,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty fills two descriptors; each is owned by one File below.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &ws,
        )
    };
    assert_eq!(rc, 0, "openpty");
    let (mut master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::fs::File::from_raw_fd(slave),
        )
    };
    let mut child = aiolog()
        .args(args)
        .current_dir(root())
        .env_remove("COLUMNS")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(slave.try_clone().unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(slave);
    // Read until the child's side closes (EIO on Linux once it has exited).
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match master.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    assert!(child.wait().unwrap().success());
    let text = String::from_utf8_lossy(&out).replace('\r', "");
    aiolog::render::fit::visible_chars(&text).collect()
}

/// At every width from 60 to 200 columns, in a real pseudo-terminal, no
/// line is wider than the terminal, and each site keeps its file name and
/// line whole.
#[test]
fn the_report_fits_the_terminal_at_every_width() {
    let args = [
        "--src",
        "samples/scenarios",
        "--path-map",
        "/app=samples/scenarios",
        "samples/blocking_sleep.timestamped.log",
        "samples/forgot_await_method.log",
        "samples/blocking_families.log",
    ];
    for cols in [60u16, 80, 120, 200] {
        let out = on_a_terminal(cols, &args);
        let widest = out.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(
            widest <= cols as usize,
            "{widest} columns at {cols}:\n{out}"
        );
        for site in ["blocking_sleep.py:18", "forgot_await_method.py:13"] {
            assert!(out.contains(site), "{site} at {cols}:\n{out}");
        }
        assert!(out.contains("lines read from"), "{out}");
    }
    // Wide enough, the ranked table itself is drawn.
    assert!(on_a_terminal(200, &args).contains("┆ site"));
    assert!(!on_a_terminal(60, &args).contains("┆ site"));
}

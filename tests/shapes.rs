//! The shapes real logs hide asyncio records in (issue 21), on examples
//! derived from FORMATS.md: they are labelled "derived", not an
//! interpreter's output. Each asserts the finding a reader would see.

use aiolog::correlate::Finding;
use aiolog::grammar::Grammars;
use aiolog::pipeline::{analyze_bytes, Options};

fn findings(log: &str) -> (Vec<Finding>, aiolog::report::LineStats) {
    let g = Grammars::builtin().unwrap();
    analyze_bytes("derived.log", log.as_bytes(), &g, Options::default())
}

fn kinds(f: &[Finding]) -> Vec<String> {
    f.iter().map(|f| f.kind.as_str().to_string()).collect()
}

/// The unraisable hook (3.7 and 3.8, `sys.unraisablehook`, IPython): one
/// `resource_warning` per object, its subject the object's type, its
/// location the traceback's frame when there is one.
#[test]
fn the_unraisable_hook_gives_one_resource_warning_per_object() {
    // Derived from FORMATS.md §3.4 (the warning) printed by the unraisable hook.
    let log = "\
Exception ignored in: <function BaseEventLoop.__del__ at 0x7f3a2c1b0ee0>
Traceback (most recent call last):
  File \"/usr/lib/python3.8/asyncio/base_events.py\", line 641, in __del__
    _warn(f\"unclosed event loop {self!r}\", ResourceWarning, source=self)
ResourceWarning: unclosed event loop <_UnixSelectorEventLoop running=False closed=False debug=False>
INFO app: next
Exception ignored in: <socket.socket fd=8, family=AddressFamily.AF_INET, type=SocketKind.SOCK_STREAM, proto=6>
ResourceWarning: unclosed <socket.socket fd=8, family=AddressFamily.AF_INET, type=SocketKind.SOCK_STREAM, proto=6, laddr=('127.0.0.1', 5000)>
INFO app: done
";
    let (f, stats) = findings(log);
    assert_eq!(kinds(&f), ["resource_warning", "resource_warning"]);
    assert_eq!(f[0].subject.as_deref(), Some("_UnixSelectorEventLoop"));
    let loc = f[0].location.as_ref().expect("the traceback's frame");
    assert_eq!(
        (loc.path.as_str(), loc.line),
        ("/usr/lib/python3.8/asyncio/base_events.py", 641)
    );
    assert_eq!(f[1].subject.as_deref(), Some("socket.socket"));
    assert!(f[1].location.is_none());
    assert_eq!(stats.unrecognized_records, 0);
    assert!(stats.balanced());
}

/// A finding's kind, its location and its subject, for comparison.
fn placed(f: &[Finding]) -> Vec<(String, Option<String>, Option<String>)> {
    f.iter()
        .map(|f| {
            (
                f.kind.as_str().to_string(),
                f.location.as_ref().map(|l| l.to_string()),
                f.subject.clone(),
            )
        })
        .collect()
}

fn owned(
    v: &[(&str, Option<&str>, Option<&str>)],
) -> Vec<(String, Option<String>, Option<String>)> {
    v.iter()
        .map(|(k, l, s)| (k.to_string(), l.map(str::to_string), s.map(str::to_string)))
        .collect()
}

/// A relay (a process runner, a test harness) that logs each line of its
/// child as a Python bytes literal behind its own prefix: each literal is
/// decoded (escapes, colour codes) and the child's record is joined across
/// the relay's prefixes, tracebacks included.
#[test]
fn a_relays_bytes_literals_are_read_as_the_childs_lines() {
    // Derived: FORMATS.md §3.1–§3.3 records, each line as `repr(line)`
    // behind a runner's prefix, in the form of the issue's example.
    let log = r#"DEBUG 07-21 00:26:57 runner.py b'\x1b[1m\x1b[31mERROR 07-21 00:26:57 asyncio Task was destroyed but it is pending!\x1b[0m\n'
DEBUG 07-21 00:26:57 runner.py b"task: <Task pending name='Task-3' coro=<worker() running at /app/worker.py:12> wait_for=<Future pending cb=[Task.task_wakeup()]>>\n"
DEBUG 07-21 00:26:58 runner.py b'INFO 07-21 00:26:58 app shutting down\n'
DEBUG 07-21 00:26:58 runner.py b"/app/worker.py:30: RuntimeWarning: coroutine 'fetch' was never awaited\n"
DEBUG 07-21 00:26:58 runner.py b'  fetch()\n'
DEBUG 07-21 00:26:58 runner.py b'RuntimeWarning: Enable tracemalloc to get the object allocation traceback\n'
DEBUG 07-21 00:26:59 runner.py b'ERROR:asyncio:Task exception was never retrieved\n'
DEBUG 07-21 00:26:59 runner.py b"future: <Task finished name='Task-2' coro=<job() done, defined at /app/jobs.py:5> exception=ValueError('boom')>\n"
DEBUG 07-21 00:26:59 runner.py b'Traceback (most recent call last):\n'
DEBUG 07-21 00:26:59 runner.py b'  File "/app/jobs.py", line 7, in job\n'
DEBUG 07-21 00:26:59 runner.py b"    raise ValueError('boom')\n"
DEBUG 07-21 00:26:59 runner.py b'ValueError: boom\n'
DEBUG 07-21 00:27:00 runner.py b'WARNING:asyncio:Executing <Task pending name=\'Task-9\' coro=<handler() running at /app/api.py:88> wait_for=<Future pending cb=[Task.task_wakeup()]>> took 1.204 seconds\n'
DEBUG 07-21 00:27:01 runner.py b'INFO:app:done\n'
"#;
    let (mut f, stats) = findings(log);
    f.sort_by_key(|f| f.line_no);
    assert_eq!(
        placed(&f),
        owned(&[
            (
                "task_destroyed_pending",
                Some("/app/worker.py:12"),
                Some("worker")
            ),
            ("never_awaited", Some("/app/worker.py:30"), Some("fetch")),
            (
                "exception_never_retrieved",
                Some("/app/jobs.py:5"),
                Some("job")
            ),
            ("slow_callback", Some("/app/api.py:88"), Some("handler")),
        ])
    );
    // The traceback's frame, read through the relay, is the site.
    assert_eq!(f[2].site.as_ref().map(|s| s.line), Some(7));
    assert_eq!(f[3].seconds, Some(1.204));
    assert_eq!(stats.unrecognized_records, 0);
    assert_eq!(stats.parsed, 12, "{stats:?}");
    assert!(stats.balanced());
}

/// Frameworks that catch asyncio's exceptions log them in one line, with
/// no traceback: the kind is read from the exception's text, with no site.
#[test]
fn one_line_framework_reports_are_read_as_their_kind() {
    // Derived: FORMATS.md §3.5, §3.2 and §3.3's exception texts inside a
    // framework's message, in the form Home Assistant logs a failed task.
    let log = "\
2024-05-01 12:00:00.123 ERROR (MainThread) [homeassistant.setup] Task setup_frontend failed: Non-thread-safe operation invoked on an event loop other than the current one
2024-05-01 12:00:00.200 INFO (MainThread) [homeassistant.core] next
2024-05-01 12:00:01.000 ERROR (MainThread) [custom] Error in worker: Task exception was never retrieved
2024-05-01 12:00:01.100 INFO (MainThread) [homeassistant.core] next
2024-05-01 12:00:02.000 WARNING (MainThread) [mon] Exception in callback Poller.tick() handle: <Handle Poller.tick()> raised ValueError
2024-05-01 12:00:02.100 INFO (MainThread) [homeassistant.core] done
";
    let (f, stats) = findings(log);
    assert_eq!(
        placed(&f),
        owned(&[
            ("non_threadsafe_call", None, None),
            ("exception_never_retrieved", None, None),
            ("exception_in_callback", None, Some("Poller.tick")),
        ])
    );
    assert!(f.iter().all(|f| f.site.is_none()), "no site in one line");
    assert_eq!(
        f[0].detail.as_deref(),
        Some("reported as: Task setup_frontend failed")
    );
    assert_eq!(stats.unrecognized_records, 0);
    assert_eq!(stats.passed_through, 3);
    assert!(stats.balanced());
}

/// A line quoted whole inside another (a monitor's `could not parse: …`,
/// a test's failed assertion): the record after the inner prefix, its
/// duration followed by the outer line's words; colour codes that a copy
/// made visible text removed like real escape bytes.
#[test]
fn a_line_quoted_inside_a_line_is_read_after_its_inner_prefix() {
    // Derived: FORMATS.md §3.1–§3.3 lines, each quoted whole in another.
    let log = r#"2024-05-01 12:00:00,500 WARNING monitor: could not parse line: 2024-05-01 12:00:00,100 WARNING asyncio: Executing <Task pending name='Task-7' coro=<handler() running at /app/api.py:88> wait_for=<Future pending cb=[Task.task_wakeup()]>> took 1.204 seconds (skipped)
2024-05-01 12:00:01,500 WARNING monitor: could not parse line: ESC[33m/app/jobs.py:41: RuntimeWarning: coroutine 'refresh' was never awaitedESC[0m
2024-05-01 12:00:02,500 WARNING monitor: could not parse line: "2024-05-01 12:00:02,100 ERROR asyncio: Task was destroyed but it is pending!"
2024-05-01 12:00:03,500 INFO app: ok
E       AssertionError: assert 'WARNING  asyncio:base_events.py:1900 Executing <Handle cb() at /app/cb.py:12 created at /app/cb.py:30> took 0.250 seconds' in caplog.text
2024-05-01 12:00:04,500 WARNING monitor: unparsed: ^[[33m/app/jobs.py:52: RuntimeWarning: coroutine 'flush' was never awaited^[[0m
2024-05-01 12:00:05,500 WARNING monitor: unparsed: \x1b[33m/app/jobs.py:63: RuntimeWarning: coroutine 'drain' was never awaited\033[0m
2024-05-01 12:00:06,500 INFO app: ok
"#;
    let (mut f, stats) = findings(log);
    // A destroyed task is held back until the lines after it are read.
    f.sort_by_key(|f| f.line_no);
    assert_eq!(
        placed(&f),
        owned(&[
            ("slow_callback", Some("/app/api.py:88"), Some("handler")),
            ("never_awaited", Some("/app/jobs.py:41"), Some("refresh")),
            ("task_destroyed_pending", None, None),
            ("slow_callback", Some("/app/cb.py:12"), Some("cb")),
            ("never_awaited", Some("/app/jobs.py:52"), Some("flush")),
            ("never_awaited", Some("/app/jobs.py:63"), Some("drain")),
        ])
    );
    assert_eq!(f[0].seconds, Some(1.204));
    assert_eq!(f[3].seconds, Some(0.25));
    assert_eq!(stats.unrecognized_records, 0);
    assert!(stats.balanced());
}

/// Every log the project commits (the samples, the versions, the
/// frameworks' captures, the corpus) is read without an unrecognized
/// record: whatever holds a marker is read as its kind.
#[test]
fn every_committed_log_has_no_unrecognized_record() {
    let all = crate::common::committed_logs();
    assert!(all.len() > 100, "{} logs", all.len());
    let g = Grammars::builtin().unwrap();
    let mut bad = Vec::new();
    for p in &all {
        let data = std::fs::read(p).unwrap();
        let (_, stats) = analyze_bytes(&p.to_string_lossy(), &data, &g, Options::default());
        if stats.unrecognized_records != 0 || !stats.balanced() {
            bad.push(format!("{}: {:?}", p.display(), stats.unrecognized_samples));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

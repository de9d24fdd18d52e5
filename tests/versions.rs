//! The scenarios' logs from every interpreter: CPython 3.8–3.13 (pyenv) and
//! 3.14 compiled to WebAssembly (pyodide), made by
//! `samples/regenerate.py --all-versions` and committed under
//! `samples/versions/X.Y.Z/`. Each log gives the findings its scenario
//! declares, whatever the version's reprs look like, and the captures hold
//! the repr variants that FORMATS.md lists for these versions, so that each
//! variant is covered by real output.

use crate::common::*;
use std::path::PathBuf;

fn version_dirs() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(root().join("samples/versions"))
        .expect("samples/versions/ exists: run samples/regenerate.py --all-versions")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    v.sort();
    v
}

/// `3.9.18` → (3, 9); `3.14.2-pyodide` → (3, 14).
fn minor(version: &str) -> (u32, u32) {
    let mut it = version
        .split(['.', '-'])
        .map(|x| x.parse::<u32>().unwrap_or(0));
    (it.next().unwrap(), it.next().unwrap())
}

/// Whether a scenario runs on a version, by its `# requires:` comment:
/// `python>=3.12`; under pyodide nothing beyond the standard library
/// (no sockets, threads or modules from PyPI).
fn runs_on(script: &std::path::Path, version: &str) -> bool {
    let text = std::fs::read_to_string(script).unwrap();
    let words: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once("# requires:").map(|(_, r)| r))
        .flat_map(str::split_whitespace)
        .collect();
    words.iter().all(|w| match w.strip_prefix("python>=") {
        Some(v) => minor(version) >= minor(v),
        None => !version.ends_with("-pyodide"),
    })
}

#[test]
fn every_version_from_3_8_to_3_14_is_captured() {
    let minors: Vec<(u32, u32)> = version_dirs().iter().map(|(v, _)| minor(v)).collect();
    for m in 8..=14 {
        assert!(minors.contains(&(3, m)), "no capture for 3.{m}: {minors:?}");
    }
}

#[test]
fn every_version_gives_each_scenarios_findings() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (version, dir) in version_dirs() {
        for script in scenarios() {
            let stem = script.file_stem().unwrap().to_string_lossy().into_owned();
            for v in variants_of(&script) {
                let log = dir.join(format!("{stem}{v}"));
                assert_eq!(
                    log.exists(),
                    runs_on(&script, &version),
                    "{}: made exactly when the scenario runs there",
                    log.display()
                );
                if !log.exists() {
                    continue;
                }
                let doc = run_json(&["--stats", log.to_str().unwrap()]);
                let got = summarize(&doc);
                let want = expected_from_scenario(&script);
                if got != want {
                    failures.push(format!(
                        "{version}/{stem}{v}:\n  got  {got:?}\n  want {want:?}"
                    ));
                }
                if doc["input"]["unrecognized_records"] != 0 {
                    failures.push(format!(
                        "{version}/{stem}{v}: unrecognized records: {}",
                        doc["input"]["unrecognized_samples"]
                    ));
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 7 * 18, "only {checked} logs checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A repr or message variant, the versions that print it, and a scenario
/// log where it appears.
struct Variant {
    what: &'static str,
    versions: &'static [u32],
    log: &'static str,
    needle: &'static str,
}

const VARIANTS_SEEN: &[Variant] = &[
    Variant {
        what: "the task waker as an object with an address (FORMATS.md §4.4)",
        versions: &[8, 9],
        log: "blocking_sleep.log",
        needle: "cb=[<TaskWakeupMethWrapper object at 0x",
    },
    Variant {
        what: "the task waker as a method",
        versions: &[10, 11, 12, 13, 14],
        log: "blocking_sleep.log",
        needle: "cb=[Task.task_wakeup()]",
    },
    Variant {
        what: "asyncio.run() driving the loop itself (before asyncio.Runner)",
        versions: &[8, 9, 10],
        log: "exception_never_retrieved.log",
        needle: "    return loop.run_until_complete(main)",
    },
    Variant {
        what: "asyncio.Runner in the creation traceback",
        versions: &[11, 12, 13, 14],
        log: "exception_never_retrieved.log",
        needle: "    return self._loop.run_until_complete(task)",
    },
    Variant {
        what: "caret lines under traceback frames",
        versions: &[11, 12, 13, 14],
        log: "exception_never_retrieved.log",
        needle: "^^^^",
    },
    Variant {
        what: "a multi-line statement in a traceback (the `raise RuntimeError(` above the non-thread-safe error)",
        versions: &[13, 14],
        log: "non_threadsafe_call.log",
        needle: "        \"than the current one\")",
    },
    Variant {
        what: "a task whose cancellation was requested, running its cleanup: `cancelling`",
        versions: &[11, 12, 13, 14],
        log: "cancelling_task.log",
        needle: "Executing <Task cancelling name=",
    },
    Variant {
        what: "the same task shown as `pending` before task.cancelling() existed",
        versions: &[8, 9, 10],
        log: "cancelling_task.log",
        needle: "Executing <Task pending name=",
    },
    Variant {
        what: "an eager task finished in its first step: no `coro=` in its repr",
        versions: &[12, 13, 14],
        log: "eager_task.log",
        needle: "future: <Task finished name=",
    },
    Variant {
        what: "3.13.0's eager task named 'None'",
        versions: &[13],
        log: "eager_task.log",
        needle: "name='None' exception=",
    },
    Variant {
        what: "uvloop's Handle: the callback's name and where it was scheduled, no definition",
        versions: &[8, 9, 10, 11, 12, 13],
        log: "uvloop_blocking.log",
        needle: "Executing <Handle flush_cache created at /app/uvloop_blocking.py:",
    },
    Variant {
        what: "a coroutine finalized with no Python frame: `sys:1`",
        versions: &[8, 9, 10, 11, 12],
        log: "module_level_coroutine.log",
        needle: "sys:1: RuntimeWarning: coroutine 'warm_cache' was never awaited",
    },
    Variant {
        what: "the same as `<sys>:0` (3.13+)",
        versions: &[13, 14],
        log: "module_level_coroutine.log",
        needle: "<sys>:0: RuntimeWarning: coroutine 'warm_cache' was never awaited",
    },
    Variant {
        what: "call_soon_threadsafe's `_ThreadSafeHandle` (3.14, gh-128340)",
        versions: &[14],
        log: "threadsafe_callback.log",
        needle: "Executing <_ThreadSafeHandle refresh_token() at /app/threadsafe_callback.py:",
    },
    Variant {
        what: "call_soon_threadsafe's plain `Handle` before 3.14",
        versions: &[8, 9, 10, 11, 12, 13],
        log: "threadsafe_callback.log",
        needle: "Executing <Handle refresh_token() at /app/threadsafe_callback.py:",
    },
    Variant {
        what: "gather's done callback as `_gather.<locals>` (3.9)",
        versions: &[9],
        log: "gather_children.log",
        needle: "cb=[_gather.<locals>._done_callback() at ",
    },
    Variant {
        what: "gather's done callback as `gather.<locals>` (3.8, 3.10+)",
        versions: &[8, 10, 11, 12, 13, 14],
        log: "gather_children.log",
        needle: "cb=[gather.<locals>._done_callback() at ",
    },
    Variant {
        what: "the standard library inside a zip (WebAssembly build)",
        versions: &[14],
        log: "blocking_sleep.log",
        needle: "/lib/python314.zip/asyncio/",
    },
];

#[test]
fn captures_hold_each_version_variant() {
    let dirs = version_dirs();
    for v in VARIANTS_SEEN {
        for (version, dir) in &dirs {
            let (_, m) = minor(version);
            let path = dir.join(v.log);
            if !path.exists() {
                // A scenario that does not run there (checked above).
                continue;
            }
            let text = std::fs::read_to_string(path).unwrap();
            assert_eq!(
                text.contains(v.needle),
                v.versions.contains(&m),
                "{version}/{}: {} ({:?}) expected only in 3.x for x in {:?}",
                v.log,
                v.what,
                v.needle,
                v.versions
            );
        }
    }
}

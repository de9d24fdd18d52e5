//! Frameworks that print asyncio's problems in their own words: Home
//! Assistant's blocking-call detector (three wordings, 2022–2024) and its
//! loop exception handler's `Error doing job:` prefix; and older asyncio
//! output pasted in a library's documentation (a C task's
//! `TaskSendMethWrapper`, Python 3.7's `poll took`). From excerpts of public
//! reports and repositories in `tests/frameworks/` (sources in its README).

use crate::common::*;

fn doc(name: &str) -> serde_json::Value {
    let path = root().join("tests/frameworks").join(name);
    let doc = run_json(&["--stats", path.to_str().unwrap()]);
    assert_eq!(
        doc["input"]["unrecognized_records"], 0,
        "{name}: {}",
        doc["input"]
    );
    doc
}

fn row(kind: &str, location: &str, count: u64) -> Expect {
    Expect {
        kind: kind.to_string(),
        location: location.to_string(),
        function: String::new(),
        count,
    }
}

#[test]
fn home_assistant_blocking_call_2023_wording() {
    let d = doc("ha_open_epaper_link.log");
    assert_eq!(
        summarize(&d),
        vec![row(
            "blocking_call_detected",
            "custom_components/open_epaper_link/__init__.py:24",
            1
        )]
    );
    let f = &d["findings"][0];
    assert_eq!(f["subject"], "sleep");
    assert_eq!(f["rule"], "AIO104");
    assert_eq!(f["first_seen"], "2023-12-19T16:23:26.083");
    // The integration's own lines around it are application lines.
    assert_eq!(d["input"]["passed_through_lines"], 2);
}

#[test]
fn home_assistant_blocking_call_with_offender() {
    let d = doc("ha_waste_collection_schedule.log");
    assert_eq!(
        summarize(&d),
        vec![row(
            "blocking_call_detected",
            "custom_components/waste_collection_schedule/waste_collection_schedule/source_shell.py:188",
            1
        )]
    );
    assert_eq!(d["findings"][0]["subject"], "import_module");
}

#[test]
fn home_assistant_blocking_call_older_wording() {
    let d = doc("ha_becker.log");
    assert_eq!(
        summarize(&d),
        vec![
            row(
                "blocking_call_detected",
                "custom_components/becker/cover.py:171",
                1
            ),
            row(
                "blocking_call_detected",
                "custom_components/becker/cover.py:79",
                1
            ),
        ]
    );
}

#[test]
fn home_assistant_error_doing_job_prefix() {
    let d = doc("ha_core_13494.log");
    // No task repr follows the message: the tasks are counted, with no site.
    assert_eq!(
        summarize(&d),
        vec![row("task_destroyed_pending", "?:null", 11)]
    );
    assert_eq!(d["input"]["parsed_lines"], 11);
}

#[test]
fn a_task_step_wrapper_with_an_address_is_one_site() {
    let d = doc("moler_task_send.log");
    assert_eq!(
        summarize(&d),
        vec![row("exception_in_callback", "?:null", 1)]
    );
    assert_eq!(d["findings"][0]["subject"], "TaskSendMethWrapper");
    assert_eq!(d["input"]["passed_through_lines"], 1);
}

#[test]
fn python_3_7_poll_took_lines_are_debug_lines() {
    let d = doc("moler_poll_took.log");
    assert_eq!(summarize(&d), vec![]);
    assert_eq!(d["input"]["debug_records"], 4);
    assert_eq!(d["input"]["parsed_lines"], 4);
    assert_eq!(d["input"]["passed_through_lines"], 9);
}

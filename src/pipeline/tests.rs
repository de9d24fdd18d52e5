//! Unit tests of the analyzer of one input.

use super::*;

fn run_in_pieces(data: &[u8], piece: usize) -> (Vec<Finding>, LineStats) {
    let g = Grammars::builtin().unwrap();
    let s = Scanner::new();
    let mut a = InputAnalyzer::new("t", &g, &s, Options::default());
    let mut found = Vec::new();
    drive(&mut a, piece, pieces(data, || usize::MAX), |out| {
        found.append(out);
        Ok(std::ops::ControlFlow::Continue(()))
    })
    .unwrap();
    (found, a.stats.clone())
}

/// Application lines, CRLF endings, three records and a last line
/// without a newline.
fn mixed() -> Vec<u8> {
    r#"app started<CR>
Executing <Task pending name='Task-2' coro=<h() running at /app/b.py:18> created at /usr/lib/python3.11/asyncio/tasks.py:384> took 0.251 seconds<CR>
GET / 200
Task was destroyed but it is pending!
source_traceback: Object created at (most recent call last):
  File "/app/f.py", line 18, in main
    asyncio.ensure_future(listen())
task: <Task pending name='Task-3' coro=<listen() done, defined at /app/f.py:13>>

/app/m.py:13: RuntimeWarning: coroutine 'Repo.save' was never awaited
  self.save(item)
RuntimeWarning: Enable tracemalloc to get the object allocation traceback
bye"#
            .replace("<CR>", "\r")
            .into_bytes()
}

#[test]
fn same_findings_whatever_the_chunk_size() {
    let data = mixed();
    let (want, want_stats) = run_in_pieces(&data, data.len());
    assert_eq!(want.len(), 3, "{want:#?}");
    assert_eq!(want_stats.lines, 13, "{want_stats:#?}");
    assert!(want_stats.balanced(), "{want_stats:?}");
    assert_eq!(want_stats.parsed, 1 + 5 + 3);
    for piece in [1, 2, 3, 7, 64, 100] {
        let (got, stats) = run_in_pieces(&data, piece);
        assert_eq!(got, want, "piece {piece}");
        assert_eq!(stats, want_stats, "piece {piece}");
    }
}

#[test]
fn context_lines_come_from_the_records_own_process() {
    let g = Grammars::builtin().unwrap();
    let log = "2024-05-01 12:00:00,100 [11] INFO app: GET /a request_id=aaa\n\
                   2024-05-01 12:00:00,101 [22] INFO app: GET /b request_id=bbb\n\
                   2024-05-01 12:00:00,102 [11] WARNING asyncio: Executing <Handle f() at /app/a.py:3> took 0.200 seconds\n\
                   2024-05-01 12:00:00,103 [22] INFO app: done request_id=bbb\n\
                   2024-05-01 12:00:00,104 [11] INFO app: done request_id=aaa\n\
                   2024-05-01 12:00:00,105 [11] INFO app: idle\n";
    let (out, stats) = analyze_bytes("t", log.as_bytes(), &g, Options::default());
    assert!(stats.balanced());
    let f = &out[0];
    assert_eq!(f.context_before.len(), 1, "{:?}", f.context_before);
    assert!(f
        .context_before
        .first()
        .unwrap()
        .ends_with("GET /a request_id=aaa"));
    assert_eq!(f.context_after.len(), 2, "{:?}", f.context_after);
    assert!(f
        .context_after
        .first()
        .unwrap()
        .ends_with("done request_id=aaa"));
    assert_eq!(
        crate::aggregate::request_ids(f.context_before.iter().chain(f.context_after.iter())),
        vec!["aaa".to_string()]
    );
}

#[test]
fn long_lines_are_cut_and_counted() {
    let g = Grammars::builtin().unwrap();
    let mut data = vec![b'x'; 5000];
    data.extend_from_slice(b"\nExecuting <Handle f() at /app/a.py:3> ");
    data.extend(vec![b'y'; 5000]);
    data.extend_from_slice(b" took 0.200 seconds");
    data.extend_from_slice(b"\nend\n");
    let opts = Options {
        max_line: 1000,
        ..Options::default()
    };
    let (out, stats) = analyze_bytes("t", &data, &g, opts);
    assert_eq!(stats.lines, 3);
    assert!(stats.balanced());
    assert!(stats.truncated_lines >= 1);
    // The cut slow-callback line has lost its duration: it is
    // counted as unrecognized, not lost and not guessed.
    assert!(out.is_empty());
    assert_eq!(stats.unrecognized_records, 1);
}

#[test]
fn empty_and_binary_inputs() {
    let g = Grammars::builtin().unwrap();
    let (out, stats) = analyze_bytes("t", b"", &g, Options::default());
    assert!(out.is_empty());
    assert_eq!(stats.lines, 0);
    let bin: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let (out, stats) = analyze_bytes("t", &bin, &g, Options::default());
    assert!(out.is_empty());
    assert!(stats.balanced());
}

/// The probe's record and debug mode's warning of one step are one
/// finding; a warning of another process's step (two workers writing one
/// log, a `[%(process)d]` prefix) is not joined to it.
#[test]
fn the_probe_and_the_warning_of_one_process_are_joined() {
    let log = |warning_pid: u32| {
        format!(
            "2026-12-02 08:05:55,528 [2583] WARNING asyncio.aiolog: aiolog-probe: the event loop was blocked for 0.302 seconds (pid 2583, thread MainThread 1405, task 'Task-2' handle, 40 samples)\n\
\x20 stack 1: 40 of 40 samples\n\
\x20   File \"/app/a.py\", line 20, in handle\n\
\x20   File \"/app/a.py\", line 9, in load\n\
2026-12-02 08:05:55,529 [{warning_pid}] WARNING asyncio: Executing <Task pending name='Task-2' coro=<handle() running at /app/a.py:21> created at /usr/lib/python3.11/asyncio/tasks.py:384> took 0.300 seconds\n\
done\n"
        )
        .into_bytes()
    };
    let (same, _) = run_in_pieces(&log(2583), 4096);
    assert_eq!(same.len(), 1, "{same:?}");
    assert_eq!(same[0].site.as_ref().unwrap().line, 9);
    assert_eq!(same[0].location.as_ref().unwrap().line, 21);
    // Its context is the application's, not the probe's own lines.
    assert!(
        same[0].context_before.is_empty(),
        "{:?}",
        same[0].context_before
    );
    let (other, _) = run_in_pieces(&log(2590), 4096);
    assert_eq!(other.len(), 2, "{other:?}");
}

#[test]
fn one_application_line_after_a_destroyed_task_is_enough_to_say_not_at_shutdown() {
    // Derived (FORMATS.md §3.2): the line after the record is both its
    // context line and the proof that the program still ran.
    let g = Grammars::builtin().unwrap();
    let record = "INFO app: started\n\
                  Task was destroyed but it is pending!\n\
                  task: <Task pending name='Task-2' coro=<worker() running at /app/w.py:5>>\n";
    let (out, _) = analyze_bytes("t", record.as_bytes(), &g, Options::default());
    assert!(out[0].during_shutdown, "nothing followed it");
    let followed = format!("{record}INFO app: still serving\n");
    let (out, _) = analyze_bytes("t", followed.as_bytes(), &g, Options::default());
    assert!(!out[0].during_shutdown, "an application line followed it");
}

#[test]
fn a_context_line_that_holds_a_marker_once_cleaned_is_left_out() {
    // The block search reads the raw bytes: a colour code inside a marker
    // hides it, and the line passes as an application line. Cleaned, as a
    // context line, it shows the marker and is left out; the plain line
    // before it, which the block search has already read, is kept.
    let log = "GET /a 200\n\
               Exe\x1b[0mcuting <Handle g() at /app/a.py:9> took 0.300 seconds\n\
               Executing <Handle f() at /app/a.py:3> took 0.200 seconds\n";
    for piece in [log.len(), 7] {
        let (out, _) = run_in_pieces(log.as_bytes(), piece);
        assert_eq!(out.len(), 1, "{out:#?}");
        assert_eq!(
            out[0].context_before.to_vec(),
            vec!["GET /a 200".to_string()],
            "piece {piece}"
        );
    }
}

#[test]
fn handing_findings_on_early_changes_neither_them_nor_their_order() {
    // A dense log (hundreds of findings a MiB, so many are handed on in
    // the middle of the one chunk) with the probe's records between, which
    // the joiner holds back for their warnings.
    let mut data = Vec::new();
    crate::workload::generate_dense(&mut data, 7, 1 << 20, Some(320)).unwrap();
    for name in [
        "stall_probe.log",
        "stall_aiohttp.log",
        "stall_probe.timestamped.log",
    ] {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/");
        data.extend(std::fs::read(format!("{path}{name}")).unwrap());
    }
    let g = Grammars::builtin().unwrap();
    let s = Scanner::new();
    let mut a = InputAnalyzer::new("t", &g, &s, Options::default());
    let mut want = Vec::new();
    a.step(Step::Data(&data), &mut want);
    a.step(Step::End, &mut want);
    let want_stats = a.stats().clone();
    assert!(want.len() > 200, "{}", want.len());
    assert!(want
        .iter()
        .any(|f| f.basis == crate::correlate::Basis::SampledDuringStall));

    let mut a = InputAnalyzer::new("t", &g, &s, Options::default());
    let (mut got, mut out, mut handed) = (Vec::new(), Vec::new(), 0);
    a.step_handing(Step::Data(&data), &mut out, &mut |out| {
        handed += 1;
        got.append(out);
    });
    got.append(&mut out);
    a.step(Step::End, &mut got);
    assert!(handed > 10, "{handed}");
    assert_eq!(got, want);
    assert_eq!(a.stats(), &want_stats);
}

//! `aiolog -F FILE` and live pipes fed by a real writer.

mod common;

use common::*;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn slow_line(n: u32) -> String {
    format!("Executing <Handle step{n}() at /app/jobs.py:{n} created at /app/main.py:9> took 0.{n:03} seconds\n")
}

fn append(path: &std::path::Path, text: &str) {
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines() {
            if tx.send(l.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    rx
}

fn expect_line(rx: &mpsc::Receiver<String>, want: &str) {
    let got = rx
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_else(|_| panic!("no line for {want}"));
    assert!(got.starts_with(want), "{got:?} should start with {want:?}");
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("aiolog-follow-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn follow_survives_rotation_and_truncation_without_losing_or_repeating_lines() {
    let dir = temp_dir("rotate");
    let log = dir.join("app.log");
    append(&log, &slow_line(100)); // before aiolog starts: not reported
    let mut child = aiolog()
        .args(["--stats", "-F", log.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    std::thread::sleep(Duration::from_millis(500));

    append(&log, &format!("GET /a 200\n{}", slow_line(201)));
    expect_line(&rx, "/app/jobs.py:201: slow_callback");

    // Rotation: rename away, a line still written to the old file, then a new file.
    std::fs::rename(&log, dir.join("app.log.1")).unwrap();
    append(&dir.join("app.log.1"), &slow_line(202));
    append(&log, &format!("{}GET /b 200\n", slow_line(203)));
    expect_line(&rx, "/app/jobs.py:202: slow_callback");
    expect_line(&rx, "/app/jobs.py:203: slow_callback");

    // Truncation in place (copytruncate), then new lines.
    std::fs::File::create(&log).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    append(&log, &slow_line(204));
    expect_line(&rx, "/app/jobs.py:204: slow_callback");

    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let rest: Vec<String> = rx.iter().collect();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        rest.iter().any(|l| l.contains("4 findings at 4 sites")),
        "{rest:?}"
    );
    // Every line written after the start is read exactly once: 2 + 1 + 2 + 1.
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: u64 = err
        .lines()
        .find(|l| l.trim_start().starts_with("lines read"))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{err}"));
    assert_eq!(lines, 6, "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn from_start_reads_the_existing_lines_first() {
    let dir = temp_dir("start");
    let log = dir.join("app.log");
    append(&log, &slow_line(100));
    let mut child = aiolog()
        .args(["-F", log.to_str().unwrap(), "--from-start"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    expect_line(&rx, "/app/jobs.py:100: slow_callback");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn following_a_missing_file_is_an_error() {
    let o = aiolog().args(["-F", "/no/such/app.log"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot follow /no/such/app.log"));
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

#[test]
fn idle_follow_uses_no_measurable_cpu() {
    let dir = temp_dir("idle");
    let log = dir.join("app.log");
    append(&log, "start\n");
    let mut child = aiolog()
        .args(["-F", log.to_str().unwrap()])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let before = cpu_ticks(child.id());
    let t = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks(child.id()) - before;
    let _ = child.kill();
    let _ = child.wait();
    // 2 s of idling may cost a few wake-ups, not a spinning core (200 ticks).
    assert!(
        used <= 2,
        "{used} ticks of CPU in {:?} of idle following",
        t.elapsed()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_real_python_writer_gets_its_finding_while_it_holds_the_pipe_open() {
    let Some(py) = python("a_real_python_writer_gets_its_finding_while_it_holds_the_pipe_open")
    else {
        return;
    };
    let mut writer = Command::new(&py)
        .arg(root().join("tests/scripts/warn_then_wait.py"))
        .env("PYTHONASYNCIODEBUG", "1")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = aiolog()
        .stdin(Stdio::from(writer.stderr.take().unwrap()))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut reader);
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("a finding while the writer runs");
    assert!(
        writer.try_wait().unwrap().is_none(),
        "the writer still holds the pipe"
    );
    // The line the script's `# expect:` comment marks.
    let script = root().join("tests/scripts/warn_then_wait.py");
    let want = expected_from_scenario(&script)[0]
        .location
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    assert!(
        line.ends_with(&format!(
            "warn_then_wait.py:{want}: never_awaited: coroutine 'save' was never awaited"
        )),
        "{line}"
    );
    let _ = writer.kill();
    let _ = writer.wait();
    let rest: Vec<String> = rx.iter().collect();
    assert_eq!(reader.wait().unwrap().code(), Some(0));
    assert!(
        rest.iter()
            .any(|l| l.starts_with("Coroutines never awaited: 1 finding")),
        "{rest:?}"
    );
}

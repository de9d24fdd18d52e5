//! A fleet on one machine (issue 19): three "host" rsyslogd instances
//! each follow a log into which the test writes real captured sample logs,
//! run aiolog as their omprog stage and forward its NDJSON findings over
//! TCP to a central rsyslogd. Mid-run one log is rotated, another
//! truncated, one host's aiolog is killed and the central rsyslog is
//! restarted. `aiolog merge` of what the central one wrote must then equal
//! one aiolog run over everything written: the same sites, counts, totals,
//! percentiles and per-host figures.
//!
//! The configurations are deploy/rsyslog's own files, with paths, ports
//! and the binary replaced. Every rsyslogd is stopped by its PID at the
//! end, also when the test fails, and so is any aiolog it started.

use crate::common::{aiolog, aiolog_bin, output_of, root, skipped, spawn, Lines, TempDir, HANG};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One rsyslogd in the foreground, stopped by its PID when dropped.
struct Rsyslogd {
    name: String,
    dir: PathBuf,
    conf: PathBuf,
    child: Option<Child>,
}

impl Rsyslogd {
    fn start(name: &str, dir: &Path, conf: PathBuf) -> Rsyslogd {
        let mut r = Rsyslogd {
            name: name.to_string(),
            dir: dir.to_path_buf(),
            conf,
            child: None,
        };
        r.spawn();
        r
    }

    fn spawn(&mut self) {
        let out = std::fs::File::options()
            .create(true)
            .append(true)
            .open(self.dir.join("rsyslogd.out"))
            .unwrap();
        let child = Command::new("rsyslogd")
            .arg("-n")
            .arg("-f")
            .arg(&self.conf)
            .arg("-i")
            .arg(self.dir.join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("rsyslogd starts");
        self.child = Some(child);
    }

    /// SIGTERM, then waits (bounded) for it to exit; SIGKILL past the bound.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id() as i32;
        // SAFETY: signalling a child this test started, by its PID.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(20) {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// What it printed, for a failure's message.
    fn log(&self) -> String {
        let out = std::fs::read_to_string(self.dir.join("rsyslogd.out")).unwrap_or_default();
        format!("rsyslogd {} printed:\n{out}", self.name)
    }
}

impl Drop for Rsyslogd {
    fn drop(&mut self) {
        self.stop();
        // Any aiolog stage it left (it is stopped with its rsyslogd, unless
        // something went wrong): found by the findings path it was given.
        for pid in stage_pids(&self.dir) {
            // SAFETY: a process this test's rsyslogd started, by its PID.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// The PIDs of the aiolog stages writing into `dir`.
fn stage_pids(dir: &Path) -> Vec<i32> {
    let findings = dir.join("aiolog-findings.ndjson");
    let want = findings.to_string_lossy().into_owned();
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmd
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if args.iter().any(|a| a == "--omprog") && args.contains(&want) {
            pids.push(pid);
        }
    }
    pids
}

/// A free TCP port on 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (bounded by [`HANG`]) until `cond` holds; panics with `what`.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool, diag: impl Fn() -> String) {
    let t0 = Instant::now();
    while !cond() {
        assert!(
            t0.elapsed() < HANG,
            "timed out waiting for {what}\n{}",
            diag()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// deploy/rsyslog's file `name`, with each `(from, to)` replaced (each
/// must occur), as the master configuration of an instance in `dir`.
fn config(name: &str, dir: &Path, host: Option<&str>, replace: &[(&str, String)]) -> PathBuf {
    let mut text = std::fs::read_to_string(root().join("deploy/rsyslog").join(name)).unwrap();
    for (from, to) in replace {
        assert!(text.contains(from), "{name} holds {from}");
        text = text.replace(from, to);
    }
    let inc = dir.join(name);
    std::fs::write(&inc, text).unwrap();
    let host = host.map_or(String::new(), |h| format!(" localHostName=\"{h}\""));
    let main = dir.join("rsyslog.conf");
    std::fs::write(
        &main,
        format!(
            "global(workDirectory=\"{}\"{host})\ninclude(file=\"{}\")\n",
            dir.display(),
            inc.display()
        ),
    )
    .unwrap();
    main
}

/// The occurrences in the finding lines of an NDJSON file.
fn finding_occurrences(path: &Path) -> u64 {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.find('{').map(|i| &l[i..]))
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "finding")
        .map(|v| v["data"]["occurrences"].as_u64().unwrap_or(1))
        .sum()
}

/// The occurrences one batch run finds in `log`.
fn batch_occurrences(log: &Path) -> u64 {
    let doc = json_of(aiolog().arg("--format").arg("json").arg(log));
    doc["input"]["findings"].as_u64().unwrap()
}

/// The JSON document a run of aiolog prints.
fn json_of(cmd: &mut Command) -> Value {
    let out = output_of(cmd);
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A report's findings, reduced to what must add up, sorted.
fn figures(doc: &Value) -> Vec<String> {
    let mut v: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} count={} total={} max={} p95={} shutdown={} by_host={}",
                f["kind"],
                f["site"],
                f["subject"],
                f["count"],
                f["total_seconds"],
                f["max_seconds"],
                f["p95_seconds"],
                f["during_shutdown"],
                f["by_host"]
            )
        })
        .collect();
    v.sort();
    v
}

/// One host of the fleet: its rsyslogd, the log it follows, and the copy
/// of everything written to that log.
struct Host {
    name: String,
    dir: PathBuf,
    log: PathBuf,
    all: PathBuf,
    samples: Vec<&'static str>,
    rsyslogd: Rsyslogd,
}

impl Host {
    fn findings(&self) -> PathBuf {
        self.dir.join("aiolog-findings.ndjson")
    }

    /// Appends `data` to the log (one write, as a program's logging
    /// flushes a record) and to the copy.
    fn write(&self, data: &[u8]) {
        for p in [&self.log, &self.all] {
            let mut f = std::fs::File::options()
                .create(true)
                .append(true)
                .open(p)
                .unwrap();
            f.write_all(data).unwrap();
        }
    }

    /// Waits until the stage has written the findings of everything
    /// written so far.
    fn drained(&self) {
        let want = batch_occurrences(&self.all);
        wait_for(
            &format!("{}'s stage to write {want} findings", self.name),
            || finding_occurrences(&self.findings()) == want,
            || {
                format!(
                    "{} has {}\n{}",
                    self.name,
                    finding_occurrences(&self.findings()),
                    self.rsyslogd.log()
                )
            },
        );
    }
}

#[test]
fn a_fleet_under_rsyslog_adds_up_to_one_analysis_of_all_its_logs() {
    if Command::new("rsyslogd").arg("-v").output().is_err() {
        skipped(
            "fleet::a_fleet_under_rsyslog_adds_up_to_one_analysis_of_all_its_logs",
            "rsyslogd not found; .ci/run installs it (apt-get install rsyslog)",
        );
        return;
    }
    let tmp = TempDir::new("fleet");
    let port = free_port();
    let central_dir = tmp.join("central");
    std::fs::create_dir_all(&central_dir).unwrap();
    let fleet = central_dir.join("fleet.ndjson");
    let central_conf = config(
        "aiolog-central.conf",
        &central_dir,
        None,
        &[
            (
                "port=\"10514\"",
                format!("port=\"{port}\" address=\"127.0.0.1\""),
            ),
            ("/var/log/aiolog/fleet.ndjson", fleet.display().to_string()),
        ],
    );
    let mut central = Rsyslogd::start("central", &central_dir, central_conf);
    let listening = || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
    wait_for("the central rsyslogd to listen", listening, || {
        central.log()
    });

    // Real captured logs (samples/), three per host; each host's own mix.
    let plan: [(&str, Vec<&'static str>); 3] = [
        (
            "host1",
            vec![
                "blocking_families.timestamped.log",
                "exception_never_retrieved.timestamped.log",
                "stall_probe.timestamped.log",
            ],
        ),
        (
            "host2",
            vec![
                "unclosed_session.log",
                "sync_clients.log",
                "shutdown_destroyed.log",
            ],
        ),
        (
            "host3",
            vec![
                "teardown_destroyed.log",
                "forgot_await_method.log",
                "faulthandler_dump.log",
            ],
        ),
    ];
    let hosts: Vec<Host> = plan
        .into_iter()
        .map(|(name, samples)| {
            let dir = tmp.join(name);
            let logs = tmp.join(format!("{name}-logs"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::create_dir_all(&logs).unwrap();
            let log = logs.join("app.log");
            let conf = config(
                "aiolog-host.conf",
                &dir,
                Some(name),
                &[
                    ("/var/log/app/app.log", log.display().to_string()),
                    ("/var/spool/rsyslog", dir.display().to_string()),
                    ("/usr/local/bin/aiolog", aiolog_bin().display().to_string()),
                    ("central.example", "127.0.0.1".to_string()),
                    ("port=\"10514\"", format!("port=\"{port}\"")),
                ],
            );
            Host {
                name: name.to_string(),
                rsyslogd: Rsyslogd::start(name, &dir, conf),
                all: tmp.join(format!("{name}.all.log")),
                dir,
                log,
                samples,
            }
        })
        .collect();

    let sample = |name: &str| std::fs::read(root().join("samples").join(name)).unwrap();
    let rounds = hosts[0].samples.len();
    let mut killed = Vec::new();
    for round in 0..rounds {
        for h in &hosts {
            h.write(&sample(h.samples[round]));
            // A bounded rate: one captured log per host at a time.
            std::thread::sleep(Duration::from_millis(50));
        }
        if round == 0 {
            for h in &hosts {
                h.drained();
            }
            // Mid-way, with every line read (rotation and truncation lose
            // nothing then, as with logrotate after a flush): host1's log is
            // rotated (renamed, a new one created), host2's truncated
            // (copytruncate), host3's aiolog killed outright.
            std::fs::rename(&hosts[0].log, hosts[0].log.with_extension("log.1")).unwrap();
            std::fs::File::create(&hosts[1].log).unwrap();
            killed = stage_pids(&hosts[2].dir);
            assert_eq!(killed.len(), 1, "one stage on host3: {killed:?}");
            // SAFETY: the aiolog that host3's rsyslogd started, by its PID.
            unsafe { libc::kill(killed[0], libc::SIGKILL) };
            wait_for(
                "the killed stage to be gone",
                || !stage_pids(&hosts[2].dir).contains(&killed[0]),
                String::new,
            );
            // And the central rsyslog restarts while the hosts go on.
            central.stop();
            assert!(!listening(), "the central rsyslogd stopped");
            std::thread::sleep(Duration::from_millis(200));
            central.spawn();
            wait_for("the central rsyslogd to listen again", listening, || {
                central.log()
            });
        }
    }
    // An application line ends each log: a live stage never sees its
    // input end, so what happened at shutdown is told by the lines after.
    for h in &hosts {
        h.write(b"INFO harness: the run is over\n");
    }
    for h in &hosts {
        h.drained();
    }
    // omprog started a new stage for host3, on the line after the kill.
    let restarted = stage_pids(&hosts[2].dir);
    assert_eq!(restarted.len(), 1, "omprog restarted host3's stage");
    assert_ne!(restarted, killed);

    let expected: u64 = hosts.iter().map(|h| batch_occurrences(&h.all)).sum();
    wait_for(
        &format!("the central rsyslogd to hold {expected} findings"),
        || finding_occurrences(&fleet) == expected,
        || {
            format!(
                "it holds {}\n{}",
                finding_occurrences(&fleet),
                central.log()
            )
        },
    );

    // What the fleet's report says, against one run over all the logs
    // (each host's reports merged, so that the per-host figures are known).
    let merged = json_of(
        aiolog()
            .args(["merge", "--format", "json", "--by", "host"])
            .arg(&fleet),
    );
    let mut per_host = Vec::new();
    for h in &hosts {
        let report = tmp.join(format!("{}.json", h.name));
        let doc = json_of(
            aiolog()
                .args(["--format", "json", "--host", &h.name])
                .arg(&h.all),
        );
        std::fs::write(&report, doc.to_string()).unwrap();
        per_host.push(report);
    }
    let whole = json_of(aiolog().args(["merge", "--format", "json"]).args(&per_host));
    let one_run = json_of(
        aiolog()
            .args(["--format", "json"])
            .args(hosts.iter().map(|h| &h.all)),
    );
    assert_eq!(merged["input"]["findings"], one_run["input"]["findings"]);
    assert_eq!(figures(&merged), figures(&whole));
    // The per-host breakdown aside, the whole is one run over all logs.
    let strip = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|s| s[..s.find(" by_host=").unwrap()].to_string())
            .collect()
    };
    assert_eq!(strip(figures(&merged)), strip(figures(&one_run)));
    assert!(figures(&merged).len() > 10, "{:?}", figures(&merged));
    // Every host's findings arrived, named by the syslog header.
    let text = std::fs::read_to_string(&fleet).unwrap();
    for h in &hosts {
        assert!(text.lines().any(|l| l.starts_with(&format!("{} ", h.name))));
    }
    // The table shows the hosts' column.
    let out = output_of(
        aiolog()
            .args(["merge", "--by", "host"])
            .arg(&fleet)
            .env("COLUMNS", "250"),
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("| hosts"), "{table}");
    assert!(table.contains("host1 "), "{table}");
}

/// The pipelines written but not run here (deploy/README.md) use only
/// flags aiolog has: every `--flag` and `-F` that follows `aiolog` on a
/// line of their files is in `aiolog --help`.
#[test]
fn the_deploy_files_use_only_flags_aiolog_has() {
    let help = String::from_utf8(output_of(aiolog().arg("--help")).stdout).unwrap();
    let mut checked = 0;
    for file in [
        "rsyslog/aiolog-host.conf",
        "vector/aiolog.toml",
        "fluent-bit/aiolog.conf",
        "syslog-ng/aiolog.conf",
        "kubernetes/aiolog-daemonset.yaml",
    ] {
        let text = std::fs::read_to_string(root().join("deploy").join(file)).unwrap();
        let mut found = false;
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            let Some(at) = line.find("bin/aiolog") else {
                continue;
            };
            found = true;
            for word in line[at..].split(|c: char| c.is_whitespace() || c == '"' || c == ',') {
                if word.starts_with('-') && word.len() > 1 {
                    assert!(
                        help.split(|c: char| c.is_whitespace() || c == ',')
                            .any(|t| t == word),
                        "deploy/{file}: aiolog has no flag {word}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(found, "deploy/{file} runs aiolog");
    }
    assert!(checked >= 12, "{checked} flags checked");
}

/// `--omprog` speaks omprog's confirmation protocol without rsyslog: `OK`
/// once ready, then one `OK` per line once it is read; the findings reach
/// the findings file while the input stays open (a pause ends what is
/// held), and a restarted stage appends to it.
#[test]
fn the_omprog_stage_confirms_each_line_and_appends_its_findings() {
    let tmp = TempDir::new("omprog");
    let findings = tmp.join("findings.ndjson");
    let sample = std::fs::read_to_string(root().join("samples/blocking_families.log")).unwrap();
    for round in 1..=2 {
        let mut child = spawn(
            aiolog()
                .args(["--omprog", "--host", "web1", "-o"])
                .arg(&findings)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped()),
        );
        let ok = Lines::of(child.stdout.take().unwrap());
        assert_eq!(ok.next("the ready OK"), "OK");
        let mut stdin = child.stdin.take().unwrap();
        for (i, line) in sample.lines().enumerate() {
            // As omprog does: one line, then wait for its confirmation.
            writeln!(stdin, "{line}").unwrap();
            assert_eq!(ok.next(&format!("the OK of line {}", i + 1)), "OK");
        }
        // The input stays open, as rsyslog keeps it: the pause after the
        // last line releases what waited for more lines.
        wait_for(
            "the findings of the sample",
            || finding_occurrences(&findings) == 14 * round,
            || std::fs::read_to_string(&findings).unwrap_or_default(),
        );
        drop(stdin);
        assert!(child.wait().success());
    }
    let text = std::fs::read_to_string(&findings).unwrap();
    assert_eq!(
        text.lines().filter(|l| l.contains("\"summary\"")).count(),
        2
    );
    let findings_lines = text.lines().filter(|l| !l.contains("\"summary\""));
    assert!(findings_lines.clone().count() == 28);
    assert!(findings_lines
        .clone()
        .all(|l| l.contains("\"host\":\"web1\"")));
}

/// `aiolog merge` of NDJSON streams adds up to one run over the logs: a
/// sample's findings split over two hosts' streams, one of them written as
/// a syslog collector does (`HOST {…}`), one read from stdin.
#[test]
fn merging_ndjson_streams_adds_up_to_one_run_over_the_logs() {
    let tmp = TempDir::new("merge-ndjson");
    let a = root().join("samples/blocking_families.log");
    let b = root().join("samples/shutdown_destroyed.log");
    let ndjson = |log: &Path, host: &str| -> String {
        let out = output_of(
            aiolog()
                .args(["--format", "ndjson", "--host", host])
                .arg(log),
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // host2's lines carry no host of their own: the prefix names it.
    let web2: String = ndjson(&b, "x")
        .lines()
        .map(|l| format!("web2 {}\n", l.replace("\"host\":\"x\"", "\"host\":null")))
        .collect();
    let s1 = tmp.file("web1.ndjson", ndjson(&a, "web1"));
    let s2 = tmp.file("web2.ndjson", format!("{web2}not json\n"));
    let mut child = spawn(
        aiolog()
            .args(["merge", "--format", "json", "--by", "host", "-"])
            .arg(&s2)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&s1).unwrap())
        .unwrap();
    let out = child.wait_with_output();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 line not read as aiolog NDJSON, the first at line"),
        "{err}"
    );
    let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
    let one_run = json_of(aiolog().args(["--format", "json"]).arg(&a).arg(&b));
    let strip = |v: Vec<String>| -> Vec<String> {
        v.into_iter()
            .map(|s| s[..s.find(" by_host=").unwrap()].to_string())
            .collect()
    };
    assert_eq!(strip(figures(&merged)), strip(figures(&one_run)));
    assert_eq!(merged["input"]["lines"], one_run["input"]["lines"]);
    for f in merged["findings"].as_array().unwrap() {
        let host = if f["kind"] == "slow_callback" {
            "web1"
        } else {
            "web2"
        };
        assert_eq!(f["by_host"][host]["count"], f["count"], "{f}");
    }
}

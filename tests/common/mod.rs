//! Helpers shared by the integration tests.

mod stream;
pub use stream::*;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The aiolog binary under test: a copy of the one cargo built, made once
/// per test run. The wheel test has maturin build the binary again in
/// place, and while it does, `target/debug/aiolog` is missing for a moment.
pub fn aiolog_bin() -> &'static Path {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let copy = dir.join("aiolog-under-test");
        let part = dir.join(format!("aiolog-under-test.{}", std::process::id()));
        std::fs::copy(env!("CARGO_BIN_EXE_aiolog"), &part).expect("copy of the aiolog binary");
        std::fs::rename(&part, &copy).unwrap();
        copy
    })
}

/// A command that runs the aiolog binary under test.
pub fn aiolog() -> Command {
    Command::new(aiolog_bin())
}

/// Runs aiolog and returns its output.
pub fn run(args: &[&str]) -> Output {
    output_of(aiolog().args(args))
}

/// Runs `aiolog --format json ARGS` and parses the document.
pub fn run_json(args: &[&str]) -> Value {
    let out = output_of(aiolog().arg("--format").arg("json").args(args));
    assert!(
        out.status.success(),
        "aiolog {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// A finding reduced to what the sample tests check.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expect {
    pub kind: String,
    pub location: String,
    pub function: String,
    pub count: u64,
}

/// The findings of a JSON document as [`Expect`] rows, sorted.
pub fn summarize(doc: &Value) -> Vec<Expect> {
    let mut v: Vec<Expect> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| Expect {
            kind: f["kind"].as_str().unwrap().to_string(),
            location: format!(
                "{}:{}",
                f["site"]["path"].as_str().unwrap_or("?"),
                f["site"]["line"]
            ),
            function: f["site"]["function"].as_str().unwrap_or("").to_string(),
            count: f["count"].as_u64().unwrap(),
        })
        .collect();
    v.sort();
    v
}

/// The findings a scenario script declares with `# expect: KIND FUNCTION
/// [count=N]` comments on the line each finding must point at. The path is
/// the one the regenerate script maps the scenarios to: `/app/NAME.py`.
///
/// A scenario whose findings point into a module beside it (a library under
/// `site-packages/`) names it with `# findings-in: RELATIVE/PATH.py`; that
/// file's `# expect:` comments count too, at `/app/RELATIVE/PATH.py`.
pub fn expected_from_scenario(script: &Path) -> Vec<Expect> {
    let text = std::fs::read_to_string(script).unwrap();
    // Its logs were captured with the stall probe on.
    if text.contains("# probe: on") {
        return expected_with_probe(script);
    }
    let name = script.file_name().unwrap().to_string_lossy();
    let mut v = expectations_in(&text, &format!("/app/{name}"));
    for line in text.lines() {
        if let Some(rel) = line.trim().strip_prefix("# findings-in: ") {
            let other = std::fs::read_to_string(script.parent().unwrap().join(rel)).unwrap();
            v.extend(expectations_in(&other, &format!("/app/{rel}")));
        }
    }
    v.sort();
    v
}

fn expectations_in(text: &str, path: &str) -> Vec<Expect> {
    let mut v = Vec::new();
    for (i, line) in text.lines().enumerate() {
        // A finding whose record names no line of code (a slow name lookup
        // names a host): `# expect-unsited: KIND [count=N]`.
        if let Some(idx) = line.find("# expect-unsited: ") {
            let mut words = line[idx + "# expect-unsited: ".len()..].split_whitespace();
            let kind = words.next().expect("kind").to_string();
            let count = words
                .next()
                .and_then(|w| w.strip_prefix("count="))
                .map_or(1, |n| n.parse().unwrap());
            v.push(Expect {
                kind,
                location: "?:null".to_string(),
                function: String::new(),
                count,
            });
            continue;
        }
        let Some(idx) = line.find("# expect: ") else {
            continue;
        };
        let mut words = line[idx + "# expect: ".len()..].split_whitespace();
        let kind = words.next().expect("kind").to_string();
        let function = words.next().expect("function").to_string();
        let count = words
            .next()
            .map(|w| w.strip_prefix("count=").expect("count=N").parse().unwrap())
            .unwrap_or(1);
        v.push(Expect {
            kind,
            location: format!("{path}:{}", i + 1),
            function,
            count,
        });
    }
    v
}

/// The findings of a scenario run under the stall probe (`aiolog run`,
/// `AIOLOG_PROBE=1`): its `# expect-probe: loop_stall FUNCTION` lines, on
/// the statement that really blocks, stand for the `# expect:
/// slow_callback` findings of the steps the probe catches; the other
/// `# expect:` findings stay.
pub fn expected_with_probe(script: &Path) -> Vec<Expect> {
    let text = std::fs::read_to_string(script).unwrap();
    let probed = text.replace("# expect-probe: ", "# expect: ");
    let name = script.file_name().unwrap().to_string_lossy();
    let mut v: Vec<Expect> = expectations_in(&probed, &format!("/app/{name}"))
        .into_iter()
        .filter(|e| e.kind != "slow_callback" || !text.contains("# expect-probe: "))
        .collect();
    v.sort();
    v
}

/// Whether a scenario is a negative control: `# expect-none`, no finding.
pub fn expects_none(script: &Path) -> bool {
    std::fs::read_to_string(script)
        .unwrap()
        .contains("# expect-none")
}

/// The scenario scripts (not the helper modules starting with `_`).
pub fn scenarios() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("samples/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('_'))
        .collect();
    v.sort();
    v
}

/// The log variants the regenerate script writes for each scenario.
pub const VARIANTS: &[&str] = &[".log", ".timestamped.log"];

/// The variant of a `# probe: on` scenario run as `aiolog run --light`
/// starts it: the probe alone, without debug mode.
pub const LIGHT: &str = ".light.log";

/// The log variants the regenerate script writes for `script`: a probe
/// scenario's include [`LIGHT`].
pub fn variants_of(script: &Path) -> Vec<&'static str> {
    let mut v = VARIANTS.to_vec();
    if std::fs::read_to_string(script)
        .unwrap()
        .contains("# probe: on")
    {
        v.push(LIGHT);
    }
    v
}

/// Says on the real stderr, past the test harness's capture (which would
/// hide it in a passing test), that part of a test did not run, and why.
pub fn skipped(what: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {what}: {why}");
}

/// The Python interpreter for tests that run real Python: `AIOLOG_TEST_PYTHON`,
/// else `python3`. When it cannot be run, says so on stderr (with the test's
/// name) and returns `None`: the caller then checks nothing.
pub fn python(test: &str) -> Option<String> {
    let py = std::env::var("AIOLOG_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string());
    if Command::new(&py).arg("--version").output().is_ok() {
        Some(py)
    } else {
        skipped(
            test,
            &format!("`{py}` not found; install Python 3 to run it"),
        );
        None
    }
}

/// The counts of a JSON report's `input` object.
pub const INPUT_COUNTS: &[&str] = &[
    "bytes",
    "lines",
    "parsed_lines",
    "passed_through_lines",
    "skipped_lines",
    "records",
    "unrecognized_records",
    "findings",
];

/// A fresh virtual environment at `dir` (made with `python`), with
/// `pip install ARGS` run in it. Returns its python.
pub fn venv_with(python: &str, dir: &Path, pip_args: &[&str]) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    let ok = Command::new(python)
        .args(["-m", "venv"])
        .arg(dir)
        .status()
        .unwrap();
    assert!(ok.success(), "python -m venv {}", dir.display());
    let py = dir.join("bin/python");
    let out = Command::new(&py)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(pip_args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pip install {pip_args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    py
}

/// Every sample log, sorted.
pub fn sample_logs() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("samples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Every log the project commits: the samples (each version's too), the
/// corpus and the frameworks' captures, sorted.
pub fn committed_logs() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["samples", "tests/corpus", "tests/frameworks"] {
        files.extend(files_under(&root().join(dir), "log"));
    }
    files.sort();
    files
}

/// Every file under `dir`, at any depth, whose extension is `ext`.
pub fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                files.push(p);
            }
        }
    }
    files
}

/// A sample log's path.
pub fn sample(name: &str) -> String {
    root()
        .join("samples")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// How long a test waits for what should take milliseconds: a bound on a
/// hang, never a guess at how long something takes. A loaded machine may be
/// slow; only a stuck one is this slow.
pub const HANG: std::time::Duration = std::time::Duration::from_secs(120);

/// A temporary directory, removed with all it holds when dropped (also
/// when the test panics).
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new, empty directory whose name says which test made it.
    pub fn new(name: &str) -> TempDir {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("aiolog-test-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Writes `data` to a file inside it and returns the file's path.
    pub fn file(&self, rel: &str, data: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, data).unwrap();
        p
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process started by a test, in a process group of its own. When
/// dropped (also when the test panics) the whole group is killed and the
/// child reaped, so that no aiolog, and no program that `aiolog run`
/// started, outlives the test. The child also gets SIGKILL if the test's
/// thread dies without unwinding.
pub struct Spawned {
    child: Option<std::process::Child>,
}

/// What a [`Spawned`] child left when it exited.
pub struct Exited {
    pub status: std::process::ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Starts `cmd` as a [`Spawned`] child.
pub fn spawn(cmd: &mut Command) -> Spawned {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    // SAFETY: prctl is async-signal-safe; nothing is allocated.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    // A child forked by another thread while the binary's copy was being
    // written may hold it open for writing until it execs: ETXTBSY, briefly.
    let mut tries = 0;
    let child = loop {
        match cmd.spawn() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 50 => tries += 1,
            other => break other.expect("the child starts"),
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    Spawned { child: Some(child) }
}

impl std::ops::Deref for Spawned {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        self.child.as_ref().unwrap()
    }
}

impl std::ops::DerefMut for Spawned {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        self.child.as_mut().unwrap()
    }
}

impl Spawned {
    /// Sends `signal` (`libc::SIGINT`, ...) to the child alone.
    pub fn signal(&self, signal: i32) {
        let r = unsafe { libc::kill(self.id() as libc::pid_t, signal) };
        assert_eq!(r, 0, "kill({}, {signal})", self.id());
    }

    /// Waits for the child to exit (at most [`HANG`]), reading its piped
    /// stdout and stderr meanwhile, and reaps it.
    pub fn finish(self) -> Exited {
        self.finish_within(HANG)
    }

    /// As [`Spawned::finish`], for a child that runs a long job (a whole
    /// set of scenarios): `bound` only bounds a hang.
    pub fn finish_within(mut self, bound: std::time::Duration) -> Exited {
        let child = self.child.as_mut().unwrap();
        let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
            std::thread::spawn(move || {
                let mut v = Vec::new();
                if let Some(mut r) = r {
                    let _ = r.read_to_end(&mut v);
                }
                v
            })
        };
        let out = drain(child.stdout.take().map(|r| Box::new(r) as _));
        let err = drain(child.stderr.take().map(|r| Box::new(r) as _));
        let pid = child.id() as libc::pid_t;
        let start = std::time::Instant::now();
        // (No rusage: a child forked from this large test process would
        // count its pages from before exec in ru_maxrss; a test that
        // measures memory reads the child's own VmHWM.)
        let raw = loop {
            let mut raw = 0;
            let r = unsafe { libc::waitpid(pid, &mut raw, libc::WNOHANG) };
            assert!(r >= 0, "waitpid: {}", std::io::Error::last_os_error());
            if r == pid {
                break raw;
            }
            assert!(
                start.elapsed() < bound,
                "the child {pid} did not exit within {bound:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        // Reaped here: the drop below must not wait for it again.
        let _ = self.child.take();
        kill_group(pid);
        use std::os::unix::process::ExitStatusExt;
        Exited {
            status: std::process::ExitStatus::from_raw(raw),
            stdout: out.join().unwrap(),
            stderr: err.join().unwrap(),
        }
    }

    /// [`Spawned::finish`]'s exit status.
    pub fn wait(self) -> std::process::ExitStatus {
        self.finish().status
    }

    /// [`Spawned::finish`] as an [`Output`].
    pub fn wait_with_output(self) -> Output {
        self.finish().into()
    }
}

/// SIGKILL to every process left in group `pid`.
fn kill_group(pid: libc::pid_t) {
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_group(child.id() as libc::pid_t);
            let _ = child.wait();
        }
    }
}

/// `cmd`'s output, as [`Command::output`] gives it, but in a process group
/// that is killed if the test fails, and bounded by [`HANG`].
/// Its stdin is empty, as with `Command::output`; stdout and stderr are
/// captured whatever `cmd` said of them.
pub fn output_of(cmd: &mut Command) -> Output {
    output_within(cmd, HANG)
}

/// As [`output_of`], for a child that runs a long job: `bound` only bounds
/// a hang.
pub fn output_within(cmd: &mut Command, bound: std::time::Duration) -> Output {
    spawn(
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped()),
    )
    .finish_within(bound)
    .into()
}

impl From<Exited> for Output {
    fn from(e: Exited) -> Output {
        Output {
            status: e.status,
            stdout: e.stdout,
            stderr: e.stderr,
        }
    }
}

/// The lines a child writes to a pipe, read on a thread as they come.
pub struct Lines(std::sync::mpsc::Receiver<String>);

impl Lines {
    /// Starts reading `pipe`.
    pub fn of(pipe: impl std::io::Read + Send + 'static) -> Lines {
        use std::io::BufRead;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for l in std::io::BufReader::new(pipe).lines() {
                if tx.send(l.unwrap_or_default()).is_err() {
                    break;
                }
            }
        });
        Lines(rx)
    }

    /// The next line (waiting at most [`HANG`]); `what` says in the
    /// failure what was awaited.
    pub fn next(&self, what: &str) -> String {
        self.0
            .recv_timeout(HANG)
            .unwrap_or_else(|e| panic!("no line for {what}: {e}"))
    }

    /// Lines up to and including the first that contains `want`; fails if
    /// the pipe closes first.
    pub fn until(&self, want: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            match self.0.recv_timeout(HANG) {
                Ok(l) => {
                    let done = l.contains(want);
                    seen.push(l);
                    if done {
                        return seen;
                    }
                }
                Err(e) => panic!("no line with {want:?} ({e}); read {seen:?}"),
            }
        }
    }

    /// Every line until the pipe closes.
    pub fn rest(&self) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            match self.0.recv_timeout(HANG) {
                Ok(l) => seen.push(l),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return seen,
                Err(e) => panic!("the pipe stayed open ({e}); read {seen:?}"),
            }
        }
    }
}

/// `# MARKER: value` comments of a scenario: (line, value).
pub fn markers(script: &str, marker: &str) -> Vec<(u64, String)> {
    let text = std::fs::read_to_string(root().join("samples/scenarios").join(script)).unwrap();
    let tag = format!("{marker}: ");
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            l.find(&tag)
                .map(|p| (i as u64 + 1, l[p + tag.len()..].trim().to_string()))
        })
        .collect()
}

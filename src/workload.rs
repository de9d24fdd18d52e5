//! A synthetic workload for benchmarks and tests (not a pipeline stage).
//!
//! # Brief overview
//! [`generate`] writes a realistic mixed log, deterministic from a seed and a
//! size: about 97 % application lines in several logging formats (timestamped
//! with a pid, `logging.basicConfig`'s default, the cookbook's dashes, bare
//! lines and JSON lines) and about 3 % asyncio debug-mode records of every kind
//! aiolog reads, shaped after the samples that CPython 3.11 wrote (slow task
//! steps, slow callbacks and timer callbacks, never-awaited warnings with their
//! `Coroutine created at` traceback, destroyed pending tasks and unretrieved
//! task exceptions with creation tracebacks, and `Exception in callback`
//! records aiolog counts as unrecognized). The records point at a few hundred
//! distinct sites under `/srv/app/`. The text is generated, not captured: it is
//! a load to measure speed and memory with, never evidence of CPython's format.
//!
//! # Example
//! ```
//! let mut out = Vec::new();
//! aiolog::workload::generate(&mut out, 7, 100_000).unwrap();
//! assert!(out.len() >= 100_000);
//! ```

use std::io::{self, Write};

/// Distinct modules and functions: `MODULES * FUNCTIONS` sites per kind.
const MODULES: u64 = 30;
const FUNCTIONS: u64 = 10;

/// splitmix64: small, fast and deterministic (also the property tests'
/// generator).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// A site: module, function and a line that stays the same for the pair.
fn site(r: &mut Rng) -> (String, String, u64) {
    let m = r.below(MODULES);
    let f = r.below(FUNCTIONS);
    let line = 10 + (m * 37 + f * 101) % 400;
    (
        format!("/srv/app/service{m}.py"),
        format!("handler{f}"),
        line,
    )
}

const STDLIB: &str = "/usr/local/lib/python3.11";

fn stdlib_frames(out: &mut Vec<String>) {
    for (file, line, func, code) in [
        ("asyncio/runners.py", 190, "run", "return runner.run(main)"),
        (
            "asyncio/runners.py",
            118,
            "run",
            "return self._loop.run_until_complete(task)",
        ),
        (
            "asyncio/base_events.py",
            640,
            "run_until_complete",
            "self.run_forever()",
        ),
        (
            "asyncio/base_events.py",
            607,
            "run_forever",
            "self._run_once()",
        ),
        ("asyncio/base_events.py", 1914, "_run_once", "handle._run()"),
        (
            "asyncio/events.py",
            80,
            "_run",
            "self._context.run(self._callback, *self._args)",
        ),
    ] {
        out.push(format!(
            "  File \"{STDLIB}/{file}\", line {line}, in {func}"
        ));
        out.push(format!("    {code}"));
    }
}

/// Writes about `size` bytes of mixed log to `w`.
pub fn generate(w: &mut impl Write, seed: u64, size: u64) -> io::Result<u64> {
    generate_dense(w, seed, size, None)
}

/// About one asyncio record for every this many loop iterations (mostly
/// application lines) in the default, sparse workload: some 57 records
/// per MiB.
const SPARSE_ONE_IN: u64 = 200;

/// [`generate`] with a density: about `records_per_mib` asyncio records per
/// MiB (a service in trouble logs a slow step every few dozen lines), or
/// the default sparse mix with `None`. The records stay scattered at
/// random among the application lines.
pub fn generate_dense(
    w: &mut impl Write,
    seed: u64,
    size: u64,
    records_per_mib: Option<u64>,
) -> io::Result<u64> {
    let mut r = Rng(seed);
    // The average application line is about 105 bytes, and the average
    // record about 720 bytes (its lines together): of N draws, one in
    // `one_in` a record, N/one_in*720 + N*105 bytes hold N/one_in records.
    let one_in = match records_per_mib {
        None => SPARSE_ONE_IN,
        Some(d) => {
            let d = d.max(1) as f64;
            ((1_048_576.0 / d - 720.0) / 105.0).max(1.0).round() as u64 + 1
        }
    };
    let mut written = 0u64;
    let mut n = 0u64;
    let mut lines: Vec<String> = Vec::with_capacity(64);
    while written < size {
        n += 1;
        lines.clear();
        let secs = 1_700_000_000 + n / 50;
        let ts = format!(
            "2024-05-{:02} {:02}:{:02}:{:02},{:03}",
            1 + (secs / 86_400) % 28,
            (secs / 3600) % 24,
            (secs / 60) % 60,
            secs % 60,
            n % 1000
        );
        let pid = 800 + r.below(4);
        // One asyncio record for roughly every 200 application lines; the
        // records are multi-line, so about 3 % of all lines are asyncio's.
        if r.below(one_in) == 0 {
            record(&mut r, &ts, pid, n, &mut lines);
        } else {
            app_line(&mut r, &ts, pid, n, &mut lines);
        }
        for l in &lines {
            w.write_all(l.as_bytes())?;
            w.write_all(b"\n")?;
            written += l.len() as u64 + 1;
        }
    }
    Ok(written)
}

fn app_line(r: &mut Rng, ts: &str, pid: u64, n: u64, lines: &mut Vec<String>) {
    let id = r.below(100_000);
    let ms = r.below(900);
    lines.push(match r.below(6) {
        0 | 1 => format!(
            "{ts} [{pid}] INFO app.http: GET /api/v1/items/{id} 200 took {ms} ms request_id={:016x}",
            r.next_u64()
        ),
        2 => format!("INFO:app.db:query users id={id} rows={} in {ms} ms", r.below(50)),
        3 => format!("{ts} - app.worker - DEBUG - processed job {id} in {ms}ms (queue depth {})", r.below(30)),
        4 => format!("worker-{}: heartbeat ok seq={n} load={}.{:02}", r.below(8), r.below(4), r.below(100)),
        _ => format!(
            "{{\"ts\": \"{ts}\", \"level\": \"info\", \"logger\": \"app.cache\", \"msg\": \"cache hit\", \"key\": \"user:{id}\"}}"
        ),
    });
}

fn record(r: &mut Rng, ts: &str, pid: u64, n: u64, lines: &mut Vec<String>) {
    let (path, func, line) = site(r);
    let prefix = |level: &str| format!("{ts} [{pid}] {level} asyncio: ");
    let secs = format!("{}.{:03}", r.below(2), 100 + r.below(900));
    match r.below(7) {
        0 | 1 => lines.push(format!(
            "{}Executing <Task pending name='Task-{n}' coro=<{func}() running at {path}:{line}> \
             wait_for=<Future pending cb=[Task.task_wakeup()] created at {STDLIB}/asyncio/base_events.py:427> \
             cb=[gather.<locals>._done_callback() at {STDLIB}/asyncio/tasks.py:764] \
             created at {STDLIB}/asyncio/tasks.py:384> took {secs} seconds",
            prefix("WARNING")
        )),
        2 => lines.push(format!(
            "Executing <TimerHandle when={}.{:09} {func}() at {path}:{line} created at {path}:{}> took {secs} seconds",
            r.below(100_000),
            r.below(1_000_000_000),
            line + 40
        )),
        3 => {
            lines.push(format!(
                "{path}:{line}: RuntimeWarning: coroutine 'Repo{}.{func}' was never awaited",
                r.below(5)
            ));
            lines.push("Coroutine created at (most recent call last)".into());
            stdlib_frames(lines);
            lines.push(format!("  File \"{path}\", line {line}, in {func}"));
            lines.push(format!("    self.{func}(item)"));
            lines.push(format!("  self.{func}(item)"));
            lines.push("RuntimeWarning: Enable tracemalloc to get the object allocation traceback".into());
        }
        4 => {
            lines.push(format!("{}Task was destroyed but it is pending!", prefix("ERROR")));
            lines.push("source_traceback: Object created at (most recent call last):".into());
            stdlib_frames(lines);
            lines.push(format!("  File \"{path}\", line {line}, in {func}"));
            lines.push(format!("    asyncio.ensure_future(listen_{func}())"));
            lines.push(format!(
                "task: <Task pending name='Task-{n}' coro=<listen_{func}() done, defined at {path}:{}> \
                 wait_for=<Future pending cb=[Task.task_wakeup()] created at {STDLIB}/asyncio/base_events.py:427> \
                 created at {STDLIB}/asyncio/tasks.py:680>",
                line + 3
            ));
        }
        5 => {
            lines.push(format!("{}Task exception was never retrieved", prefix("ERROR")));
            lines.push(format!(
                "future: <Task finished name='Task-{n}' coro=<{func}() done, defined at {path}:{}> \
                 exception=ConnectionError('upstream {n} unreachable') created at {STDLIB}/asyncio/tasks.py:384>",
                line - 2
            ));
            lines.push("Traceback (most recent call last):".into());
            lines.push(format!("  File \"{path}\", line {line}, in {func}"));
            lines.push("    raise ConnectionError(f\"upstream {n} unreachable\")".to_string());
            lines.push(format!("ConnectionError: upstream {n} unreachable"));
        }
        _ => {
            lines.push(format!("{}Exception in callback {func}() at {path}:{line}", prefix("ERROR")));
            lines.push(format!("handle: <Handle {func}() at {path}:{line} created at {path}:{}>", line + 9));
            lines.push("Traceback (most recent call last):".into());
            lines.push(format!("  File \"{STDLIB}/asyncio/events.py\", line 80, in _run"));
            lines.push("    self._context.run(self._callback, *self._args)".into());
            lines.push(format!("  File \"{path}\", line {}, in {func}", line + 2));
            lines.push("    1 / 0".into());
            lines.push("ZeroDivisionError: division by zero".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_about_the_size_asked() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        generate(&mut a, 1, 200_000).unwrap();
        generate(&mut b, 1, 200_000).unwrap();
        assert_eq!(a, b);
        assert!(a.len() >= 200_000 && a.len() < 210_000);
        let mut c = Vec::new();
        generate(&mut c, 2, 200_000).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn the_density_knob_gives_about_the_records_asked() {
        let records = |d: Option<u64>| {
            let mut v = Vec::new();
            generate_dense(&mut v, 3, 8 << 20, d).unwrap();
            let text = String::from_utf8(v).unwrap();
            let n = [
                "Executing <",
                "was never awaited",
                "Task was destroyed",
                "never retrieved",
                "Exception in callback",
            ]
            .iter()
            .map(|m| text.matches(m).count())
            .sum::<usize>();
            n as f64 / 8.0
        };
        let sparse = records(None);
        assert!((30.0..90.0).contains(&sparse), "{sparse} per MiB");
        let dense = records(Some(320));
        assert!((250.0..400.0).contains(&dense), "{dense} per MiB");
    }
}

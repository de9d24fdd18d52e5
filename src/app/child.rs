//! `aiolog run -- COMMAND`: the child in asyncio debug mode, its output
//! passed through and analyzed live, its exit status returned.

use std::io;
use std::process::{Child, Stdio};

use aiolog::input;

use super::live::live_loop;
use super::{describe_io_error, Ctx};
use crate::cli::RunArgs;
use crate::signals;

/// `aiolog run -- COMMAND`. Returns the child's exit status, or `None` when
/// it could not be started.
pub(super) fn run_child(r: &RunArgs, ctx: &mut Ctx) -> io::Result<Option<u8>> {
    ctx.stderr_is_childs = true;
    let program = &r.command[0];
    let mut cmd = std::process::Command::new(program);
    cmd.args(&r.command[1..])
        // `always` for RuntimeWarning: each never-awaited coroutine is
        // printed, not each line once, so that its count is exact.
        .env("PYTHONWARNINGS", "default,always::RuntimeWarning")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::inherit())
        .stderr(Stdio::piped())
        .stdout(if r.no_stdout {
            Stdio::inherit()
        } else {
            Stdio::piped()
        });
    if !r.light {
        cmd.env("PYTHONASYNCIODEBUG", "1")
            .env("AIOLOG_RUN_DEBUG", "1");
        if r.tracemalloc > 0 {
            cmd.env("PYTHONTRACEMALLOC", r.tracemalloc.to_string());
        }
    }
    if r.dev {
        cmd.env("PYTHONDEVMODE", "1");
    }
    let inject = if r.no_inject {
        None
    } else {
        Some(Injection::create()?)
    };
    if let Some(inj) = &inject {
        let mut path = inj.dir.clone().into_os_string();
        if let Some(old) = std::env::var_os("PYTHONPATH").filter(|p| !p.is_empty()) {
            path.push(":");
            path.push(old);
        }
        cmd.env("PYTHONPATH", path)
            .env("AIOLOG_RUN_MARKER", &inj.marker);
        if let Some(slow) = r.slow {
            cmd.env("AIOLOG_RUN_SLOW", slow.to_string());
            cmd.env("AIOLOG_PROBE_THRESHOLD", slow.to_string());
        }
        if !r.no_probe {
            cmd.env("AIOLOG_PROBE", "1")
                .env("AIOLOG_PROBE_SAMPLE", r.probe_sample.to_string());
        }
    } else if r.slow.is_some() {
        eprintln!("aiolog: warning: --slow needs the injected sitecustomize; it is ignored with --no-inject");
    }
    // Signals that arrive while the child runs are handled below.
    signals::install();
    let mut child: Child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "aiolog: error: cannot run {program}: {}",
                describe_io_error(&e)
            );
            return Ok(None);
        }
    };
    let (tx, rx) = input::live_channel();
    // The child's standard error and standard output are one process's
    // output, read as one input: an access log on stdout is the context of
    // the warnings on stderr.
    let mut sources: Vec<input::MergedSource> = vec![(
        Box::new(child.stderr.take().unwrap()),
        Some(Box::new(io::stderr())),
    )];
    if let Some(so) = child.stdout.take() {
        sources.push((Box::new(so), Some(Box::new(io::stdout()))));
    }
    let names = vec![program.to_string()];
    input::spawn_merged_readers(0, sources, tx.clone());
    drop(tx);
    ctx.names.extend(names.iter().cloned());
    let pid = child.id();
    // Ctrl-C on the terminal reaches the child with the whole process group;
    // a signal sent to aiolog alone is passed on. aiolog goes on reading until
    // the child has exited, so its last words are analyzed too.
    live_loop(rx, &names, ctx, &mut |sig| {
        if !sig.from_terminal || sig.signal == libc::SIGTERM {
            signals::send(pid, sig.signal);
        }
        false
    })?;
    let status = child.wait()?;
    let code = match (
        status.code(),
        std::os::unix::process::ExitStatusExt::signal(&status),
    ) {
        (Some(c), _) => c as u8,
        (None, Some(sig)) => (128 + sig) as u8,
        _ => 1,
    };
    if let Some(inj) = inject.as_ref().filter(|_| !r.light) {
        if !inj.marker.exists() {
            ctx.withheld.no_loop = true;
            eprintln!(
                "aiolog: warning: {program} ran no asyncio event loop in debug mode, so its output holds no \
                 debug-mode warnings (an event loop such as uvloop that does not derive from asyncio's, or a \
                 program that is not Python?)"
            );
        }
    }
    Ok(Some(code))
}

/// The sitecustomize module `aiolog run` puts first on the child's
/// PYTHONPATH, in a directory removed when aiolog ends.
pub(super) struct Injection {
    dir: std::path::PathBuf,
    marker: std::path::PathBuf,
}

pub(super) const SITECUSTOMIZE: &str = include_str!("../run/sitecustomize.py");
/// The stall probe, beside it.
pub(super) const PROBE: &str = include_str!("../run/aiolog_probe.py");

impl Injection {
    pub(super) fn create() -> io::Result<Injection> {
        let dir = std::env::temp_dir().join(format!("aiolog-run-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("sitecustomize.py"), SITECUSTOMIZE)?;
        std::fs::write(dir.join("aiolog_probe.py"), PROBE)?;
        let marker = dir.join("debug-loop-seen");
        let _ = std::fs::remove_file(&marker);
        Ok(Injection { dir, marker })
    }
}

/// The directory `aiolog probe-path` prints: the probe and the
/// sitecustomize module under the user's cache directory
/// (`$XDG_CACHE_HOME/aiolog/probe-VERSION`, else `~/.cache/…`, else the
/// temporary directory), written when missing or different.
pub(super) fn probe_dir() -> io::Result<std::path::PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    let dir = cache
        .join("aiolog")
        .join(format!("probe-{}", env!("CARGO_PKG_VERSION")));
    std::fs::create_dir_all(&dir)?;
    for (name, text) in [
        ("sitecustomize.py", SITECUSTOMIZE),
        ("aiolog_probe.py", PROBE),
    ] {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
            std::fs::write(&path, text)?;
        }
    }
    Ok(dir)
}

impl Drop for Injection {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

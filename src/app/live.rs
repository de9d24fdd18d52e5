//! Live analysis: a followed file (`-F`) or a live stream, read as it
//! grows, findings printed as their records complete, and the status line.

use std::io::{self, IsTerminal, Write};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use aiolog::correlate::Finding;
use aiolog::input::{self, LiveMsg, IDLE_FLUSH};
use aiolog::pipeline::{InputAnalyzer, Step};

use super::{describe_io_error, Ctx};
use crate::signals;

/// How long a stage under rsyslog (`--omprog`) waits before it takes a
/// silent stream's open record as complete. rsyslog hands lines over one
/// at a time, through its queues: on a loaded host two lines of one record
/// may come further apart than a terminal's pipe would write them, and a
/// pipeline stage does not need a finding within a fifth of a second.
pub(super) const OMPROG_IDLE_FLUSH: Duration = Duration::from_secs(2);

/// `-F FILE`.
pub(super) fn follow(path: &std::path::Path, from_start: bool, ctx: &mut Ctx) -> io::Result<()> {
    let name = path.display().to_string();
    let (tx, rx) = input::live_channel();
    match input::spawn_follower(0, path.to_path_buf(), from_start, tx) {
        // Every byte written from now on is read: scripts and tests may
        // start writing once they see this.
        Ok(start) if ctx.notices => eprintln!("aiolog: following {name} from byte {start}"),
        Ok(_) => {}
        Err(e) => {
            eprintln!(
                "aiolog: error: cannot follow {}: {}",
                e.name,
                describe_io_error(&e.source)
            );
            ctx.errored = true;
            ctx.withheld.unread_inputs += 1;
            return Ok(());
        }
    }
    ctx.names.push(name.clone());
    live_loop(rx, &[name], ctx, &mut |_| true)
}

/// Reads live sources until each has ended, or until `on_signal` says to
/// stop. Findings are printed as their records complete; a record is
/// complete after [`IDLE_FLUSH`] without new data from its source
/// ([`OMPROG_IDLE_FLUSH`] under rsyslog).
pub(super) fn live_loop(
    rx: Receiver<LiveMsg>,
    names: &[String],
    ctx: &mut Ctx,
    on_signal: &mut dyn FnMut(signals::Caught) -> bool,
) -> io::Result<()> {
    signals::install();
    // The status line goes to stderr; in `aiolog run` that carries the
    // child's output, which the status line would garble.
    if ctx.status_line.is_none() && io::stderr().is_terminal() && !ctx.stderr_is_childs {
        ctx.status_line = Some(StatusLine::new());
    }
    let mut ans: Vec<InputAnalyzer> = names
        .iter()
        .map(|n| InputAnalyzer::new(n, ctx.grammars, ctx.scanner, ctx.opts))
        .collect();
    let mut last_data = vec![Instant::now(); ans.len()];
    let mut done = vec![false; ans.len()];
    let mut out: Vec<Finding> = Vec::new();
    let mut stopped = false;
    // `--omprog`: the messages (lines) read and not yet confirmed.
    let mut to_confirm = 0usize;
    let idle = if ctx.confirm.is_some() {
        OMPROG_IDLE_FLUSH
    } else {
        IDLE_FLUSH
    };
    while done.iter().any(|d| !d) {
        if let Some(sig) = signals::take() {
            if on_signal(sig) {
                stopped = true;
                break;
            }
        }
        // Wake up when the oldest open record has been silent long enough.
        let now = Instant::now();
        let wait = ans
            .iter()
            .zip(&last_data)
            .filter(|(a, _)| a.busy())
            .map(|(_, t)| (*t + idle).saturating_duration_since(now))
            .min()
            .unwrap_or(idle)
            .max(Duration::from_millis(5));
        match rx.recv_timeout(wait) {
            Ok(LiveMsg::Data { input, bytes }) => {
                ans[input].step(Step::Data(&bytes), &mut out);
                last_data[input] = Instant::now();
                to_confirm += memchr::memchr_iter(b'\n', &bytes).count();
            }
            Ok(LiveMsg::Eof { input }) => {
                ans[input].step(Step::End, &mut out);
                done[input] = true;
            }
            Ok(LiveMsg::Reopened { input, why }) => {
                if ctx.notices {
                    if let Some(s) = ctx.status_line.as_mut() {
                        s.clear();
                    }
                    let name = &names[input];
                    match why {
                        input::Reopen::Rotated => eprintln!(
                            "aiolog: {name} was replaced (rotated); following the new file from its start"
                        ),
                        input::Reopen::Truncated => {
                            eprintln!("aiolog: {name} was truncated; following it from its start")
                        }
                    }
                }
            }
            Ok(LiveMsg::Error { input, error }) => {
                eprintln!(
                    "aiolog: error: reading {}: {}",
                    names[input],
                    describe_io_error(&error)
                );
                ctx.errored = true;
                ans[input].step(Step::End, &mut out);
                done[input] = true;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        let now = Instant::now();
        for (a, t) in ans.iter_mut().zip(&last_data) {
            if a.busy() && now.duration_since(*t) >= idle {
                a.step(Step::Idle, &mut out);
            }
        }
        ctx.emit(&mut out, true)?;
        if to_confirm > 0 {
            // Each message is confirmed once read and its findings written.
            if let Some(c) = ctx.confirm.as_mut() {
                let ok = "OK\n".repeat(to_confirm);
                if c.write_all(ok.as_bytes()).and_then(|_| c.flush()).is_err() {
                    // rsyslog has gone: nothing more will come.
                    break;
                }
            }
            to_confirm = 0;
        }
        if let Some(s) = ctx.status_line.as_mut() {
            let lines: u64 = ans.iter().map(|a| a.stats().lines).sum();
            s.draw(lines, ctx.agg.events);
        }
    }
    for a in ans.iter_mut() {
        a.step(Step::End, &mut out);
    }
    ctx.emit(&mut out, true)?;
    for a in &ans {
        ctx.stats.merge(a.stats());
    }
    ctx.interrupted |= stopped;
    Ok(())
}

/// The status line on a terminal's stderr during a live run: lines read,
/// their rate and findings so far, redrawn at most four times a second and
/// cleared before anything else is printed.
pub(super) struct StatusLine {
    /// When the rate was last measured, and the line count then.
    mark: (Instant, u64),
    rate: f64,
    last_draw: Option<Instant>,
    shown: bool,
}

impl StatusLine {
    pub(super) fn new() -> StatusLine {
        StatusLine {
            mark: (Instant::now(), 0),
            rate: 0.0,
            last_draw: None,
            shown: false,
        }
    }

    pub(super) fn draw(&mut self, lines: u64, findings: u64) {
        let now = Instant::now();
        if self
            .last_draw
            .is_some_and(|t| now.duration_since(t) < Duration::from_millis(250))
        {
            return;
        }
        self.last_draw = Some(now);
        // The rate over the last second or so, not since the start.
        let (t0, n0) = self.mark;
        let dt = now.duration_since(t0).as_secs_f64();
        if dt >= 1.0 {
            self.rate = lines.saturating_sub(n0) as f64 / dt;
            self.mark = (now, lines);
        }
        let mut e = io::stderr().lock();
        let _ = write!(
            e,
            "\r\x1b[2Kaiolog: {} ({:.0}/s), {}",
            aiolog::text::plural(lines, "line", "lines"),
            self.rate,
            aiolog::text::plural(findings, "finding", "findings")
        );
        let _ = e.flush();
        self.shown = true;
    }

    pub(super) fn clear(&mut self) {
        if self.shown {
            let mut e = io::stderr().lock();
            let _ = write!(e, "\r\x1b[2K");
            let _ = e.flush();
            self.shown = false;
            self.last_draw = None;
        }
    }
}

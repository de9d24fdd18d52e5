//! The rule catalog: one stable code per kind of finding, with what it
//! detects, why it hurts and how to fix it. One table, so that a new rule is
//! one entry; renderers (SARIF rules, Markdown, the brief) read it.
//!
//! Codes are never reused: AIO1xx blocking the event loop, AIO2xx
//! coroutines never awaited, AIO3xx task lifecycle, AIO4xx exceptions.

use serde::Serialize;

use crate::event::Kind;

/// One rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable code, e.g. `AIO101`.
    pub code: &'static str,
    /// kebab-case name.
    pub name: &'static str,
    /// The kind of finding it covers.
    pub kind: Kind,
    /// One line.
    pub summary: &'static str,
    /// Why it hurts.
    pub why: &'static str,
    /// What to change.
    pub fix: &'static str,
    /// A log excerpt that this rule reports.
    pub example_log: &'static str,
    /// Python code before and after the fix.
    pub example_fix: &'static str,
}

/// Every rule, by code.
pub const RULES: &[Rule] = &[
    Rule {
        code: "AIO101",
        name: "blocking-task-step",
        kind: Kind::SlowCallback,
        summary: "a task step blocked the event loop",
        why: "While a task runs code that does not await, no other task, callback or I/O makes progress: \
              every request the service handles waits for it.",
        fix: "Find the blocking call between the previous await and the reported line (time.sleep, \
              requests, file or database I/O, CPU-heavy work) and replace it with its asyncio \
              counterpart (await asyncio.sleep, an async client) or move it off the loop with \
              `await asyncio.to_thread(...)` or `loop.run_in_executor(...)`.",
        example_log: r#"Executing <Task pending name='Task-2' coro=<handle_request() running at /app/api.py:18> cb=[Task.task_wakeup()] created at /usr/lib/python3.11/asyncio/tasks.py:384> took 0.251 seconds"#,
        example_fix: r#"# before
async def handle_request(n):
    time.sleep(0.25)            # blocks the loop
    await asyncio.sleep(0)      # line 18, the line asyncio reports
# after
async def handle_request(n):
    await asyncio.sleep(0.25)"#,
    },
    Rule {
        code: "AIO102",
        name: "blocking-callback",
        kind: Kind::SlowCallback,
        summary: "a callback blocked the event loop",
        why: "A callback scheduled with call_soon, call_later or as a future's done callback runs on \
              the event loop; while it runs, nothing else does.",
        fix: "Keep callbacks short: move blocking work to `loop.run_in_executor(...)`, or turn the \
              callback into a coroutine that awaits asynchronous APIs.",
        example_log: r#"Executing <Handle flush_metrics() at /app/metrics.py:12 created at /app/main.py:18> took 0.150 seconds"#,
        example_fix: r#"# before
def flush_metrics():            # line 12
    requests.post(URL, json=collect())
loop.call_soon(flush_metrics)
# after
async def flush_metrics():
    async with httpx.AsyncClient() as client:
        await client.post(URL, json=collect())
asyncio.create_task(flush_metrics())"#,
    },
    Rule {
        code: "AIO103",
        name: "slow-name-lookup",
        kind: Kind::SlowGetaddrinfo,
        summary: "a host name lookup took at least the slow-callback threshold",
        why: "asyncio resolves names in a thread, so the loop is not blocked, but every connection to \
              the host waits for the lookup; a slow DNS server stalls the requests behind it.",
        fix: "Resolve once and reuse the address, cache lookups (aiohttp's `ttl_dns_cache`, a local \
              caching resolver), or fix the resolver configuration (search domains, unreachable servers).",
        example_log: r#"INFO:asyncio:Getting address info backend:8080 took 152.542ms: [(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('10.0.0.7', 8080))]"#,
        example_fix: r#"# before
connector = aiohttp.TCPConnector(use_dns_cache=False)
# after
connector = aiohttp.TCPConnector(ttl_dns_cache=300)"#,
    },
    Rule {
        code: "AIO104",
        name: "blocking-call-detected",
        kind: Kind::BlockingCallDetected,
        summary: "a framework's detector saw a blocking call made in the event loop",
        why: "Home Assistant wraps blocking functions (open, time.sleep, import_module, HTTP \
              requests) and reports when one runs in the event loop: everything else in the process \
              waits for it, and newer versions refuse the call outright.",
        fix: "Run the call in an executor (`await hass.async_add_executor_job(func, ...)`, \
              `asyncio.to_thread`), use an async library, or do the work once at setup.",
        example_log: r#"2023-12-19 16:23:26.083 WARNING (MainThread) [homeassistant.util.async_] Detected blocking call to sleep inside the event loop by custom integration 'open_epaper_link' at custom_components/open_epaper_link/__init__.py, line 24: time.sleep(delay), please create a bug report at https://github.com/jonasniesner/open_epaper_link_homeassistant/issues"#,
        example_fix: r#"# before
config = load_yaml(filename)
# after
config = await hass.async_add_executor_job(load_yaml, filename)"#,
    },
    Rule {
        code: "AIO201",
        name: "coroutine-never-awaited",
        kind: Kind::NeverAwaited,
        summary: "a coroutine was created but never awaited",
        why: "Calling an async function only creates a coroutine object: without `await` (or \
              `asyncio.create_task`), its body never runs, so the work silently does not happen.",
        fix: "Add `await` before the call, or schedule it with `asyncio.create_task(...)` and keep a \
              reference to the task.",
        example_log: r#"/app/repo.py:13: RuntimeWarning: coroutine 'Repo.save' was never awaited"#,
        example_fix: r#"# before
async def handle(self, item):
    self.save(item)             # creates a coroutine and drops it
# after
async def handle(self, item):
    await self.save(item)"#,
    },
    Rule {
        code: "AIO301",
        name: "task-destroyed-pending",
        kind: Kind::TaskDestroyedPending,
        summary: "a task was destroyed while still pending",
        why: "The event loop keeps only weak references to tasks: a task nobody references can be \
              garbage-collected in the middle of its work, which is then lost without an error.",
        fix: "Keep a reference to every task you create (a set, a TaskGroup) and await or cancel it \
              before the loop closes.",
        example_log: r#"Task was destroyed but it is pending!
task: <Task pending name='Task-2' coro=<listen() done, defined at /app/feed.py:13> wait_for=<Future pending cb=[Task.task_wakeup()]>>"#,
        example_fix: r#"# before
asyncio.ensure_future(listen())          # nothing keeps the task
# after
background = set()
task = asyncio.create_task(listen())
background.add(task)
task.add_done_callback(background.discard)"#,
    },
    Rule {
        code: "AIO401",
        name: "task-exception-never-retrieved",
        kind: Kind::ExceptionNeverRetrieved,
        summary: "a task failed and nobody retrieved its exception",
        why: "The exception is only logged when the task is garbage-collected, possibly long after \
              the failure, and whatever awaited the result never learned that it failed.",
        fix: "Await the task (or gather it), use an asyncio.TaskGroup, or add a done callback that \
              calls `task.exception()` and handles the error.",
        example_log: r#"Task exception was never retrieved
future: <Task finished name='Task-2' coro=<sync_inventory() done, defined at /app/sync.py:12> exception=ConnectionError('unreachable')>"#,
        example_fix: r#"# before
asyncio.create_task(sync_inventory())    # nobody awaits it
# after
async with asyncio.TaskGroup() as tg:   # Python 3.11+
    tg.create_task(sync_inventory())     # failures propagate here"#,
    },
    Rule {
        code: "AIO402",
        name: "exception-in-callback",
        kind: Kind::ExceptionInCallback,
        summary: "a callback raised an exception",
        why: "An exception raised by a callback run by the event loop goes nowhere: asyncio logs it and \
              carries on, and whatever the callback should have done is left undone.",
        fix: "Catch and handle the error inside the callback, or turn the callback into a task whose \
              result is awaited.",
        example_log: r#"Exception in callback on_tick() at /app/ticker.py:7
handle: <Handle on_tick() at /app/ticker.py:7 created at /app/main.py:20>
Traceback (most recent call last):
  File "/app/ticker.py", line 9, in on_tick
    1 / 0
ZeroDivisionError: division by zero"#,
        example_fix: r#"# before
def on_tick():
    rate = done / elapsed        # may raise
# after
def on_tick():
    try:
        rate = done / elapsed
    except ZeroDivisionError:
        rate = 0.0"#,
    },
    Rule {
        code: "AIO403",
        name: "transport-callback-failed",
        kind: Kind::FatalTransportError,
        summary: "a protocol callback raised and asyncio closed the connection",
        why: "An exception in `data_received()`, `eof_received()` or another protocol callback is fatal \
              to the transport: asyncio logs it and closes the connection, and the peer sees it dropped.",
        fix: "Handle malformed input inside the protocol callback (validate, buffer, reply with an \
              error) instead of letting it raise.",
        example_log: r#"Fatal error: protocol.data_received() call failed.
protocol: <app.Echo object at 0x7f7728eb5110>
transport: <_SelectorSocketTransport fd=6 read=polling write=<idle, bufsize=0>>
Traceback (most recent call last):
  File "/app/echo.py", line 11, in data_received
    raise ValueError("cannot parse")
ValueError: cannot parse"#,
        example_fix: r#"# before
def data_received(self, data):
    msg = parse(data)            # raises on bad input
# after
def data_received(self, data):
    try:
        msg = parse(data)
    except ValueError:
        self.transport.write(b"bad request\n")
        return"#,
    },
    Rule {
        code: "AIO404",
        name: "loop-exception",
        kind: Kind::LoopException,
        summary: "asyncio's exception handler reported another error",
        why: "An exception nothing handled reached the event loop: a task that raised while \
              asyncio.run() cancelled it at shutdown, an async generator whose cleanup raised, a \
              failing client_connected_cb or protocol callback. asyncio only logs it; the work it \
              belonged to is lost.",
        fix: "Handle the error where it is raised: let cancellation propagate (re-raise \
              CancelledError, do cleanup that cannot fail), close async generators explicitly \
              (`contextlib.aclosing`), catch errors inside callbacks.",
        example_log: r#"unhandled exception during asyncio.run() shutdown
task: <Task finished name='Task-2' coro=<sync_worker() done, defined at /app/worker.py:14> exception=RuntimeError('could not flush the queue')>
Traceback (most recent call last):
  File "/app/worker.py", line 18, in sync_worker
    raise RuntimeError("could not flush the queue")
RuntimeError: could not flush the queue"#,
        example_fix: r#"# before
except asyncio.CancelledError:
    raise RuntimeError("could not flush the queue")
# after
except asyncio.CancelledError:
    log.warning("queue not flushed")
    raise"#,
    },
    Rule {
        code: "AIO501",
        name: "resource-not-closed",
        kind: Kind::ResourceWarning,
        summary: "an event loop, transport, socket or client session was never closed",
        why: "An unclosed resource keeps file descriptors and memory until garbage collection, and its \
              buffered data may never be flushed; in a long-running service they accumulate.",
        fix: "Close it deterministically: `async with` (aiohttp.ClientSession, streams), `try/finally` \
              with `await x.close()`, or the service's shutdown hook; let asyncio.run manage the loop.",
        example_log: r#"/app/client.py:30: ResourceWarning: unclosed <socket.socket fd=7, family=2, type=1, proto=6>"#,
        example_fix: r#"# before
session = aiohttp.ClientSession()
data = await (await session.get(url)).json()
# after
async with aiohttp.ClientSession() as session:
    async with session.get(url) as resp:
        data = await resp.json()"#,
    },
    Rule {
        code: "AIO601",
        name: "loop-called-from-thread",
        kind: Kind::NonThreadsafeCall,
        summary: "a loop method was called from a thread other than the loop's",
        why: "The event loop is not thread-safe: `call_soon`, `create_task`, `Future.set_result` and \
              the like, called from another thread, may never wake the loop or may corrupt its state. \
              Debug mode checks the thread and raises; without debug mode the call silently races.",
        fix: "From another thread, use `loop.call_soon_threadsafe(callback, ...)` or \
              `asyncio.run_coroutine_threadsafe(coro, loop)`.",
        example_log: r#"Exception in thread progress:
Traceback (most recent call last):
  File "/app/worker.py", line 15, in publish_progress
    loop.call_soon(progress.append, 50)
  File "/usr/local/lib/python3.11/asyncio/base_events.py", line 763, in call_soon
    self._check_thread()
  File "/usr/local/lib/python3.11/asyncio/base_events.py", line 800, in _check_thread
    raise RuntimeError(
RuntimeError: Non-thread-safe operation invoked on an event loop other than the current one"#,
        example_fix: r#"# before
loop.call_soon(progress.append, 50)
# after
loop.call_soon_threadsafe(progress.append, 50)"#,
    },
];

/// A rule by code.
pub fn by_code(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_well_formed_and_cover_every_kind() {
        let mut codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), RULES.len());
        assert!(
            RULES.windows(2).all(|w| w[0].code < w[1].code),
            "RULES is listed by code"
        );
        for r in RULES {
            assert!(r.code.len() == 6 && r.code.starts_with("AIO"), "{}", r.code);
            assert!(!r.summary.ends_with('.') && !r.why.is_empty() && !r.fix.is_empty());
        }
        for k in Kind::ALL {
            assert!(RULES.iter().any(|r| r.kind == k), "{k}");
        }
        assert_eq!(by_code("aio201").unwrap().kind, Kind::NeverAwaited);
    }
}

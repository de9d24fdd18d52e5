"""aiolog's stall probe: catches the statement that blocks an asyncio event
loop while it blocks.

asyncio's debug mode says which step was slow (`Executing <Task ...> took
0.5 seconds`), never where the time went. The probe looks at the loop's
thread while it is blocked:

* a heartbeat on every running event loop (asyncio's loops and uvloop): a
  callback that comes back every INTERVAL seconds while the loop is free;
* a watchdog thread that, when a loop has not come back for THRESHOLD
  seconds, samples that loop's thread stack (``sys._current_frames()``)
  every SAMPLE seconds while the stall lasts;
* a C call that holds the GIL (``json.dumps`` of a large object, a regex,
  many C extensions) stops the watchdog too, until it returns; the eval
  loop gives the GIL up right after the call, while the calling frame is
  still on the line that made it, so the watchdog's late sample shows that
  line, and it counts for every interval the watchdog waited (the samples
  are intervals of the stall);
* optionally (AIOLOG_PROBE_FAULTHANDLER=1), ``faulthandler``'s C watchdog,
  re-armed by each heartbeat, which dumps the stacks without the GIL when a
  step overruns. Off by default: it reads a running thread's frames without
  the GIL, which can crash CPython (python/cpython issues 116008, 131580,
  140815; seen on 3.13.0).

When the loop comes back, the probe logs one record through the
``asyncio.aiolog`` logger (so it takes the application's logging format,
beside asyncio's own warnings), WARNING level::

    aiolog-probe: the event loop was blocked for 0.512 seconds (pid 4242, thread MainThread 140213, task 'Task-3' handler, 98 samples)
      stack 1: 95 of 98 samples
        File "/app/api.py", line 30, in <module>
        File "/app/api.py", line 12, in handler
      stack 2: 3 of 98 samples
        File "/app/api.py", line 14, in handler

Stacks are outermost frame first, as in a traceback. Settings, from the
environment: AIOLOG_PROBE=1 turns it on (``aiolog run`` does),
AIOLOG_PROBE_THRESHOLD (seconds; default: the loop's slow_callback_duration,
0.1), AIOLOG_PROBE_SAMPLE (seconds between samples, default 0.005),
AIOLOG_PROBE_STEPS=0 watches asyncio's loops by the heartbeat alone,
without timing each callback (cheaper; durations within 10 ms),
AIOLOG_PROBE_FAULTHANDLER=1 adds faulthandler's dumps (never for a program
that arms faulthandler itself). No third-party dependency; CPython 3.8 and
later.
"""

import faulthandler
import logging
import os
import sys
import tempfile
import threading
import time

MARKER = "aiolog-probe: "
MAX_SAMPLES = 2000
MAX_STACKS = 5
MAX_DEPTH = 60

_log = logging.getLogger("asyncio.aiolog")
_lock = threading.Lock()
_wake = threading.Condition(_lock)
_watches = {}  # thread id -> _Watch
_state = {
    "installed": False,
    "watchdog": None,
    "fh_file": None,
    "fh_owner": None,
    "steps": False,
}


def _env_float(name, default):
    try:
        return float(os.environ.get(name, ""))
    except ValueError:
        return default


class _Watch(object):
    """One running loop: its thread, its heartbeat, the stall in progress."""

    __slots__ = (
        "loop", "fixed", "thread_id", "thread_name", "threshold", "interval",
        "last_beat", "stalled", "samples", "total", "task", "closed", "steps",
        "step_start",
    )

    def __init__(self, loop, threshold, fixed):
        self.loop = loop
        # Without AIOLOG_PROBE_THRESHOLD, the threshold follows the loop's
        # slow_callback_duration, as debug mode's does, also when the
        # program changes it while the loop runs.
        self.fixed = fixed
        self.thread_id = threading.get_ident()
        self.thread_name = threading.current_thread().name
        self.threshold = threshold
        # A heartbeat every 50 ms; on a loop watched by its heartbeat alone
        # (uvloop), every 10 ms, so that a stall's measured length (the gap
        # between two beats) is within 10 ms of the step's.
        self.interval = min(0.05, threshold / 2.0)
        self.last_beat = time.monotonic()
        self.stalled = False
        self.samples = {}
        self.total = 0
        self.task = None
        self.closed = False
        # asyncio's own loops run each callback through Handle._run, which
        # the probe times (steps); other loops (uvloop) are watched by the
        # heartbeat's gaps alone.
        self.steps = False
        self.step_start = None


_HERE = os.path.abspath(__file__)


def _stack(frame):
    """Outermost first, at most MAX_DEPTH innermost frames, the probe's own
    left out."""
    out = []
    while frame is not None and len(out) < MAX_DEPTH:
        code = frame.f_code
        if code.co_filename != _HERE and code.co_filename != __file__:
            out.append((code.co_filename, frame.f_lineno, code.co_name))
        frame = frame.f_back
    out.reverse()
    return tuple(out)


def _task_of(loop):
    try:
        import asyncio

        task = asyncio.current_task(loop)
    except Exception:
        return None
    if task is None:
        return None
    return _describe(task)


def _describe(task):
    try:
        name = task.get_name()
    except Exception:
        name = "?"
    try:
        coro = task.get_coro()
        qualname = getattr(coro, "__qualname__", None) or type(coro).__name__
    except Exception:
        qualname = "?"
    return (name, qualname)


def _watchdog():
    sample = _env_float("AIOLOG_PROBE_SAMPLE", 0.005)
    meant = None
    while True:
        with _lock:
            now = time.monotonic()
            # A C call that holds the GIL (json.dumps of a large document)
            # keeps this thread from waking until it returns; the eval loop
            # gives the GIL up right after the call, still on the line that
            # made it, so the sample taken then shows that line, and stands
            # for every interval the watchdog waited for it.
            late = 0.0 if meant is None else now - meant
            credit = 1 + int(late / sample) if late > sample else 1
            # Awake at least every 50 ms: a step that starts now is
            # sampled from its threshold on, within 50 ms, whatever the
            # threshold was when the watchdog last looked.
            wait = 0.05
            stalled = []
            for w in list(_watches.values()):
                # The loop's threshold as it is now (a program may change
                # it while the loop runs).
                threshold = _current_threshold(w)
                if w.steps:
                    start = w.step_start
                    due = threshold if start is None else start + threshold - now
                else:
                    due = w.last_beat + threshold - now
                if due <= 0:
                    stalled.append(w)
                else:
                    wait = min(wait, due)
            if stalled:
                frames = sys._current_frames()
                for w in stalled:
                    if not w.stalled:
                        w.stalled = True
                        w.task = _task_of(w.loop)
                    frame = frames.get(w.thread_id)
                    if frame is not None and w.total < MAX_SAMPLES:
                        st = _stack(frame)
                        n = min(credit, MAX_SAMPLES - w.total)
                        w.samples[st] = w.samples.get(st, 0) + n
                        w.total += n
                del frames
                wait = sample
            meant = time.monotonic() + wait
            _wake.wait(wait)


def _faulthandler_sample(thread_id):
    """The loop thread's stack from faulthandler's dump, if it fired."""
    f = _state["fh_file"]
    if f is None:
        return None
    try:
        f.seek(0)
        text = f.read().decode("utf-8", "replace")
        f.seek(0)
        f.truncate()
    except Exception:
        return None
    if not text:
        return None
    want = "0x%016x" % thread_id
    frames = []
    inside = False
    for line in text.splitlines():
        if line.startswith(("Thread 0x", "Current thread 0x")):
            inside = want in line
            continue
        if inside and line.startswith('  File "'):
            # `  File "/app/x.py", line 12 in handler`
            try:
                path, rest = line[len('  File "'):].split('", line ', 1)
                lineno, name = rest.split(" in ", 1)
                if path not in (_HERE, __file__):
                    frames.append((path, int(lineno), name.strip()))
            except ValueError:
                continue
        elif inside and not line.strip():
            inside = False
    if not frames:
        return None
    frames.reverse()  # faulthandler prints the most recent call first
    return tuple(frames)


def _take(w):
    """The stall's samples so far, and a clean slate for the next one (the
    watchdog adds samples under the lock)."""
    with _lock:
        taken = (w.samples, w.total, w.task)
        w.samples, w.total, w.stalled, w.task = {}, 0, False, None
    return taken


def _task_of_handle(handle):
    """The task whose step a handle runs (`Task.__step`, `task_wakeup`), if
    it runs one."""
    try:
        import asyncio

        owner = getattr(handle._callback, "__self__", None)
        if isinstance(owner, asyncio.Task):
            return _describe(owner)
    except Exception:
        pass
    return None


def _report(w, blocked, handle=None):
    samples, total, task = _take(w)
    if task is None and handle is not None:
        # No sample of the Python watchdog's saw the task (faulthandler's
        # alone, or none): the handle says.
        task = _task_of_handle(handle)
    extra = None
    if _state["fh_owner"] == w.thread_id:
        extra = _faulthandler_sample(w.thread_id)
        if extra in samples:
            # faulthandler's dump is a sample of its own, taken at another
            # moment, of a stack the watchdog also saw (often the only
            # other one it could take: a C call holding the GIL stops it).
            samples[extra] += 1
            total += 1
            extra = None
    if not samples and extra is None:
        return
    stacks = sorted(samples.items(), key=lambda kv: -kv[1])[:MAX_STACKS]
    if extra is not None:
        total += 1
        stacks.append((extra, None))
    head = "%sthe event loop was blocked for %.3f seconds (pid %d, thread %s %d" % (
        MARKER,
        blocked,
        os.getpid(),
        w.thread_name.replace(" ", "_").replace(",", "_"),
        w.thread_id,
    )
    if task is not None:
        head += ", task %r %s" % (task[0], task[1])
    head += ", %d samples)" % total
    lines = [head]
    for i, (st, n) in enumerate(stacks, 1):
        if n is None:
            lines.append("  stack %d: 1 of %d samples (faulthandler)" % (i, total))
        else:
            lines.append("  stack %d: %d of %d samples" % (i, n, total))
        for path, lineno, name in st:
            lines.append('    File "%s", line %d, in %s' % (path, lineno, name))
    _log.warning("\n".join(lines))


def _arm_faulthandler(w):
    if _state["fh_owner"] != w.thread_id:
        return
    try:
        faulthandler.dump_traceback_later(
            w.threshold, repeat=False, file=_state["fh_file"], exit=False
        )
    except Exception:
        _state["fh_owner"] = None


def _current_threshold(w):
    if not w.fixed:
        t = getattr(w.loop, "slow_callback_duration", None)
        if isinstance(t, (int, float)) and t > 0:
            w.threshold = float(t)
    return w.threshold


def _beat(w):
    if w.closed:
        return
    _current_threshold(w)
    if w.steps:
        # The steps report themselves; a dump that a run of short steps
        # caused is dropped.
        if _state["fh_owner"] == w.thread_id:
            _faulthandler_sample(w.thread_id)
    else:
        now = time.monotonic()
        with _lock:
            blocked = now - w.last_beat
            w.last_beat = now
            stalled = w.stalled or (
                _state["fh_owner"] == w.thread_id and blocked >= w.threshold
            )
        if stalled and blocked >= w.threshold:
            try:
                _report(w, blocked)
            except Exception:
                pass
        elif stalled:
            _take(w)
    _arm_faulthandler(w)
    try:
        w.loop.call_later(w.interval, _beat, w)
    except Exception:
        w.closed = True


def _watch(loop):
    given = _env_float("AIOLOG_PROBE_THRESHOLD", 0.0)
    fixed = given > 0
    threshold = given if fixed else getattr(loop, "slow_callback_duration", 0.1) or 0.1
    w = _Watch(loop, max(threshold, 0.001), fixed)
    try:
        import asyncio.base_events as be

        w.steps = _state["steps"] and isinstance(loop, be.BaseEventLoop)
    except Exception:
        w.steps = False
    if not w.steps:
        w.interval = min(0.01, w.interval)
    with _lock:
        old = _watches.get(w.thread_id)
        if old is not None:
            old.closed = True
        _watches[w.thread_id] = w
        if _state["watchdog"] is None:
            t = threading.Thread(target=_watchdog, name="aiolog-probe", daemon=True)
            _state["watchdog"] = t
            t.start()
        if _state["fh_file"] is not None and _state["fh_owner"] is None:
            _state["fh_owner"] = w.thread_id
        _wake.notify()
    loop.call_soon(_beat, w)


def _unwatch():
    tid = threading.get_ident()
    with _lock:
        w = _watches.pop(tid, None)
        if w is not None:
            w.closed = True
        if _state["fh_owner"] == tid:
            _state["fh_owner"] = None
            try:
                faulthandler.cancel_dump_traceback_later()
            except Exception:
                pass


def _time_steps(events):
    """Times each callback of asyncio's own loops (Handle._run): a step that
    overran the threshold is reported the moment it ends, as debug mode's
    `Executing ... took` is, with the duration measured the same way."""
    run = events.Handle._run
    get_ident = threading.get_ident
    monotonic = time.monotonic

    def _run(self):
        w = _watches.get(get_ident())
        if w is None or not w.steps:
            return run(self)
        w.step_start = start = monotonic()
        try:
            return run(self)
        finally:
            took = monotonic() - start
            w.step_start = None
            # w.threshold is the loop's slow_callback_duration as the
            # watchdog (awake at least every 50 ms) and the heartbeat last
            # read it: a step is compared with the loop's own setting only
            # when it overran that.
            if took >= w.threshold and took >= _current_threshold(w):
                try:
                    _report(w, took, self)
                except Exception:
                    pass
            elif w.stalled:
                _take(w)

    events.Handle._run = _run
    _state["steps"] = True


def _before_fork():
    # faulthandler's watchdog thread must not hold its lock across fork.
    try:
        faulthandler.cancel_dump_traceback_later()
    except Exception:
        pass


def _after_fork_in_child():
    global _lock, _wake
    _lock = threading.Lock()
    _wake = threading.Condition(_lock)
    _watches.clear()
    _state["watchdog"] = None
    _state["fh_owner"] = None


def install():
    """Turns the probe on: every event loop that starts running from now on
    is watched. Does nothing the second time."""
    if _state["installed"]:
        return
    _state["installed"] = True
    import asyncio.events as events

    original = events._set_running_loop

    def _set_running_loop(loop):
        original(loop)
        try:
            if loop is not None:
                _watch(loop)
            else:
                _unwatch()
        except Exception:
            pass

    events._set_running_loop = _set_running_loop
    # uvloop calls the one the asyncio package re-exports, bound when it is
    # imported (after this hook, which runs at startup).
    import asyncio

    if getattr(asyncio, "_set_running_loop", None) is original:
        asyncio._set_running_loop = _set_running_loop
    # AIOLOG_PROBE_STEPS=0: asyncio's loops too are watched by the
    # heartbeat alone, as uvloop is (no wrapper around each callback: the
    # cheapest mode; a stall's length is then known within 10 ms).
    if os.environ.get("AIOLOG_PROBE_STEPS", "1") != "0":
        _time_steps(events)
    # faulthandler's watchdog reads the frames of a thread that may be
    # running, without the GIL: CPython can crash doing so (python/cpython
    # issues 116008, 131580, 140815; seen here on 3.13.0 when a dump fires
    # during a busy loop's short steps). Only on request.
    if os.environ.get("AIOLOG_PROBE_FAULTHANDLER", "0") == "1":
        try:
            _state["fh_file"] = tempfile.TemporaryFile()
        except Exception:
            _state["fh_file"] = None
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)


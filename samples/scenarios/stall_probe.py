"""Blocking statements that asyncio's warning does not name, caught by the
stall probe (aiolog run's default; AIOLOG_PROBE=1).

Each step below blocks the event loop for about 0.3 s. Debug mode reports
each step, at the line where the task suspended after it (or the
coroutine's or callback's definition); the probe samples the loop's thread
while it is blocked and names the statement itself: in a helper the task
awaited, after the await in a loop body, a C call that holds the GIL, a
pure-Python loop, a plain callback, and in a forked worker.

The regenerate script runs this scenario with the probe on (`# probe: on`).
# probe: on
# requires: threads
"""
import asyncio
import json
import os
import sys
import time

import _logsetup  # noqa: F401


def load_config():
    time.sleep(0.3)  # expect-probe: loop_stall load_config


async def handle(i):
    load_config()


async def helper_case():
    await handle(0)
    await asyncio.sleep(0)


async def loop_body_case():
    for i in range(2):
        await asyncio.sleep(0)
        time.sleep(0.3)  # expect-probe: loop_stall loop_body_case count=2
    await asyncio.sleep(0)


async def gil_case(data):
    json.dumps(data)  # expect-probe: loop_stall gil_case
    await asyncio.sleep(0)


async def cpu_case():
    deadline = time.perf_counter() + 0.3
    while time.perf_counter() < deadline: pass  # expect-probe: loop_stall cpu_case
    await asyncio.sleep(0)


def flush():  # expect: slow_callback flush
    time.sleep(0.3)  # expect-probe: loop_stall flush


async def main():
    # Debug mode names these lines: the task is main's, suspended in them.
    await helper_case()  # expect: slow_callback main
    await loop_body_case()  # expect: slow_callback main count=2
    # A document that takes about as long to serialize as the sleeps take
    # (and no time to build: one row, repeated).
    data = [list(range(8))] * 400_000
    await gil_case(data)  # expect: slow_callback main
    await cpu_case()  # expect: slow_callback main
    asyncio.get_running_loop().call_soon(flush)
    await asyncio.sleep(0.4)


async def child_case():
    time.sleep(0.3)  # expect-probe: loop_stall child_case
    await asyncio.sleep(0)  # expect: slow_callback child_case


asyncio.run(main())
# A forked worker (as gunicorn's) runs a loop of its own.
sys.stdout.flush()
sys.stderr.flush()
pid = os.fork()
if pid == 0:
    asyncio.run(child_case())
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
os.waitpid(pid, 0)

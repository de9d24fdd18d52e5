"""A negative control for the stall probe: a loop under load, busy all the
time with many short steps (2 ms of CPU each, far below the 0.1 s
threshold), and no step that blocks it. Neither debug mode nor the probe
may report anything.

# probe: on
# requires: threads
# expect-none
"""
import asyncio
import time

import _logsetup  # noqa: F401


async def worker(n):
    for _ in range(40):
        deadline = time.perf_counter() + 0.002
        while time.perf_counter() < deadline:
            pass
        await asyncio.sleep(0)


async def main():
    # One task created per step: under debug mode each creation records a
    # traceback (slow on a cold machine with tracemalloc on), and twenty in
    # one step would be a slow step of aiolog run's own making.
    workers = []
    for n in range(20):
        workers.append(asyncio.ensure_future(worker(n)))
        await asyncio.sleep(0)
    await asyncio.gather(*workers)
    print("handled the load", flush=True)


asyncio.run(main())

"""A task that does CPU work without ever yielding.

The coroutine finishes during its only step, so asyncio prints
`done, defined at` with the line of the `async def`.
"""
import asyncio
import time

import _logsetup  # noqa: F401


def checksum(data):
    total = 0
    start = time.perf_counter()
    while time.perf_counter() - start < 0.2:  # expect-cpu-loop: the work
        for b in data:
            total = (total * 31 + b) % 1_000_003
    return total


async def compute_report(data):  # expect: slow_callback compute_report
    return checksum(data)  # expect-window: cpu


async def main():
    await asyncio.create_task(compute_report(b"x" * 4096))


asyncio.run(main())

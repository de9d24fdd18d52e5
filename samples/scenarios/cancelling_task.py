"""A task that blocks while it handles its own cancellation.

The worker's cleanup after CancelledError calls a blocking function. The
slow step is the one that ran the cleanup; asyncio prints the task as
`cancelling` (3.11+: cancel requested, not yet done) or `pending`
(3.8-3.10), suspended at the await after the blocking call.
"""
import asyncio
import time

import _logsetup  # noqa: F401


async def worker():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        time.sleep(0.15)  # expect-blocking: time.sleep
        await asyncio.sleep(0)  # expect: slow_callback worker
        raise


async def main():
    task = asyncio.create_task(worker())
    await asyncio.sleep(0.01)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print("worker cancelled", flush=True)


asyncio.run(main())

"""A request handler that calls time.sleep() inside a task.

Each call blocks the event loop for 0.25 s. asyncio reports the task step as
slow and names the line where the task suspended *after* the slow step: the
`await` that follows the blocking call.
"""
import asyncio
import logging
import time

import _logsetup  # noqa: F401

log = logging.getLogger("app.http")


async def handle_request(n):
    time.sleep(0.25)  # the blocking call; expect-blocking: time.sleep
    await asyncio.sleep(0)  # expect: slow_callback handle_request count=2
    return n


async def main():
    print("listening on :8080", flush=True)
    for n in range(2):
        await asyncio.create_task(handle_request(n))
        log.info("GET /orders/%d 200", n)
        print(f"request {n} done", flush=True)


asyncio.run(main())

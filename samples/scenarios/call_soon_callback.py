"""A plain callback scheduled with loop.call_soon() that blocks.

asyncio prints the Handle with the callback's definition line (`at`) and the
line that scheduled it (`created at`).
"""
import asyncio
import time

import _logsetup  # noqa: F401


def flush_metrics():  # expect: slow_callback flush_metrics
    time.sleep(0.15)  # expect-blocking: time.sleep


async def main():
    loop = asyncio.get_running_loop()
    loop.call_soon(flush_metrics)
    await asyncio.sleep(0.3)


asyncio.run(main())

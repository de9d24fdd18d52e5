"""A timer callback scheduled with loop.call_later() that blocks.

asyncio prints a TimerHandle with `when=`, the callback's definition line and
the line that scheduled it.
"""
import asyncio
import time

import _logsetup  # noqa: F401


def rotate_logs():  # expect: slow_callback rotate_logs
    time.sleep(0.15)  # expect-blocking: time.sleep


async def main():
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, rotate_logs)
    await asyncio.sleep(0.3)


asyncio.run(main())

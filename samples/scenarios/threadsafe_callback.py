"""A blocking callback scheduled with call_soon_threadsafe().

3.14 wraps such callbacks in `_ThreadSafeHandle` (gh-128340); earlier
versions print a plain `Handle`. Either way asyncio names the callback's
definition.
"""
import asyncio
import time

import _logsetup  # noqa: F401


def refresh_token():  # expect: slow_callback refresh_token
    time.sleep(0.15)  # expect-blocking: time.sleep


async def main():
    loop = asyncio.get_running_loop()
    loop.call_soon_threadsafe(refresh_token)
    await asyncio.sleep(0.2)


asyncio.run(main())

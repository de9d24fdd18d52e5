"""The blocking mistakes under uvloop, the event loop many services install.

uvloop times callbacks in debug mode as asyncio does, but prints its own
Handle repr: the callback's name and where it was scheduled
(`<Handle flush_cache created at FILE:N>`), without the `at FILE:N` of the
callback's definition that asyncio's Handle prints. The site of a blocking
callback is then where it was scheduled (aiolog, given the source, reads the
`def` of the callback by that name in the same file). Task steps print the
Task repr.
"""
import asyncio
import time

import _logsetup  # noqa: F401
import uvloop  # requires: uvloop


def flush_cache():
    time.sleep(0.25)  # expect-blocking: time.sleep


async def handle_request():
    time.sleep(0.15)  # expect-blocking: time.sleep
    await asyncio.sleep(0)  # expect: slow_callback handle_request


async def main():
    loop = asyncio.get_running_loop()
    loop.call_soon(flush_cache)  # expect: slow_callback flush_cache
    await asyncio.sleep(0.3)
    await asyncio.ensure_future(handle_request())


loop = uvloop.new_event_loop()
asyncio.set_event_loop(loop)
loop.run_until_complete(main())
loop.close()

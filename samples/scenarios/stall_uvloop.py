"""Blocking statements under uvloop, caught by the stall probe.

uvloop runs its callbacks in C, so the probe cannot time each step as it
does asyncio's own loops; it watches uvloop by its heartbeat alone (a
callback that should come back every 50 ms) and samples the loop's thread
while the heartbeat is late. Debug mode's uvloop warnings come first, the
probe's record for the same step just after it.

The regenerate script runs this scenario with the probe on (`# probe: on`).
# probe: on
# requires: threads
"""
import asyncio
import time

import _logsetup  # noqa: F401
import uvloop  # requires: uvloop


def flush_cache():
    time.sleep(0.3)  # expect-probe: loop_stall flush_cache


def parse_payload():
    time.sleep(0.3)  # expect-probe: loop_stall parse_payload


async def handle_request():
    parse_payload()
    await asyncio.sleep(0)  # expect: slow_callback handle_request


async def main():
    loop = asyncio.get_running_loop()
    loop.call_soon(flush_cache)  # expect: slow_callback flush_cache
    await asyncio.sleep(0.4)
    await asyncio.ensure_future(handle_request())
    await asyncio.sleep(0.2)


loop = uvloop.new_event_loop()
asyncio.set_event_loop(loop)
loop.run_until_complete(main())
loop.close()

"""Blocks the event loop once for 0.5 s, then exits with status 3.

The tests run it with thresholds well apart from 0.5 s (`--slow 0.3`, `--slow
2`), so that a loaded machine, which slows every step a little, changes no
finding.
"""
import asyncio
import sys
import time


async def handle():
    time.sleep(0.5)  # expect-probe: loop_stall handle
    await asyncio.sleep(0)  # expect: slow_callback handle


asyncio.run(handle())
sys.exit(3)

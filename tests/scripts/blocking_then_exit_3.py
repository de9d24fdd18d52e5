"""Blocks the event loop once, then exits with status 3."""
import asyncio
import sys
import time


async def handle():
    time.sleep(0.15)
    await asyncio.sleep(0)  # expect: slow_callback handle


asyncio.run(handle())
sys.exit(3)

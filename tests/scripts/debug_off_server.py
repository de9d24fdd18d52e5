"""A server that turns asyncio debug mode off, as uvicorn does.

PYTHONASYNCIODEBUG=1 alone reports nothing here: asyncio.run(debug=False)
switches debug mode off. `aiolog run` keeps it on. The step blocks for
0.5 s, and the test's threshold is 0.3 s: a loaded machine changes nothing.
"""
import asyncio
import time


async def handle():
    time.sleep(0.5)  # expect-probe: loop_stall handle
    await asyncio.sleep(0)  # expect: slow_callback handle


async def main():
    await asyncio.create_task(handle())


asyncio.run(main(), debug=False)

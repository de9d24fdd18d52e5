"""Tasks started by asyncio.gather(), one of which blocks.

A child of gather() carries gather's done callback in its repr
(`cb=[gather.<locals>._done_callback() at …]`, `_gather.<locals>` in 3.9),
which names a line in the standard library; the site is still the child's
own coroutine.
"""
import asyncio
import time

import _logsetup  # noqa: F401


async def fetch_prices():
    await asyncio.sleep(0.01)
    return [1, 2, 3]


async def render_report():
    time.sleep(0.15)  # expect-blocking: time.sleep
    await asyncio.sleep(0.01)  # expect: slow_callback render_report
    return "report"


async def main():
    prices, report = await asyncio.gather(fetch_prices(), render_report())
    print(f"{report}: {len(prices)} prices", flush=True)


asyncio.run(main())

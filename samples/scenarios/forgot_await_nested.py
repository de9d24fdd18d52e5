"""A forgotten `await` inside a nested coroutine function."""
import asyncio

import _logsetup  # noqa: F401


async def process_batch(items):
    async def notify(item):
        await asyncio.sleep(0)

    async def finish(item):
        notify(item)  # expect: never_awaited finish

    for item in items:
        await finish(item)


async def main():
    await process_batch([1])


asyncio.run(main())

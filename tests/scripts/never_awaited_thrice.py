"""Creates the same coroutine three times without awaiting it, at one line.

With the warnings module's default filter the line is printed once; `aiolog
run` shows RuntimeWarnings `always`, so all three are counted. The test
runs it with `--slow 2`, far from what its steps take even on a loaded
machine.
"""
import asyncio
import gc


async def save(item):
    pass


async def main():
    for item in range(3):
        save(item)  # expect: never_awaited main count=3
        gc.collect()


asyncio.run(main())

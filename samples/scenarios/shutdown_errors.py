"""Errors that asyncio's exception handler reports while asyncio.run() ends.

A task that raises instead of finishing when asyncio.run() cancels it at
shutdown ("unhandled exception during asyncio.run() shutdown", with `task:`),
and an async generator whose cleanup raises when the loop closes it
("an error occurred during closing of asynchronous generator …", with
`asyncgen:`). Both carry the traceback of the raise.
"""
import asyncio

import _logsetup  # noqa: F401


async def sync_worker():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        raise RuntimeError("could not flush the queue")  # expect: loop_exception sync_worker


async def ticker():
    try:
        while True:
            yield 1
            await asyncio.sleep(0)
    finally:
        raise ValueError("ticker cleanup failed")  # expect: loop_exception ticker


generators = []


async def main():
    asyncio.create_task(sync_worker())
    ticks = ticker()
    generators.append(ticks)  # still open when the loop shuts down
    await ticks.__anext__()
    await asyncio.sleep(0.01)
    print("main done", flush=True)


asyncio.run(main())

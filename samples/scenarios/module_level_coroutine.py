"""A coroutine created at module level and never awaited.

It is finalized when the interpreter shuts down, with no Python frame
running, so the warning's location is a placeholder: `sys:1` (3.8-3.12) or
`<sys>:0` (3.13+). It was created before any event loop ran, so debug mode
has no `Coroutine created at` for it either: the log names no line of code,
only the coroutine.
"""
import asyncio  # requires: shutdown

import _logsetup  # noqa: F401


async def warm_cache():
    await asyncio.sleep(0)


pending = warm_cache()  # expect-unsited: never_awaited


async def main():
    await asyncio.sleep(0)
    print("served", flush=True)


asyncio.run(main())

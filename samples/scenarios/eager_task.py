"""Eager tasks (Python 3.12+): a task's first step runs inside create_task().

With asyncio.eager_task_factory, create_task() runs the new task's first
step at once, inside the caller's step. A blocking call in that first step
is then timed as part of the *caller's* step: asyncio reports the calling
task, suspended at its next await. A task that fails in its first step is
finished before create_task() returns; its repr has no coroutine (`<Task
finished name=... exception=...>`), so only the traceback names the line.
"""
import asyncio  # requires: python>=3.12
import time

import _logsetup  # noqa: F401


async def load_settings():
    time.sleep(0.15)  # the blocking call, in the eager first step


async def validate(value):
    raise ValueError(f"invalid value {value!r}")  # expect: exception_never_retrieved validate


async def main():
    asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
    settings = asyncio.create_task(load_settings())
    await settings  # load_settings() already finished: no suspension here
    asyncio.create_task(validate(-1))
    await asyncio.sleep(0.01)  # expect: slow_callback main


asyncio.run(main())

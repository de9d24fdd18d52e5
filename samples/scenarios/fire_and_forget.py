"""A fire-and-forget task that nobody keeps a reference to.

The task waits on an event that is never set. Once the task, its coroutine
and the event form an unreachable cycle, the garbage collector destroys the
pending task and asyncio logs "Task was destroyed but it is pending!".
"""
import asyncio
import gc

import _logsetup  # noqa: F401


async def listen_for_updates():
    await asyncio.Event().wait()


async def main():
    asyncio.ensure_future(listen_for_updates())  # expect: task_destroyed_pending main
    await asyncio.sleep(0.05)
    gc.collect()
    await asyncio.sleep(0.05)


asyncio.run(main())

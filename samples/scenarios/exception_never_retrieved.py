"""A task that fails and whose exception nobody retrieves.

When the finished task is garbage-collected, asyncio logs
"Task exception was never retrieved" with the traceback of the exception.
"""
import asyncio
import gc

import _logsetup  # noqa: F401


async def sync_inventory():
    await asyncio.sleep(0)
    raise ConnectionError("inventory service unreachable")  # expect: exception_never_retrieved sync_inventory


async def main():
    task = asyncio.create_task(sync_inventory())
    await asyncio.sleep(0.05)
    del task
    gc.collect()


asyncio.run(main())

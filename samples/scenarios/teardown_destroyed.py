"""Tasks left pending when the loop is closed, in a program that prints no
line of its own.

With nothing but asyncio's records in the log, only evidence of teardown can
say that the destroyed tasks were at shutdown. Here it is the loop closing:
asyncio's DEBUG lines are on, so debug mode logs `Close <_UnixSelectorEventLoop
...>` before the interpreter destroys the workers. aiolog marks these
`during_shutdown`; the same findings in a log without that line (or any line
of the program's) are not marked (`fire_and_forget.py`).
"""
import asyncio
import gc
import logging

import _logsetup  # noqa: F401

logging.basicConfig()
logging.getLogger("asyncio").setLevel(logging.DEBUG)


async def worker(n):
    await asyncio.sleep(3600)


async def main(loop):
    for n in range(2):
        loop.create_task(worker(n))  # expect: task_destroyed_pending main count=2
    await asyncio.sleep(0.01)


loop = asyncio.new_event_loop()
loop.run_until_complete(main(loop))
loop.close()
gc.collect()

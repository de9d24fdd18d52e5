"""A program that arms faulthandler itself to catch a hung event loop:
`faulthandler.dump_traceback_later` dumps every thread's stack when a step
runs past the timeout. aiolog reads the dump: the thread that runs the
event loop shows the statement that blocked it; the worker thread, which
runs no loop, is the application's own.
# requires: threads
"""
import asyncio
import faulthandler
import threading
import time

import _logsetup  # noqa: F401

started = threading.Event()


def worker():
    started.set()
    time.sleep(2)


async def handler():
    faulthandler.dump_traceback_later(0.2)
    time.sleep(0.5)  # expect: stack_dump handler
    faulthandler.cancel_dump_traceback_later()
    await asyncio.sleep(0)  # expect: slow_callback handler


async def main():
    await asyncio.create_task(handler())


threading.Thread(target=worker, daemon=True, name="worker").start()
started.wait()
asyncio.run(main())

"""Tasks destroyed while pending: one in steady state, more at shutdown.

A poller task loses its last reference while the service still runs (the
application logs lines after it); then, at exit, the event loop is closed
without cancelling the background workers, and the interpreter destroys them
while pending. Real services print a burst of these at every shutdown.
"""
import asyncio
import gc

import _logsetup  # noqa: F401


async def poll_feed():
    await asyncio.Event().wait()


async def worker(n):
    await asyncio.sleep(3600)


async def serve(loop):
    asyncio.ensure_future(poll_feed())  # expect: task_destroyed_pending serve
    await asyncio.sleep(0.01)
    gc.collect()
    print("service: handled 3 requests", flush=True)
    for n in range(2):
        loop.create_task(worker(n))  # expect: task_destroyed_pending serve count=2
    await asyncio.sleep(0.01)
    print("service: stopping", flush=True)


loop = asyncio.new_event_loop()
loop.run_until_complete(serve(loop))
loop.close()

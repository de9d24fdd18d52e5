"""A worker thread schedules a callback on the event loop with call_soon().

Only call_soon_threadsafe() may be called from another thread. In debug mode
asyncio checks the thread and raises "Non-thread-safe operation invoked on an
event loop other than the current one"; the thread dies with the traceback,
which threading prints, and the update never reaches the loop.
"""
import asyncio
import threading  # requires: threads

import _logsetup  # noqa: F401


def publish_progress(loop, progress):
    loop.call_soon(progress.append, 50)  # expect: non_threadsafe_call publish_progress


async def main():
    loop = asyncio.get_running_loop()
    progress = []
    worker = threading.Thread(target=publish_progress, args=(loop, progress), name="progress")
    worker.start()
    await asyncio.sleep(0.05)
    worker.join()
    print(f"progress updates received: {len(progress)}", flush=True)


asyncio.run(main())

"""Awaits that do not suspend, so that the slow step goes on through them.

asyncio names the line where the task really suspended, after the step;
the blocking call is above an `await` that completed at once:
- a future whose result the coroutine set itself (`Future.__await__` does
  not yield when the future is done);
- the tasks of `asyncio.wait`'s done set;
- `await writer.drain()` of a stream whose buffer is below its high-water
  mark.
# requires: sockets
"""
import asyncio
import socket
import time

import _logsetup  # noqa: F401


async def job(n):
    return n


async def main():
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    await asyncio.sleep(0)
    ready.set_result("config")
    time.sleep(0.3)  # expect-blocking: time.sleep
    await ready
    await asyncio.sleep(0)  # expect: slow_callback main

    done, _ = await asyncio.wait([asyncio.ensure_future(job(n)) for n in range(3)])
    for t in done:
        time.sleep(0.1)  # expect-blocking: time.sleep
        await t
    await asyncio.sleep(0)  # expect: slow_callback main

    a, b = socket.socketpair()
    reader, writer = await asyncio.open_connection(sock=a)
    await asyncio.sleep(0)
    writer.write(b"ping\n")
    time.sleep(0.3)  # expect-blocking: time.sleep
    await writer.drain()
    await asyncio.sleep(0)  # expect: slow_callback main
    writer.close()
    b.close()


asyncio.run(main())

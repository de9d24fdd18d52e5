"""Name resolution that takes longer than the slow-callback threshold.

asyncio resolves host names in a thread (loop.getaddrinfo()); in debug mode
it times each lookup and logs "Getting address info … took …ms" at INFO
level when it takes at least slow_callback_duration (the lookup does not
block the loop, but every connection waits for it). The resolver here is
made slow on purpose, as a misconfigured DNS server would be, and logging
is configured at INFO so that asyncio's INFO line is printed.
"""
import asyncio
import logging
import socket  # requires: threads
import time

import _logsetup  # noqa: F401

logging.basicConfig(level=logging.INFO)

_real_getaddrinfo = socket.getaddrinfo


def slow_dns(*args, **kwargs):
    time.sleep(0.15)  # a slow name server
    return _real_getaddrinfo(*args, **kwargs)


socket.getaddrinfo = slow_dns


async def connect_to_backend():
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo("localhost", 8080)  # expect-unsited: slow_getaddrinfo
    print(f"backend resolved to {len(infos)} addresses", flush=True)


asyncio.run(connect_to_backend())

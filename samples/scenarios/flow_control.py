"""Streams under flow control, with asyncio's DEBUG lines on. Nothing here is
a mistake: a server started with start_server (asyncio logs "<Server …> is
serving"), a client connected with open_connection ("<…> connected to …"),
a handler that does not read until its transport pauses reading (the
reader's buffer is past its limit) and then reads, so that it resumes, and a
reply larger than the transport's high-water mark, which the client reads
only once the server's protocol has paused writing, so that it resumes.
aiolog must count each of asyncio's DEBUG and INFO lines as debug mode's own
and report nothing.

# requires: sockets
# expect-none
"""
import asyncio
import logging

import _logsetup  # noqa: F401

logging.basicConfig(level=logging.DEBUG)
logging.getLogger("asyncio").setLevel(logging.DEBUG)

LIMIT = 1024
REQUEST = b"r" * (64 * 1024)
REPLY = b"x" * (4 * 1024 * 1024)


async def handle(reader, writer, replying):
    # The client's request fills the reader's buffer past twice its limit,
    # and the transport pauses reading; wait for that before reading.
    while writer.transport.is_reading():
        await asyncio.sleep(0.01)
    await reader.readexactly(len(REQUEST))
    # More than the socket takes at once: the rest waits in the transport's
    # buffer, past the high-water mark, and the protocol pauses writing.
    writer.write(REPLY)
    replying.set()
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    replying = asyncio.Event()
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, replying), "127.0.0.1", 0, limit=LIMIT
    )
    host, port = server.sockets[0].getsockname()[:2]
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(REQUEST)
    await writer.drain()
    await replying.wait()
    reply = await reader.read()
    assert reply == REPLY, len(reply)
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main(), debug=True)

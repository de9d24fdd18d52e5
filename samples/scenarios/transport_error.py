"""A protocol whose data_received() raises, with asyncio's DEBUG lines on.

asyncio logs "Fatal error: protocol.data_received() call failed." with the
protocol, the transport and the traceback, and closes the connection. The
program also turns on DEBUG logging (when nothing else configured logging
first), so debug mode's own lines appear: the selector, the connection, the
address lookup, the loop's close.
"""
import asyncio
import logging
import socket  # requires: sockets

import _logsetup  # noqa: F401

logging.basicConfig(level=logging.DEBUG)


class LineProtocol(asyncio.Protocol):
    def data_received(self, data):
        raise ValueError(f"cannot parse {data!r}")  # expect: fatal_transport_error data_received


async def main():
    loop = asyncio.get_running_loop()
    a, b = socket.socketpair()
    await loop.create_connection(LineProtocol, sock=a)
    b.send(b"hello")
    await asyncio.sleep(0.05)
    b.close()
    await loop.getaddrinfo("localhost", 80)


asyncio.run(main(), debug=True)

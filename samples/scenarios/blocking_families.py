"""One slow step for each family of blocking calls that real services make,
each in a helper coroutine that the main task awaits.

Debug mode names main's `await case_...()` line for each step; the
blocking statement is in the helper. Every call here really blocks the
loop for well over the 0.1 s threshold: a C call holding the GIL
(`json.dumps`, `pickle.dumps`, `zlib`, `bz2`, password hashing, an SQLite
query), a child process, a socket, a FIFO read and a `threading.Lock` that
other threads hold, a CSV export, a synchronous HTTP request to a local
server. The aiohttp request (an asynchronous client) in the last step is
never a candidate.
# requires: threads subprocess sockets
"""
import asyncio
import bz2
import csv
import hashlib
import io
import json
import os
import pickle
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import _logsetup  # noqa: F401
import aiohttp  # requires: aiohttp

ROWS = [list(range(8))] * 300_000
# Distinct objects: pickle memoizes an object it has seen.
RECORDS = [{"id": i, "tags": [i, i + 1]} for i in range(300_000)]
NOISE = os.urandom(8 << 20)
# Taken before the loop runs; a timer thread releases it while the loop
# waits for it.
LOCK = threading.Lock()
LOCK.acquire()


class Slow(BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(0.3)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def later(seconds, action):
    t = threading.Timer(seconds, action)
    t.start()
    return t


async def case_json():
    json.dumps(ROWS)  # expect-blocking: json
    await asyncio.sleep(0)


async def case_pickle():
    pickle.dumps(RECORDS)  # expect-blocking: pickle
    await asyncio.sleep(0)


async def case_zlib():
    zlib.compress(NOISE, 9)  # expect-blocking: compression
    await asyncio.sleep(0)


async def case_bz2():
    bz2.compress(NOISE[: 2 << 20])  # expect-blocking: compression
    await asyncio.sleep(0)


async def case_password():
    hashlib.pbkdf2_hmac("sha256", b"secret", b"salt", 600_000)  # expect-blocking: password_hash
    await asyncio.sleep(0)


async def case_sqlite():
    store = sqlite3.connect(":memory:")
    store.execute(  # expect-blocking: sqlite3.bound
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) SELECT sum(x) FROM c"
    ).fetchone()
    await asyncio.sleep(0)


async def case_subprocess():
    subprocess.run([sys.executable, "-c", "import time; time.sleep(0.3)"])  # expect-blocking: subprocess
    await asyncio.sleep(0)


async def case_system():
    os.system("sleep 0.3")  # expect-blocking: os.system
    await asyncio.sleep(0)


async def case_socket():
    a, b = socket.socketpair()
    later(0.3, lambda: b.send(b"x"))
    a.recv(1)  # expect-blocking: socket
    await asyncio.sleep(0)


async def case_lock():
    later(0.3, LOCK.release)
    with LOCK:  # expect-blocking: threading.Lock
        pass
    await asyncio.sleep(0)


async def case_fifo(fifo):
    later(0.3, lambda: Path(fifo).write_text("done"))
    Path(fifo).read_text()  # expect-blocking: open
    await asyncio.sleep(0)


async def case_csv():
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerows(ROWS * 2)  # expect-blocking: csv.writer
    await asyncio.sleep(0)


async def case_urllib(url):
    urllib.request.urlopen(url).read()  # expect-blocking: urllib.urlopen
    await asyncio.sleep(0)


async def case_async_client(session, url):
    async with session.get(url) as r:  # expect-no-candidate: an asynchronous client
        await r.read()
    time.sleep(0.3)  # expect-blocking: time.sleep
    await asyncio.sleep(0)


async def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    workdir = tempfile.mkdtemp()
    fifo = os.path.join(workdir, "fifo")
    os.mkfifo(fifo)
    await case_json()  # expect: slow_callback main
    await case_pickle()  # expect: slow_callback main
    await case_zlib()  # expect: slow_callback main
    await case_bz2()  # expect: slow_callback main
    await case_password()  # expect: slow_callback main
    await case_sqlite()  # expect: slow_callback main
    await case_subprocess()  # expect: slow_callback main
    await case_system()  # expect: slow_callback main
    await case_socket()  # expect: slow_callback main
    await case_lock()  # expect: slow_callback main
    await case_fifo(fifo)  # expect: slow_callback main
    await case_csv()  # expect: slow_callback main
    await case_urllib(url)  # expect: slow_callback main
    async with aiohttp.ClientSession() as session:
        await case_async_client(session, url)  # expect: slow_callback main
    os.unlink(fifo)
    os.rmdir(workdir)
    print("done", flush=True)


asyncio.run(main())

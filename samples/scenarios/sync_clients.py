"""Synchronous clients of real services called from coroutines: a Redis
client against a real redis-server, requests and httpx's Client against a
local HTTP server that answers slowly; and httpx's AsyncClient, whose call
must never be blamed.

Each slow step is a helper that the main task awaits, so debug mode names
main's `await case_...()` line and the blocking call is in the helper. The
Redis commands wait for data that never comes (`blpop`, `brpop` with a
timeout); each HTTP request waits 0.3 s for the server's answer.
# requires: threads subprocess sockets bin:redis-server
"""
import asyncio
import os
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import _logsetup  # noqa: F401
import httpx  # requires: httpx
import redis  # requires: redis
import requests  # requires: requests


class Slow(BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(0.3)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def start_redis(sock):
    server = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    probe = redis.Redis(unix_socket_path=sock)
    deadline = time.monotonic() + 30
    while True:
        try:
            probe.ping()
            return server
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


async def case_redis(sock):
    cache = redis.Redis(unix_socket_path=sock)
    cache.blpop("jobs", timeout=0.5)  # expect-blocking: redis.client
    await asyncio.sleep(0)


async def case_redis_from_url(sock):
    queue = redis.Redis.from_url(f"unix://{sock}")
    queue.brpop("jobs", timeout=0.5)  # expect-blocking: redis.client
    await asyncio.sleep(0)


async def case_requests(url):
    requests.get(url)  # expect-blocking: requests
    await asyncio.sleep(0)


async def case_requests_session(url):
    api = requests.Session()
    api.get(url)  # expect-blocking: requests.Session.bound
    await asyncio.sleep(0)


async def case_httpx_client(url):
    with httpx.Client() as web:
        web.get(url)  # expect-blocking: httpx.Client.bound
    await asyncio.sleep(0)


async def case_httpx_async(client, url):
    fetch = asyncio.create_task(client.get(url))  # expect-no-candidate: an asynchronous client
    time.sleep(0.3)  # expect-blocking: time.sleep
    await fetch


async def warm_up(url):
    """httpx imports and sets up part of itself on its first request: on a
    loaded machine that made a step of AsyncClient.get slow. It is done here
    first, with the threshold out of reach, so that only the cases' steps
    are slow."""
    loop = asyncio.get_running_loop()
    threshold = loop.slow_callback_duration
    loop.slow_callback_duration = 60
    try:
        async with httpx.AsyncClient() as client:
            await client.get(url)
    finally:
        loop.slow_callback_duration = threshold


async def main(sock):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    await warm_up(url)
    await case_redis(sock)  # expect: slow_callback main
    await case_redis_from_url(sock)  # expect: slow_callback main
    await case_requests(url)  # expect: slow_callback main
    await case_requests_session(url)  # expect: slow_callback main
    await case_httpx_client(url)  # expect: slow_callback main
    async with httpx.AsyncClient() as client:
        await case_httpx_async(client, url)  # expect: slow_callback main
    print("done", flush=True)


workdir = tempfile.mkdtemp()
sock = os.path.join(workdir, "redis.sock")
redis_server = start_redis(sock)
try:
    asyncio.run(main(sock))
finally:
    redis_server.terminate()
    redis_server.wait()

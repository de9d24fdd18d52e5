"""A blocking request handler under a real aiohttp server (from PyPI).

asyncio's warning for the slow step names aiohttp's own coroutine (the
task that serves the connection suspends in
`RequestHandler._handle_request()` or `start()` after the step); the user's
handler is not in it at all. The stall probe samples the loop's thread while
the handler blocks and names the handler's statement.

aiohttp's access log (with logging configured: the timestamped variant)
names each request; only the slow one's is the finding's route.

The scenario serves four requests to itself on 127.0.0.1 and stops.
# probe: on
# requires: threads sockets
"""
import asyncio
import time

import _logsetup  # noqa: F401
from aiohttp import ClientSession, web  # requires: aiohttp


def render_report(rows):
    time.sleep(0.3)  # expect-probe: loop_stall render_report
    return {"rows": rows}


async def report(request):
    return web.json_response(render_report(3))  # expect-handler: aiohttp route=GET /report


async def health(request):
    return web.json_response({"ok": True})


async def main():
    app = web.Application()
    app.router.add_get("/report", report)
    app.router.add_get("/health", health)
    loop = asyncio.get_running_loop()
    # The server's start and the first request (the client's first
    # connection: imports, and debug mode reading source files for each
    # handle's traceback) can be slow steps of their own on a cold machine
    # under debug mode and tracemalloc, as `aiolog run` runs a program;
    # they are not this scenario's mistake.
    threshold, loop.slow_callback_duration = loop.slow_callback_duration, 2.0
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    async with ClientSession() as s:
        for i, path in enumerate(("/health", "/health", "/report", "/health")):
            async with s.get(f"http://127.0.0.1:{port}{path}") as r:
                print("GET", path, r.status, await r.json(), flush=True)
            if i == 0:
                loop.slow_callback_duration = threshold
    await runner.cleanup()


asyncio.run(main())

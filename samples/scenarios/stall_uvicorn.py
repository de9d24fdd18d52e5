"""A blocking request handler under a real uvicorn serving FastAPI (both
from PyPI).

asyncio's warning for the slow step names uvicorn's own coroutine
(`RequestResponseCycle.run_asgi()`, the task that runs the application for
one request); the handler is not in it at all. The stall probe samples the
loop's thread while the handler blocks and names the statement, under
uvicorn's, Starlette's and FastAPI's frames. uvicorn's access log names the
route of each request; only the slow request's own is the finding's.

The scenario serves four requests to itself on 127.0.0.1 and stops.
# probe: on
# requires: threads sockets
"""
import asyncio
import time

import _logsetup  # noqa: F401
import uvicorn  # requires: uvicorn
from fastapi import FastAPI  # requires: fastapi

app = FastAPI()


def load_rows():
    time.sleep(0.3)  # expect-probe: loop_stall load_rows
    return [1, 2, 3]


@app.get("/health")
async def health():
    return {"ok": True}


@app.get("/report/{name}")
async def report(name: str):
    return {"name": name, "rows": load_rows()}  # expect-handler: fastapi route=GET /report/{name}


async def get(port, path):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    status = (await reader.readline()).decode().strip()
    await reader.read()
    writer.close()
    print("GET", path, status, flush=True)


async def main():
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="info", lifespan="off")
    server = uvicorn.Server(config)
    loop = asyncio.get_running_loop()
    # uvicorn's start and the first request (imports, FastAPI building its
    # middleware stack) are slow steps of their own under tracemalloc, as
    # `aiolog run` runs a program; they are not this scenario's mistake.
    threshold, loop.slow_callback_duration = loop.slow_callback_duration, 2.0
    serving = asyncio.ensure_future(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    await get(port, "/health")
    loop.slow_callback_duration = threshold
    await get(port, "/health")
    await get(port, "/report/daily")
    await get(port, "/health")
    server.should_exit = True
    await serving


asyncio.run(main())

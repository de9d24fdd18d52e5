#!/usr/bin/env python3
"""What the stall probe costs a real service: an aiohttp server from PyPI
under a bounded local load, three ways.

    python3 benches/probe_cost.py [--seconds 10] [--connections 20] [--python PYTHON]

PYTHON must have aiohttp (`python -m venv v && v/bin/pip install aiohttp`).
The server answers GET / with a small JSON document on 127.0.0.1; the load
client (aiohttp too, in its own process) keeps CONNECTIONS requests in
flight for SECONDS and counts requests per second and latency percentiles.
The server runs plain, with the stall probe alone (`aiolog probe-path` on
PYTHONPATH, AIOLOG_PROBE=1: what `aiolog run --light` and a deployed
service with AIOLOG_PROBE=1 pay), and in asyncio debug mode (what `aiolog
run` without the probe would pay). A benchmark reports numbers; no test
depends on them.
"""
import argparse
import json
import os
import pathlib
import socket
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent

SERVER = r'''
import asyncio, json, sys
from aiohttp import web

async def index(request):
    return web.json_response({"ok": True, "items": list(range(20))})

app = web.Application()
app.router.add_get("/", index)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
'''

CLIENT = r'''
import asyncio, json, sys, time
import aiohttp

async def main(port, seconds, connections):
    lat = []
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession() as s:
        async def worker():
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                async with s.get(f"http://127.0.0.1:{port}/") as r:
                    await r.read()
                lat.append(time.perf_counter() - t)
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        took = time.perf_counter() - start
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
    print(json.dumps({"rps": len(lat) / took, "p50": pct(0.50), "p99": pct(0.99)}))

asyncio.run(main(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])))
'''


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("the server did not start")


def run(python, mode, args, probe_dir):
    env = dict(os.environ)
    for v in ("PYTHONASYNCIODEBUG", "AIOLOG_PROBE", "PYTHONPATH"):
        env.pop(v, None)
    if mode == "probe":
        env.update(AIOLOG_PROBE="1", PYTHONPATH=probe_dir)
    elif mode == "debug":
        env.update(PYTHONASYNCIODEBUG="1")
    port = free_port()
    server = subprocess.Popen([python, "-c", SERVER, str(port)], env=env, stderr=subprocess.PIPE)
    try:
        wait_for(port)
        out = subprocess.run(
            [python, "-c", CLIENT, str(port), str(args.seconds), str(args.connections)],
            capture_output=True, text=True, check=True,
        )
        return json.loads(out.stdout)
    finally:
        server.terminate()
        server.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--connections", type=int, default=20)
    p.add_argument("--rounds", type=int, default=3, help="rounds of the three modes, interleaved")
    args = p.parse_args()
    subprocess.run(["cargo", "build", "--quiet", "--release", "--bin", "aiolog"], cwd=ROOT, check=True)
    probe_dir = subprocess.run(
        [str(ROOT / "target/release/aiolog"), "probe-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    best = {}
    for _ in range(args.rounds):
        for mode in ("plain", "probe", "debug"):
            r = run(args.python, mode, args, probe_dir)
            print(f"{mode:6} {r['rps']:8.0f} req/s  p50 {r['p50']:6.2f} ms  p99 {r['p99']:6.2f} ms", file=sys.stderr)
            if mode not in best or r["rps"] > best[mode]["rps"]:
                best[mode] = r
    plain = best["plain"]["rps"]
    print("| server | requests/s | vs plain | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    for mode, label in (("plain", "plain"), ("probe", "stall probe alone (AIOLOG_PROBE=1)"), ("debug", "asyncio debug mode")):
        r = best[mode]
        print(f"| {label} | {r['rps']:.0f} | {100 * r['rps'] / plain - 100:+.1f} % | {r['p50']:.2f} | {r['p99']:.2f} |")


if __name__ == "__main__":
    main()

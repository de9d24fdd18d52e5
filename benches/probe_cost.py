#!/usr/bin/env python3
"""What the stall probe costs a real service: an aiohttp server from PyPI
under a bounded local load, three ways.

    python3 benches/probe_cost.py [--seconds 10] [--connections 20] [--rounds 3] [--python PYTHON]

PYTHON must have aiohttp (`python -m venv v && v/bin/pip install aiohttp`).
The server answers GET / with a small JSON document on 127.0.0.1; the load
client (aiohttp too, in its own process) keeps CONNECTIONS requests in
flight for SECONDS and counts requests per second and latency percentiles.
The server runs plain, with the stall probe alone (`aiolog probe-path` on
PYTHONPATH, AIOLOG_PROBE=1: what `aiolog run --light` and a deployed
service with AIOLOG_PROBE=1 pay), and in asyncio debug mode (what `aiolog
run` without the probe would pay). The server is pinned to one CPU and the
client to the other (--server-cpu, --client-cpu), and besides throughput
and latency the server's CPU time per request is reported: on a shared
machine it is much steadier than throughput, and it is what the probe
adds. A first measure times a chain of empty callbacks plainly and with
the probe: the probe's cost per step, the floor of what it adds. A
benchmark reports numbers; no test depends on them.
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
    print(json.dumps({"rps": len(lat) / took, "n": len(lat), "p50": pct(0.50), "p99": pct(0.99)}))

asyncio.run(main(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])))
'''

# The probe's cost per callback, on a loop that does nothing else: a chain
# of empty call_soon callbacks.
CALLBACKS = r'''
import asyncio, sys, time

async def main(n):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    left = [n]
    def step():
        left[0] -= 1
        if left[0]:
            loop.call_soon(step)
        else:
            done.set_result(None)
    start = time.perf_counter()
    loop.call_soon(step)
    await done
    print((time.perf_counter() - start) / n * 1e6)

asyncio.run(main(int(sys.argv[1])))
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


def pin(cpu):
    """Pins a child to one CPU (None: leaves it free)."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def cpu_seconds(pid):
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def environment(mode, probe_dir):
    env = dict(os.environ)
    for v in ("PYTHONASYNCIODEBUG", "AIOLOG_PROBE", "PYTHONPATH"):
        env.pop(v, None)
    if mode == "probe":
        env.update(AIOLOG_PROBE="1", PYTHONPATH=probe_dir)
    elif mode == "beat":
        env.update(AIOLOG_PROBE="1", AIOLOG_PROBE_STEPS="0", PYTHONPATH=probe_dir)
    elif mode == "debug":
        env.update(PYTHONASYNCIODEBUG="1")
    return env


def per_callback(python, mode, args, probe_dir):
    out = subprocess.run(
        [python, "-c", CALLBACKS, str(args.callbacks)],
        env=environment(mode, probe_dir), capture_output=True, text=True, check=True,
        preexec_fn=pin(args.server_cpu),
    )
    return float(out.stdout)


def run(python, mode, args, probe_dir):
    env = environment(mode, probe_dir)
    port = free_port()
    server = subprocess.Popen(
        [python, "-c", SERVER, str(port)], env=env, stderr=subprocess.PIPE,
        preexec_fn=pin(args.server_cpu),
    )
    try:
        wait_for(port)
        before = cpu_seconds(server.pid)
        out = subprocess.run(
            [python, "-c", CLIENT, str(port), str(args.seconds), str(args.connections)],
            capture_output=True, text=True, check=True, preexec_fn=pin(args.client_cpu),
        )
        r = json.loads(out.stdout)
        # The server's CPU time per request: what the probe adds to each
        # request, free of the load's run-to-run noise in throughput.
        r["cpu_us"] = (cpu_seconds(server.pid) - before) / r["n"] * 1e6
        return r
    finally:
        server.terminate()
        server.wait()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--connections", type=int, default=20)
    p.add_argument("--rounds", type=int, default=3, help="rounds of the three modes, interleaved")
    p.add_argument("--callbacks", type=int, default=500_000, help="empty callbacks per round of the per-callback measure")
    p.add_argument("--server-cpu", type=int, default=0, help="CPU the server is pinned to (-1: none)")
    p.add_argument("--client-cpu", type=int, default=1, help="CPU the load client is pinned to (-1: none)")
    args = p.parse_args()
    if args.server_cpu < 0:
        args.server_cpu = None
    if args.client_cpu < 0:
        args.client_cpu = None
    subprocess.run(["cargo", "build", "--quiet", "--release", "--bin", "aiolog"], cwd=ROOT, check=True)
    probe_dir = subprocess.run(
        [str(ROOT / "target/release/aiolog"), "probe-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    calls = {"plain": [], "probe": [], "beat": []}
    for _ in range(args.rounds):
        for mode in calls:
            calls[mode].append(per_callback(args.python, mode, args, probe_dir))
    for mode, us in calls.items():
        print(
            f"{mode:6} {min(us):.3f}-{max(us):.3f} us per empty callback ({args.callbacks} callbacks, {args.rounds} rounds)"
        )
    best = {}
    runs = {}
    for _ in range(args.rounds):
        for mode in ("plain", "probe", "beat", "debug"):
            r = run(args.python, mode, args, probe_dir)
            print(
                f"{mode:6} {r['rps']:8.0f} req/s  p50 {r['p50']:6.2f} ms  p99 {r['p99']:6.2f} ms"
                f"  server {r['cpu_us']:6.1f} CPU us/request",
                file=sys.stderr,
            )
            runs.setdefault(mode, []).append(r)
            if mode not in best or r["rps"] > best[mode]["rps"]:
                best[mode] = r
    # CPU per request: the least of the rounds (the one least disturbed).
    cpu = {mode: min(r["cpu_us"] for r in rs) for mode, rs in runs.items()}
    plain = best["plain"]["rps"]
    print("| server | requests/s (best) | vs plain | server CPU µs/request (least) | vs plain | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for mode, label in (
        ("plain", "plain"),
        ("probe", "stall probe alone (AIOLOG_PROBE=1)"),
        ("beat", "stall probe, heartbeat only (AIOLOG_PROBE_STEPS=0)"),
        ("debug", "asyncio debug mode"),
    ):
        r = best[mode]
        print(
            f"| {label} | {r['rps']:.0f} | {100 * r['rps'] / plain - 100:+.1f} % "
            f"| {cpu[mode]:.1f} | {100 * cpu[mode] / cpu['plain'] - 100:+.1f} % "
            f"| {r['p50']:.2f} | {r['p99']:.2f} |"
        )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark aiolog side by side with ripgrep, grep and a Python script.

    python3 benches/bench.py [--size 1G] [--dense-size 200M] [--density 320] [--seed 42] [--runs 3]

Builds aiolog in release mode, generates two synthetic workloads (kept in
target/bench/ for later runs): the sparse default mix (some 57 asyncio
records per MiB) of --size, and a dense one of --dense-size with --density
asyncio records per MiB, as a service in trouble logs them. Installs
ripgrep into target/bench/tools if it is not on PATH (cargo install, from
crates.io), reads each file once so it is in the page cache, then runs each
tool RUNS times, the tools by turns, and prints, for the fastest run of
each: wall seconds, CPU seconds (user + system), MB/s, asyncio records
per second, the ratio to `rg -c took`, and peak resident memory.
`rg -c -F -f MARKERS` is ripgrep searching for aiolog's own markers on one
thread: the block search alone, as ripgrep does it. A benchmark reports numbers; no test depends on them.
"""
import argparse
import json
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "target" / "bench"


def sh(cmd, **kw):
    print("+ " + " ".join(map(str, cmd)), file=sys.stderr)
    subprocess.run(cmd, check=True, **kw)


def find_rg():
    rg = shutil.which("rg") or (BENCH / "tools" / "bin" / "rg")
    if pathlib.Path(rg).exists():
        return str(rg)
    sh(["cargo", "install", "--quiet", "ripgrep", "--root", str(BENCH / "tools")])
    return str(BENCH / "tools" / "bin" / "rg")


def gnu_time():
    """GNU time measures the peak RSS of the command alone. (A child forked
    from this Python process would report Python's own RSS as its peak.)"""
    path = shutil.which("time") or "/usr/bin/time"
    if not os.path.exists(path) and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "time"], check=False)
    if not os.path.exists(path):
        sys.exit("bench: GNU time is needed to measure peak memory (apt-get install time)")
    return path


def run_once(cmd, timer, tmp):
    """One run's wall time, CPU seconds and peak RSS (KiB)."""
    report = os.path.join(tmp, "time")
    # Output to a real file: GNU grep stops at the first match when its
    # output is /dev/null.
    with open(os.path.join(tmp, "out"), "wb") as out:
        start = time.perf_counter()
        code = subprocess.run(
            [timer, "-f", "%M %U %S", "-o", report, *cmd], stdout=out, stderr=subprocess.DEVNULL
        ).returncode
        wall = time.perf_counter() - start
    if code not in (0, 1):
        sys.exit(f"bench: {' '.join(cmd)} failed with status {code}")
    rss, user, system = open(report).read().split()[-3:]
    return (wall, float(user) + float(system), int(rss))


def measure(tools, runs, timer):
    """The fastest run of each tool: its wall time, CPU seconds and peak
    RSS (KiB). The tools take turns, one run each a round, so that a slow
    spell of the machine falls on every row rather than on the few run
    in it; `benches/baseline.py` (slow, and steady) runs in the first
    round only."""
    best = [None] * len(tools)
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(runs):
            for i, (name, cmd) in enumerate(tools):
                if "python" in name and round_ > 0:
                    continue
                run = run_once(cmd, timer, tmp)
                if best[i] is None or run[0] < best[i][0]:
                    best[i] = run
    return best


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def workload(gen, seed, size, density):
    name = f"workload-{size}-{seed}" + (f"-dense{density}" if density else "") + ".log"
    log = BENCH / name
    if not log.exists():
        sh([str(gen), str(seed), size, str(log), *([str(density)] if density else [])])
    with open(log, "rb") as f:  # into the page cache
        while f.read(1 << 24):
            pass
    return log


def bench(label, log, aiolog, rg, markers, runs, timer):
    size = log.stat().st_size
    doc = json.loads(subprocess.run([str(aiolog), "--format", "json", str(log)], capture_output=True).stdout)
    records = doc["input"]["records"] + doc["input"].get("unrecognized_records", 0)
    tools = [
        ("aiolog (table, 1 thread)", [str(aiolog), "--threads", "1", str(log)]),
        ("aiolog (json, 1 thread)", [str(aiolog), "--threads", "1", "--format", "json", str(log)]),
        ("aiolog (table, 1 thread, -B0 -A0)", [str(aiolog), "--threads", "1", "-B0", "-A0", str(log)]),
        (f"aiolog (table, {os.cpu_count()} threads)", [str(aiolog), str(log)]),
        (f"aiolog (json, {os.cpu_count()} threads)", [str(aiolog), "--format", "json", str(log)]),
        ("rg -c took", [rg, "-c", "took", str(log)]),
        ("rg -c -F -f MARKERS (1 thread)", [rg, "-j1", "-c", "-F", "-f", str(markers), str(log)]),
        ("grep -c took", ["grep", "-c", "took", str(log)]),
        ("python3 benches/baseline.py", [sys.executable, str(ROOT / "benches" / "baseline.py"), str(log)]),
    ]
    results = [(name, *run) for (name, _), run in zip(tools, measure(tools, runs, timer))]
    rg_time = next(t for name, t, _, _ in results if name == "rg -c took")
    print(
        f"\n{label}: {size / 2**20:.0f} MiB, {records} asyncio records "
        f"({records / (size / 2**20):.0f} per MiB), page cache warm, best of {runs} runs taken by turns\n"
    )
    print("| tool | seconds | CPU s | MB/s | records/s | × rg -c | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, wall, cpu, rss in results:
        rate = f"{records / wall / 1e6:.2f} M" if name.startswith("aiolog") or "python" in name else ""
        print(
            f"| {name} | {wall:.2f} | {cpu:.2f} | {size / wall / 1e6:.0f} | {rate} | "
            f"{wall / rg_time:.2f} | {rss / 1024:.1f} |"
        )
    one = next(w for n, w, _, _ in results if n == "aiolog (json, 1 thread)")
    py = next(w for n, w, _, _ in results if "python" in n)
    print(f"\naiolog (json, 1 thread) is {py / one:.1f}× faster than benches/baseline.py on this workload.")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", default="1G", help="sparse workload size, e.g. 100M, 1G, 10G (default 1G)")
    p.add_argument("--dense-size", default="200M", help="dense workload size (default 200M)")
    p.add_argument("--density", type=int, default=320, help="asyncio records per MiB of the dense workload")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()

    BENCH.mkdir(parents=True, exist_ok=True)
    sh(["cargo", "build", "--quiet", "--release", "--bin", "aiolog", "--example", "gen_workload"], cwd=ROOT)
    aiolog = ROOT / "target" / "release" / "aiolog"
    gen = ROOT / "target" / "release" / "examples" / "gen_workload"
    markers = BENCH / "markers.txt"
    markers.write_text(subprocess.run([str(gen), "--markers"], capture_output=True, text=True, check=True).stdout)
    rg = find_rg()
    timer = gnu_time()
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}")
    sparse = workload(gen, args.seed, args.size, None)
    bench("sparse workload", sparse, aiolog, rg, markers, args.runs, timer)
    dense = workload(gen, args.seed, args.dense_size, args.density)
    bench("dense workload", dense, aiolog, rg, markers, args.runs, timer)
    print("\nrg maps the file into memory: its peak RSS counts the file's pages in the page cache.")


if __name__ == "__main__":
    main()

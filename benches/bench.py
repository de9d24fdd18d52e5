#!/usr/bin/env python3
"""Benchmark aiolog side by side with ripgrep, grep and a Python script.

    python3 benches/bench.py [--size 1G] [--seed 42] [--runs 3]

Builds aiolog in release mode, generates the synthetic workload
(target/bench/workload-SIZE-SEED.log, kept for later runs), installs ripgrep
into target/bench/tools if it is not on PATH (cargo install, from crates.io),
reads the file once so it is in the page cache, then runs each tool RUNS
times and prints, for the fastest run of each: wall seconds, MB/s, the ratio
to `rg -c took`, and peak resident memory. A benchmark reports numbers; no
test depends on them.
"""
import argparse
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


def measure(cmd, runs, timer):
    """Fastest wall time and the peak RSS (KiB) of that run."""
    best = None
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "time")
        for _ in range(runs):
            # Output to a real file: GNU grep stops at the first match when its
            # output is /dev/null.
            with open(os.path.join(tmp, "out"), "wb") as out:
                start = time.perf_counter()
                code = subprocess.run(
                    [timer, "-f", "%M", "-o", report, *cmd], stdout=out, stderr=subprocess.DEVNULL
                ).returncode
                wall = time.perf_counter() - start
            if code not in (0, 1):
                sys.exit(f"bench: {' '.join(cmd)} failed with status {code}")
            rss = int(open(report).read().split()[-1])
            if best is None or wall < best[0]:
                best = (wall, rss)
    return best


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", default="1G", help="workload size, e.g. 100M, 1G, 10G (default 1G)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()

    BENCH.mkdir(parents=True, exist_ok=True)
    sh(["cargo", "build", "--quiet", "--release", "--bin", "aiolog", "--example", "gen_workload"], cwd=ROOT)
    aiolog = ROOT / "target" / "release" / "aiolog"
    gen = ROOT / "target" / "release" / "examples" / "gen_workload"
    log = BENCH / f"workload-{args.size}-{args.seed}.log"
    if not log.exists():
        sh([str(gen), str(args.seed), args.size, str(log)])
    rg = find_rg()
    size = log.stat().st_size
    with open(log, "rb") as f:  # into the page cache
        while f.read(1 << 24):
            pass

    tools = [
        ("aiolog (table, 1 thread)", [str(aiolog), "--threads", "1", str(log)]),
        ("aiolog (json, 1 thread)", [str(aiolog), "--threads", "1", "--format", "json", str(log)]),
        ("aiolog (table, 1 thread, -B0 -A0)", [str(aiolog), "--threads", "1", "-B0", "-A0", str(log)]),
        (f"aiolog (table, {os.cpu_count()} threads)", [str(aiolog), str(log)]),
        ("rg -c took", [rg, "-c", "took", str(log)]),
        ("grep -c took", ["grep", "-c", "took", str(log)]),
        ("python3 benches/baseline.py", [sys.executable, str(ROOT / "benches" / "baseline.py"), str(log)]),
    ]
    timer = gnu_time()
    results = [(name, *measure(cmd, args.runs if "python" not in name else 1, timer)) for name, cmd in tools]
    rg_time = next(t for name, t, _ in results if name.startswith("rg"))
    print(f"\n{size / 2**30:.2f} GiB workload (seed {args.seed}), page cache warm, best of {args.runs} runs")
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}\n")
    print("| tool | seconds | MB/s | × rg -c | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|")
    for name, wall, rss in results:
        print(f"| {name} | {wall:.2f} | {size / wall / 1e6:.0f} | {wall / rg_time:.2f} | {rss / 1024:.1f} |")
    print("\nrg maps the file into memory: its peak RSS counts the file's pages in the page cache.")


if __name__ == "__main__":
    main()

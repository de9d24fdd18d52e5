#!/usr/bin/env python3
"""What new markers would cost the block search, before adding them.

    python3 benches/marker_cost.py [--size 30M] MARKER...

Counts the instructions (valgrind's callgrind, which does not vary from run
to run as wall time does on a shared machine) that `benches/scan_search.rs`
spends finding aiolog's markers (`gen_workload --markers`) in the first
SIZE of the sparse and of the dense workload, then with MARKER... appended
in the order given, and prints both and the change. The search's SIMD
prefilter puts patterns in buckets by their position in the list, so the
cost of a marker depends on its text and on where it goes: try a few
(README, Performance).
"""
import argparse
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "bench" / "marker_cost"


def instructions(cmd):
    """The instructions callgrind counts for `cmd` (the `I refs` line)."""
    r = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in r.stderr.splitlines():
        if "refs:" in line:
            return int(line.split("refs:")[1].replace(",", ""))
    sys.exit(f"no instruction count from valgrind:\n{r.stderr}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="30M", help="how much of each workload (default 30M)")
    parser.add_argument("markers", nargs="+", metavar="MARKER")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("marker_cost: valgrind is needed (apt install valgrind)")
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--example", "gen_workload", "--example", "scan_search"],
        cwd=ROOT,
        check=True,
    )
    examples = ROOT / "target" / "release" / "examples"
    OUT.mkdir(parents=True, exist_ok=True)
    base = subprocess.run(
        [examples / "gen_workload", "--markers"], capture_output=True, text=True, check=True
    ).stdout
    for m in args.markers:
        if m in base.splitlines():
            sys.exit(f"marker_cost: {m!r} is already a marker")
    sets = {
        "markers": base,
        "markers and new": base + "".join(m + "\n" for m in args.markers),
        # Nearly nothing to search for: what reading the file costs.
        "file read": "\x01\x02\x03\x04\n",
    }
    for name, text in sets.items():
        (OUT / f"{name.replace(' ', '_')}.txt").write_text(text)
    print(f"{'workload':<8} {'markers':>14} {'and new':>14} {'change':>8}  (search instructions, file read subtracted)")
    for workload, density in (("sparse", []), ("dense", ["320"])):
        log = OUT / f"{workload}-{args.size}.log"
        if not log.exists():
            subprocess.run(
                [examples / "gen_workload", "42", args.size, log, *density], check=True, capture_output=True
            )
        count = {
            name: instructions([examples / "scan_search", log, OUT / f"{name.replace(' ', '_')}.txt", "1"])
            for name in sets
        }
        old = count["markers"] - count["file read"]
        new = count["markers and new"] - count["file read"]
        print(f"{workload:<8} {old:>14,} {new:>14,} {100 * (new - old) / old:>+7.1f}%")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""What a user would write instead of aiolog: a line-by-line scan with `re`.

Reads a log line by line, matches the first line of the three core asyncio
warnings, aggregates per site and prints the ranking. It does not reassemble
multi-line records (so it cannot see creation tracebacks); it is the baseline
that benches/bench.py measures aiolog against.

    python3 benches/baseline.py app.log
"""
import collections
import re
import sys

SLOW = re.compile(
    r"Executing <(?:Task|Handle|TimerHandle).*?(?:coro=<(?P<coro>[^()]+)\(\) (?:running at|done, defined at) "
    r"(?P<cpath>.+?):(?P<cline>\d+)>|\s(?P<cb>[\w.<>]+)\(.*?\) at (?P<hpath>\S+):(?P<hline>\d+)).* took (?P<secs>\d+\.\d+) seconds"
)
NEVER = re.compile(r"(?P<path>\S+):(?P<line>\d+): RuntimeWarning: coroutine '(?P<name>[^']+)' was never awaited")
DESTROYED = re.compile(r"Task was destroyed but it is pending!")


def main(path):
    slow = collections.defaultdict(lambda: [0, 0.0, 0.0])
    never = collections.Counter()
    destroyed = 0
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            if "Executing <" in line:
                m = SLOW.search(line)
                if m:
                    if m["coro"]:
                        site = (m["cpath"], int(m["cline"]), m["coro"])
                    else:
                        site = (m["hpath"], int(m["hline"]), m["cb"])
                    s = slow[site]
                    secs = float(m["secs"])
                    s[0] += 1
                    s[1] += secs
                    s[2] = max(s[2], secs)
            elif "was never awaited" in line:
                m = NEVER.search(line)
                if m:
                    never[(m["path"], int(m["line"]), m["name"])] += 1
            elif DESTROYED.search(line):
                destroyed += 1
    for site, (count, total, mx) in sorted(slow.items(), key=lambda kv: -kv[1][1])[:20]:
        print(f"slow {site[0]}:{site[1]} {site[2]} count={count} total={total:.3f} max={mx:.3f}")
    for site, count in never.most_common(20):
        print(f"never_awaited {site[0]}:{site[1]} {site[2]} count={count}")
    print(f"task_destroyed_pending count={destroyed}")


if __name__ == "__main__":
    main(sys.argv[1])

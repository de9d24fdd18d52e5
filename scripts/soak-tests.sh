#!/usr/bin/env bash
# Runs `cargo test` RUNS times (default 20) in a fresh clone of HEAD while
# two busy loops keep both cores loaded, and after each run counts what the
# tests left behind: processes of the clone's aiolog or test scripts, and
# temporary directories named aiolog-*.
#
#   scripts/soak-tests.sh [RUNS]     # the clone goes to ${SOAK_DIR:-/tmp/aiolog-soak}
set -uo pipefail
runs=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${SOAK_DIR:-/tmp/aiolog-soak}
rm -rf "$dir" && git clone -q "$root" "$dir" && cd "$dir" || exit 2
echo "soak: $(git log --oneline -1)"
cargo test --no-run >/dev/null 2>&1 || { echo "soak: the build failed" >&2; exit 2; }
yes >/dev/null & y1=$!
yes >/dev/null & y2=$!
trap 'kill $y1 $y2 2>/dev/null' EXIT
pass=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if cargo test >"$dir/run-$i.log" 2>&1; then pass=$((pass + 1)); r=ok; else r="FAILED (see $dir/run-$i.log)"; fi
  left=$(pgrep -f "$dir/target/|$dir/tests/scripts" | wc -l)
  temps=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'aiolog-*' ! -path "$dir" | wc -l)
  echo "run $i: $r in $(( $(date +%s) - start )) s; processes left: $left; temporary directories left: $temps"
done
echo "$pass passed, $((runs - pass)) failed"
[ "$pass" = "$runs" ]

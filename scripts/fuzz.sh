#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (default 600 s each), seeded with
# the sample logs and the real-world corpus. cargo-fuzz is installed from
# crates.io when missing; libFuzzer runs without a sanitizer (-s none), with
# RUSTC_BOOTSTRAP=1 for the instrumentation flags on the stable toolchain.
#
#   scripts/fuzz.sh [SECONDS] [TARGET ...]      # targets: grammar repr record pipeline
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(grammar repr record pipeline)
command -v cargo-fuzz >/dev/null || cargo install --quiet cargo-fuzz
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  cp -n ../samples/*.log ../tests/corpus/*.log "corpus/$t/" 2>/dev/null || true
  echo "fuzz: $t for ${seconds}s" >&2
  cargo fuzz run -s none --release "$t" "corpus/$t" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -print_final_stats=1
done

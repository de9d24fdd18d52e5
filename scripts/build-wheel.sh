#!/usr/bin/env bash
# Builds the Python wheel that carries the aiolog binary into target/wheels/.
# maturin comes from PyPI into a private virtual environment under target/.
#
#   scripts/build-wheel.sh            # then: pipx install target/wheels/aiolog-*.whl
#
# AIOLOG_WHEEL_PROFILE=dev packs the debug binary instead (the install test
# does, to reuse what `cargo test` has just built).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
env=target/maturin-env
if [ ! -x "$env/bin/maturin" ]; then
  "$python" -m venv "$env"
  "$env/bin/python" -m pip install --quiet --disable-pip-version-check 'maturin>=1.5,<2'
fi
rm -f target/wheels/aiolog-*.whl
# The stall probe goes into site-packages with a .pth file that starts it in
# every interpreter of the environment that has AIOLOG_PROBE=1.
rm -rf target/wheel-data
mkdir -p target/wheel-data/purelib
cp src/run/aiolog_probe.py src/run/aiolog_probe.pth target/wheel-data/purelib/
"$env/bin/maturin" build --profile "${AIOLOG_WHEEL_PROFILE:-release}" --quiet --out target/wheels "$@"
ls target/wheels/aiolog-*.whl

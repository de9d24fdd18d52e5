#!/usr/bin/env python3
"""Regenerate the sample logs from the scenario scripts with a real Python.

Every scenario in samples/scenarios/ is run twice with PYTHONASYNCIODEBUG=1:
once with logging unconfigured ("<name>.log": asyncio's warnings reach stderr
as bare messages) and once with a timestamped logging format
("<name>.timestamped.log"). stdout and stderr are captured together, byte for
byte, with two path mappings applied so that the committed logs do not carry
the paths of the machine that made them:

  * the scenarios are copied to a fresh temporary directory and run from
    there; that directory is written as /app, as in a deployed service;
  * the interpreter's standard library directory (for example
    ~/.pyenv/versions/3.11.7/lib/python3.11) is written as
    /usr/local/lib/pythonX.Y, the conventional prefix.

Nothing else is changed. Usage:

    python3 samples/regenerate.py [--python PYTHON] [--out DIR]

--out defaults to samples/ itself; the test suite uses a temporary directory to
check that a fresh run yields the same findings as the committed logs.
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios"
VARIANTS = {"default": ".log", "timestamped": ".timestamped.log"}
APP_DIR = "/app"


def interpreter_facts(python):
    code = (
        "import sys, sysconfig;"
        "print(sysconfig.get_paths()['stdlib']);"
        "print('%d.%d' % sys.version_info[:2]);"
        "print(sys.version.split()[0])"
    )
    out = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True)
    stdlib, short, full = out.stdout.split()
    return stdlib, short, full


def run_scenario(python, workdir, script, variant):
    env = dict(os.environ)
    env.update(
        PYTHONASYNCIODEBUG="1",
        PYTHONDONTWRITEBYTECODE="1",
        AIOLOG_SAMPLE_LOGGING=variant,
    )
    for var in ("PYTHONDEVMODE", "PYTHONTRACEMALLOC", "PYTHONWARNINGS"):
        env.pop(var, None)
    proc = subprocess.run(
        [python, str(workdir / script.name)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=60,
    )
    return proc.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default="python3", help="interpreter to run (default: python3)")
    parser.add_argument("--out", type=pathlib.Path, default=HERE, help="where to write the logs")
    args = parser.parse_args()

    stdlib, short, full = interpreter_facts(args.python)
    mapped_stdlib = f"/usr/local/lib/python{short}"
    args.out.mkdir(parents=True, exist_ok=True)
    scripts = sorted(p for p in SCENARIOS.glob("*.py") if not p.name.startswith("_"))
    with tempfile.TemporaryDirectory(prefix="aiolog-samples-") as tmp:
        workdir = pathlib.Path(tmp).resolve()
        shutil.copytree(SCENARIOS, workdir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        mappings = [
            (str(workdir).encode(), APP_DIR.encode()),
            (tmp.encode(), APP_DIR.encode()),
            (stdlib.encode(), mapped_stdlib.encode()),
            (os.path.realpath(stdlib).encode(), mapped_stdlib.encode()),
        ]
        for script in scripts:
            for variant, suffix in VARIANTS.items():
                log = run_scenario(args.python, workdir, script, variant)
                for old, new in mappings:
                    log = log.replace(old, new)
                target = args.out / (script.stem + suffix)
                target.write_bytes(log)
                print(f"{target.name}: {len(log)} bytes", file=sys.stderr)
    print(
        f"ran {len(scripts)} scenarios with Python {full}; mapped {workdir} -> {APP_DIR} "
        f"and {stdlib} -> {mapped_stdlib}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

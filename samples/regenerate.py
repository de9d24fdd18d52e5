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
    python3 samples/regenerate.py --all-versions [--pyodide DIR] [--no-pyodide]

--all-versions runs every scenario under each of pyenv's CPython 3.8 and
later and under CPython 3.14 compiled to WebAssembly (the pyodide npm package,
run with node by pyodide_run.mjs; installed with npm into ~/.cache/aiolog the
first time), writing OUT/versions/X.Y.Z/ (3.14: X.Y.Z-pyodide). Scenarios
that say `# requires: sockets` cannot run under pyodide. A scenario that
says `# requires: bin:redis-server` starts that program, and is skipped
(saying so) where it is not on PATH.

A scenario that says `# probe: on` runs with aiolog's stall probe too, as
`aiolog run` starts it: the sitecustomize and aiolog_probe.py of src/run/
first on PYTHONPATH, AIOLOG_PROBE=1; and a third time as `aiolog run
--light` starts it, the probe alone without debug mode ("<name>.light.log",
timestamped logging). `--only NAME` (repeatable) runs those
scenarios alone.

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
PROBE_DIR = HERE.parent / "src" / "run"
VARIANTS = {"default": ".log", "timestamped": ".timestamped.log"}
# A `# probe: on` scenario also runs as `aiolog run --light` starts it: the
# probe alone, without debug mode, with the timestamped logging.
LIGHT = {"light": ".light.log"}


def probed(script):
    return "# probe: on" in script.read_text()


def variants_of(script):
    return {**VARIANTS, **LIGHT} if probed(script) else VARIANTS
APP_DIR = "/app"


CAPABILITIES = {"sockets", "threads", "subprocess", "shutdown"}


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


def site_packages(python):
    """The interpreter's site-packages directories (a virtual environment's
    own, then the base's)."""
    code = "import site; print('\\n'.join(site.getsitepackages()))"
    out = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True)
    return [p for p in out.stdout.splitlines() if p]


def has_module(python, module):
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def module_requirements(scripts):
    """Modules the scenarios import beyond the standard library (`# requires:
    pytest`)."""
    mods = set()
    for s in scripts:
        mods |= {m for m in other_requirements(s) - CAPABILITIES if not m.startswith("bin:")}
    return sorted(mods)


def missing_programs(script):
    """`# requires: bin:redis-server`: programs the scenario starts, not on PATH."""
    return sorted(w[4:] for w in other_requirements(script) if w.startswith("bin:") and not shutil.which(w[4:]))


def venv_for(python, modules):
    """A virtual environment made from `python`, cached, with `modules`
    installed from PyPI; its python, or the interpreter itself when pip
    cannot install them."""
    full = interpreter_facts(python)[2]
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache"))
    env = cache / "aiolog" / "venvs" / full
    py = env / "bin" / "python"
    missing = [m for m in modules if not py.exists() or not has_module(str(py), m)]
    if not missing:
        return str(py)
    if not py.exists():
        print(f"making {env} ...", file=sys.stderr)
        made = subprocess.run([python, "-m", "venv", str(env)], capture_output=True)
        if made.returncode != 0:
            return python
    # Added to what the environment has: a run of one scenario must not take
    # away another's packages.
    print(f"installing {' '.join(missing)} into {env} ...", file=sys.stderr)
    pip = subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *missing],
        capture_output=True,
    )
    return str(py) if pip.returncode == 0 else python


def run_scenario(python, workdir, script, variant):
    env = dict(os.environ)
    light = variant in LIGHT
    env.update(
        PYTHONASYNCIODEBUG="1",
        PYTHONDONTWRITEBYTECODE="1",
        AIOLOG_SAMPLE_LOGGING="timestamped" if light else variant,
    )
    for var in ("PYTHONDEVMODE", "PYTHONTRACEMALLOC", "PYTHONWARNINGS"):
        env.pop(var, None)
    if light:
        env.pop("PYTHONASYNCIODEBUG")
    if probed(script):
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROBE_DIR), env.get("PYTHONPATH")]))
        env["AIOLOG_PROBE"] = "1"
    proc = subprocess.run(
        [python, str(workdir / script.name)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=60,
    )
    if proc.returncode < 0:
        # A crash leaves a log that no interpreter would write whole.
        sys.exit(f"{script.name} ({variant}) died of signal {-proc.returncode} under {python}")
    return proc.stdout


PYODIDE_PACKAGE = "pyodide@314.0.7"


def pyenv_pythons():
    """pyenv's CPython 3.8 and later, oldest first."""
    root = pathlib.Path(os.environ.get("PYENV_ROOT", pathlib.Path.home() / ".pyenv"))
    found = []
    for d in (root / "versions").glob("3.*"):
        parts = d.name.split(".")
        if len(parts) == 3 and all(x.isdigit() for x in parts) and int(parts[1]) >= 8:
            exe = d / "bin" / "python3"
            if exe.exists():
                found.append((tuple(int(x) for x in parts), str(exe)))
    return [exe for _, exe in sorted(found)]


def pyodide_dir(explicit):
    """The pyodide npm package: the one given, or one installed with npm into
    a cache directory (fetched from the npm registry the first time)."""
    if explicit:
        return pathlib.Path(explicit)
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache"))
    prefix = cache / "aiolog" / "pyodide"
    pkg = prefix / "node_modules" / "pyodide"
    if not (pkg / "pyodide.mjs").exists():
        if not shutil.which("node") or not shutil.which("npm"):
            print("3.14 (pyodide) skipped: node and npm are needed", file=sys.stderr)
            return None
        print(f"installing {PYODIDE_PACKAGE} into {prefix} ...", file=sys.stderr)
        prefix.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["npm", "install", "--no-save", "--prefix", str(prefix), PYODIDE_PACKAGE],
            stdout=subprocess.DEVNULL,
        )
        if done.returncode != 0 or not (pkg / "pyodide.mjs").exists():
            print("3.14 (pyodide) skipped: npm install failed", file=sys.stderr)
            return None
    return pkg


def version_requirement(script):
    """`# requires: python>=3.12`: the oldest version the scenario runs on."""
    for word in requirements(script):
        if word.startswith("python>="):
            return tuple(int(x) for x in word[len("python>="):].split("."))
    return None


def other_requirements(script):
    """What a scenario requires besides a Python version."""
    return {w for w in requirements(script) if not w.startswith("python>=")}


def requirements(script):
    """What a scenario needs beyond asyncio itself: a `# requires: sockets`
    comment (at the end of a line, so that no line number moves)."""
    needs = set()
    for line in script.read_text().splitlines():
        if "# requires:" in line:
            needs.update(line.split("# requires:", 1)[1].split())
    return needs


def run_pyodide(pkg, workdir, script, variant):
    proc = subprocess.run(
        ["node", str(HERE / "pyodide_run.mjs"), str(pkg), str(workdir), script.name, variant],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=120,
    )
    return proc.stdout


def write_logs(out, scripts, runner, mappings, workdir):
    out.mkdir(parents=True, exist_ok=True)
    for script in scripts:
        # A log of an earlier run must not stand for a scenario skipped now.
        for suffix in {**VARIANTS, **LIGHT}.values():
            (out / (script.stem + suffix)).unlink(missing_ok=True)
        for variant, suffix in variants_of(script).items():
            log = runner(workdir, script, variant)
            for old, new in mappings:
                log = log.replace(old, new)
            target = out / (script.stem + suffix)
            target.write_bytes(log)
            print(f"{target}: {len(log)} bytes", file=sys.stderr)


def run_cpython(python, out, scripts):
    stdlib, short, full = interpreter_facts(python)
    mapped_stdlib = f"/usr/local/lib/python{short}"
    runnable = []
    version = tuple(int(x) for x in full.split(".")[:2])
    for s in scripts:
        missing = [
            m
            for m in sorted(other_requirements(s) - CAPABILITIES)
            if not m.startswith("bin:") and not has_module(python, m)
        ]
        programs = missing_programs(s)
        oldest = version_requirement(s)
        if oldest and version < oldest:
            print(f"skipped {s.name} with Python {full}: needs Python {'.'.join(map(str, oldest))}+", file=sys.stderr)
        elif programs:
            print(
                f"skipped {s.name} with Python {full}: needs {', '.join(programs)} on PATH "
                f"(apt-get install {' '.join(programs)})",
                file=sys.stderr,
            )
        elif missing:
            print(
                f"skipped {s.name} with Python {full}: needs {', '.join(missing)} "
                f"(pip install {' '.join(missing)}, or --all-versions, which installs them)",
                file=sys.stderr,
            )
        else:
            runnable.append(s)
    scripts = runnable
    with tempfile.TemporaryDirectory(prefix="aiolog-samples-") as tmp:
        workdir = pathlib.Path(tmp).resolve()
        shutil.copytree(SCENARIOS, workdir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        # A virtual environment's site-packages is written as the standard
        # one, before the standard library's own mapping.
        venv_site = [
            (p.encode(), f"{mapped_stdlib}/site-packages".encode())
            for p in site_packages(python)
            if not p.startswith(stdlib) and not p.startswith(os.path.realpath(stdlib))
        ]
        mappings = [
            (str(workdir).encode(), APP_DIR.encode()),
            (tmp.encode(), APP_DIR.encode()),
            *venv_site,
            (stdlib.encode(), mapped_stdlib.encode()),
            (os.path.realpath(stdlib).encode(), mapped_stdlib.encode()),
        ]
        runner = lambda w, s, v: run_scenario(python, w, s, v)  # noqa: E731
        write_logs(out, scripts, runner, mappings, workdir)
    print(
        f"ran {len(scripts)} scenarios with Python {full}; mapped the scenario directory "
        f"-> {APP_DIR} and {stdlib} -> {mapped_stdlib}",
        file=sys.stderr,
    )
    return full


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default="python3", help="interpreter to run (default: python3)")
    parser.add_argument("--out", type=pathlib.Path, default=HERE, help="where to write the logs")
    parser.add_argument(
        "--all-versions",
        action="store_true",
        help="run every scenario under every pyenv CPython 3.8+ and under 3.14 "
        "(pyodide), writing OUT/versions/X.Y.Z/",
    )
    parser.add_argument("--pyodide", help="the pyodide npm package directory (default: installed on demand)")
    parser.add_argument("--no-pyodide", action="store_true", help="with --all-versions, leave 3.14 out")
    parser.add_argument("--only-pyodide", action="store_true", help="with --all-versions, run 3.14 (pyodide) alone")
    parser.add_argument("--only", action="append", metavar="NAME", help="run this scenario alone (repeatable; NAME without .py)")
    args = parser.parse_args()

    scripts = sorted(p for p in SCENARIOS.glob("*.py") if not p.name.startswith("_"))
    if args.only:
        scripts = [p for p in scripts if p.stem in args.only]
    if not args.all_versions:
        run_cpython(args.python, args.out, scripts)
        return
    pythons = pyenv_pythons()
    if not pythons:
        sys.exit("no pyenv CPython 3.8+ found (set PYENV_ROOT)")
    modules = module_requirements(scripts)
    for python in [] if args.only_pyodide else pythons:
        full = interpreter_facts(python)[2]
        run_with = venv_for(python, modules) if modules else python
        run_cpython(run_with, args.out / "versions" / full, scripts)
    pkg = None if args.no_pyodide else pyodide_dir(args.pyodide)
    if pkg is None:
        return
    version = subprocess.run(
        ["node", str(HERE / "pyodide_run.mjs"), str(pkg), str(SCENARIOS), "--version", "default"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Only the standard library is there: no sockets, threads, subprocesses
    # or modules from PyPI.
    runnable = [s for s in scripts if not other_requirements(s)]
    # The scenarios run as /app inside the WebAssembly file system: no path
    # to map. The standard library is the zip pyodide ships, printed as
    # /lib/python314.zip/..., as a 3.14 WebAssembly build prints it.
    runner = lambda w, s, v: run_pyodide(pkg, w, s, v)  # noqa: E731
    write_logs(args.out / "versions" / f"{version}-pyodide", runnable, runner, [], SCENARIOS)
    skipped = sorted(s.name for s in scripts if s not in runnable)
    print(f"ran {len(runnable)} scenarios with CPython {version} (pyodide); skipped {skipped}", file=sys.stderr)


if __name__ == "__main__":
    main()

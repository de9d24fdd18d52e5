// Runs one sample scenario under CPython 3.14 compiled to WebAssembly (the
// `pyodide` npm package), for samples/regenerate.py --all-versions.
//
//   node samples/pyodide_run.mjs PYODIDE_DIR SCENARIO_DIR SCRIPT VARIANT
//
// PYODIDE_DIR is the installed package (node_modules/pyodide). The scenario directory is copied into the WebAssembly file system as
// /app; stdout and stderr are printed together, in order, line by line.
//
// Pyodide replaces asyncio's event loop with its browser loop, which cannot
// block. The scenarios need CPython's own BaseEventLoop, so a stand-in is put
// back: the stdlib loop unchanged, with a selector that has no file
// descriptors to watch and only sleeps until the next timer. Everything that
// asyncio prints is then CPython 3.14's own code running; scenarios that need
// sockets, threads or subprocesses (`# requires: sockets`) cannot run here.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, dir, script, variant] = process.argv.slice(2);
const { loadPyodide } = await import(
  pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href
);
const out = [];
const py = await loadPyodide({
  env: {
    PYTHONASYNCIODEBUG: "1",
    PYTHONDONTWRITEBYTECODE: "1",
    AIOLOG_SAMPLE_LOGGING: variant,
    HOME: "/home/pyodide",
  },
  stdout: (line) => out.push(line),
  stderr: (line) => out.push(line),
});

if (script === "--version") {
  console.log(py.runPython("import sys; sys.version.split()[0]"));
  process.exit(0);
}

function copy(from, to) {
  py.FS.mkdirTree(to);
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (e.name === "__pycache__") continue;
    const src = path.join(from, e.name);
    if (e.isDirectory()) copy(src, to + "/" + e.name);
    else py.FS.writeFile(to + "/" + e.name, fs.readFileSync(src));
  }
}
copy(dir, "/app");

py.globals.set("SCRIPT", "/app/" + script);
py.runPython(`
import asyncio, os, runpy, sys, time

asyncio.events._set_running_loop(None)

# Import what formatting a warning or a traceback uses first: in this build
# the first import from the zipped standard library takes tens of
# milliseconds, enough to make the step that prints a scenario's first
# warning cross the 100 ms slow-callback threshold.
import linecache, logging, traceback, tracemalloc, warnings  # noqa: E401
traceback.format_list(traceback.extract_stack())

class _NoSelector:
    def select(self, timeout=None):
        if timeout:
            time.sleep(timeout)
        return []

    def close(self):
        pass

class StandInLoop(asyncio.BaseEventLoop):
    def __init__(self):
        super().__init__()
        self._selector = _NoSelector()

    def _process_events(self, event_list):
        pass

    def _write_to_self(self):
        pass

def _run(main, *, debug=None, loop_factory=None):
    with asyncio.Runner(debug=debug, loop_factory=loop_factory or StandInLoop) as runner:
        return runner.run(main)

asyncio.run = _run
asyncio.new_event_loop = StandInLoop
sys.path.insert(0, "/app")
os.chdir("/app")
try:
    runpy.run_path(SCRIPT, run_name="__main__")
except SystemExit:
    pass
# A CPython process ends by clearing its modules and collecting garbage, and
# tasks still pending then are destroyed with a warning. This interpreter
# lives on after the script: drop the script's namespace and collect, as
# finalization would.
import gc
gc.collect()
`);
process.stdout.write(out.map((l) => l + "\n").join(""));

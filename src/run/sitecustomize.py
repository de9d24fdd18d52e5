"""aiolog run: asyncio debug mode in the child, whatever its code says.

`aiolog run` writes this file to a temporary directory and puts that
directory first on PYTHONPATH, so that Python imports it at start-up (the
`site` module imports any `sitecustomize` it finds). It makes every asyncio
event loop the program creates run in debug mode, even where the program or
its server turns debug mode off (uvicorn runs its loop with
`asyncio.Runner(debug=False)`, so PYTHONASYNCIODEBUG=1 alone is ignored), and
applies `aiolog run --slow SECONDS`, when AIOLOG_RUN_DEBUG=1 (`aiolog run`
sets it, not `aiolog run --light`). With AIOLOG_PROBE=1 it starts the stall
probe (aiolog_probe.py, beside it): that alone is what `aiolog probe-path`'s
copy of this file does in a deployed service. Then it runs the `sitecustomize` that it
shadows, if there is one. `aiolog run --no-inject` leaves it out.

To do the same without aiolog, run this at start-up:

    import asyncio.base_events as be
    _set_debug = be.BaseEventLoop.set_debug
    be.BaseEventLoop.set_debug = lambda self, enabled: _set_debug(self, True)

Event loops that do not derive from asyncio's BaseEventLoop (uvloop) are not
changed.
"""
import os
import sys


def _aiolog_force_debug():
    try:
        import asyncio.base_events as be
    except Exception:
        return
    marker = os.environ.get("AIOLOG_RUN_MARKER")
    slow = os.environ.get("AIOLOG_RUN_SLOW")
    set_debug = be.BaseEventLoop.set_debug
    init = be.BaseEventLoop.__init__

    def note_debug_loop():
        if marker:
            try:
                open(marker, "a").close()
            except OSError:
                pass

    def forced_set_debug(self, enabled):
        set_debug(self, True)
        if slow:
            self.slow_callback_duration = float(slow)
        note_debug_loop()

    def init_with_threshold(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if slow:
            self.slow_callback_duration = float(slow)

    be.BaseEventLoop.set_debug = forced_set_debug
    be.BaseEventLoop.__init__ = init_with_threshold


def _aiolog_chain():
    """Runs the sitecustomize module that this one shadows, if any."""
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


def _aiolog_probe():
    """The stall probe (aiolog_probe.py, beside this file), when
    AIOLOG_PROBE=1."""
    if os.environ.get("AIOLOG_PROBE", "").lower() not in ("1", "true", "yes", "on"):
        return
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        import importlib.util

        spec = importlib.util.spec_from_file_location(
            "aiolog_probe", os.path.join(here, "aiolog_probe.py")
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules["aiolog_probe"] = module
        spec.loader.exec_module(module)
        module.install()
    except Exception as e:  # never break the program
        sys.stderr.write("aiolog: the stall probe could not start: %r\n" % (e,))


if os.environ.get("AIOLOG_RUN_DEBUG") == "1":
    _aiolog_force_debug()
_aiolog_probe()
_aiolog_chain()

"""An application served by a library that runs it inside its own coroutines.

The application blocks on one route. asyncio names the library's coroutine
(`Server.handle` in site-packages), so only the application's own lines
around the report, which carry request ids, tell which request blocked.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "site-packages"))

import _logsetup  # noqa: F401,E402
import minihttp  # noqa: E402

# findings-in: site-packages/minihttp/__init__.py


def app(method, path):
    if path == "/report":
        time.sleep(0.2)  # the application's blocking call
    return 200


minihttp.Server(app).serve([("GET", "/health"), ("GET", "/report"), ("GET", "/health")])

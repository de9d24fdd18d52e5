"""An aiohttp ClientSession that is never closed.

When the session is collected, aiohttp reports it through the loop's
exception handler (`Unclosed client session`, with debug mode's
`source_traceback: Object created at ...`: where it was created) and, where
ResourceWarnings are shown (`python -X dev`, as here), through the warnings
module too, whose line is followed by `ResourceWarning: Enable tracemalloc
to get the object allocation traceback`. The two are two reports of the
one session: the first names the session's creation, the second only
aiohttp's own line.
# requires: aiohttp
"""
import asyncio
import gc
import warnings

import _logsetup  # noqa: F401
import aiohttp  # requires: aiohttp

# What `python -X dev` does for ResourceWarning.
warnings.simplefilter("default", ResourceWarning)


async def open_session():
    return aiohttp.ClientSession()  # expect: resource_warning open_session


async def main():
    session = await open_session()
    del session
    gc.collect()  # reported twice (exception handler, warnings): one finding
    await asyncio.sleep(0)
    print("done", flush=True)


asyncio.run(main())

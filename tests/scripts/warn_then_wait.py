"""Prints a never-awaited warning, then keeps its stderr open until it is killed.

A live reader must report the warning while this writer still holds the pipe.
"""
import asyncio
import os
import time


async def save():
    pass


async def main():
    # This script is about a warning, not about time: no step counts as slow,
    # however loaded the machine is.
    asyncio.get_running_loop().slow_callback_duration = 3600
    save()  # expect: never_awaited main


asyncio.run(main())
# Tell a test that the warning is out (it is printed when the coroutine is
# garbage-collected, inside main()).
if os.environ.get("AIOLOG_TEST_READY"):
    open(os.environ["AIOLOG_TEST_READY"], "w").close()
# The test that started it ends it (and kills it if the test fails).
time.sleep(3600)

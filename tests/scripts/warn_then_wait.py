"""Prints a never-awaited warning, then keeps its stderr open for a while.

A live reader must report the warning while this writer still holds the pipe.
"""
import asyncio
import time


async def save():
    pass


async def main():
    save()  # expect: never_awaited main


asyncio.run(main())
time.sleep(20)

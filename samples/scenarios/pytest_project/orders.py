"""Order handling with two forgotten awaits, exercised by the tests beside it."""
import asyncio


async def send_receipt(order):
    await asyncio.sleep(0)


async def audit(item):
    await asyncio.sleep(0)


async def place_order(order):
    send_receipt(order)  # expect: never_awaited place_order count=3
    return order


async def check(item):
    audit(item)  # expect: never_awaited check count=12
    return True

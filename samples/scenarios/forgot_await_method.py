"""A method that calls a coroutine method and forgets the `await`."""
import asyncio

import _logsetup  # noqa: F401


class Repo:
    async def save(self, item):
        await asyncio.sleep(0)
        return item

    async def handle(self, item):
        self.save(item)  # expect: never_awaited handle
        return "ok"


async def main():
    await Repo().handle({"id": 1})


asyncio.run(main())

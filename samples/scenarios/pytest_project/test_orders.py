import asyncio

from orders import place_order


def test_one():
    assert asyncio.run(place_order(1)) == 1


def test_two():
    assert asyncio.run(place_order(2)) == 2


def test_three():
    assert asyncio.run(place_order(3)) == 3

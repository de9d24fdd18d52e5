import asyncio

import pytest

from orders import check


@pytest.mark.parametrize("item", range(12))
def test_items(item):
    assert asyncio.run(check(item))

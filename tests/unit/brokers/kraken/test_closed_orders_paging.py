"""get_orders(status="closed"): ClosedOrders paged by ofs; count, limit and no duplicates."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
import respx

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.errors import ConfigurationError
from tests.unit.brokers.kraken.kraken_helpers import form, load, ok

_TEMPLATE = load("http_closed_orders.json")["result"]["closed"]["O6YDQ5-LOMWU-37YKEE"]


def _order(n: int) -> tuple[str, dict[str, Any]]:
    """Closed order number ``n`` (a higher n closed later) in Kraken's real shape."""
    raw = copy.deepcopy(_TEMPLATE)
    raw["opentm"] = 1_700_000_000 + n * 60
    raw["closetm"] = raw["opentm"] + 1.5
    return f"O{n:05d}-PAGED-TXID{n % 10}", raw


class FakeHistory:
    """Kraken's ClosedOrders over a mutable history: newest first, 50 from ``ofs``, ``count``."""

    def __init__(self, size: int, count_override: int | None = None) -> None:
        self.rows = [_order(n) for n in range(size, 0, -1)]
        self.count_override = count_override
        self.offsets: list[int] = []
        self.after_first_page: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        ofs = int(form(request).get("ofs", 0))
        self.offsets.append(ofs)
        page = dict(self.rows[ofs : ofs + 50])
        count = self.count_override if self.count_override is not None else len(self.rows)
        # An order closing between two page reads lands at the head and shifts every row.
        self.rows[:0], self.after_first_page = self.after_first_page, []
        return ok({"closed": page, "count": count})

    def ids(self, start: int = 0, stop: int | None = None) -> list[str]:
        return [txid for txid, _ in self.rows[start:stop]]


def _serve(kraken: respx.MockRouter, history: FakeHistory) -> respx.Route:
    return kraken.post("/0/private/ClosedOrders").mock(side_effect=history)


async def test_all_three_pages_in_order(kraken: respx.MockRouter, adapter: KrakenAdapter) -> None:
    history = FakeHistory(120)
    _serve(kraken, history)
    orders = await adapter.get_orders(status="closed", limit=None)
    assert history.offsets == [0, 50, 100]
    assert [o.order_id for o in orders] == history.ids()  # newest first, nothing lost
    assert orders[0].created_at is not None and orders[-1].created_at is not None
    assert orders[0].created_at > orders[-1].created_at


async def test_default_is_one_page_of_the_newest_50(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    history = FakeHistory(120)
    _serve(kraken, history)
    orders = await adapter.get_orders(status="closed")
    assert history.offsets == [0]
    assert [o.order_id for o in orders] == history.ids(0, 50)


async def test_count_ends_paging_without_an_empty_request(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    history = FakeHistory(100)  # exactly two full pages
    _serve(kraken, history)
    orders = await adapter.get_orders(status="closed", limit=None)
    assert history.offsets == [0, 50] and len(orders) == 100


async def test_a_short_page_ends_paging_even_if_count_says_more(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    history = FakeHistory(120, count_override=500)
    _serve(kraken, history)
    orders = await adapter.get_orders(status="closed", limit=None)
    assert history.offsets == [0, 50, 100] and len(orders) == 120


@pytest.mark.parametrize(("limit", "offsets"), [(1, [0]), (60, [0, 50]), (100, [0, 50])])
async def test_stops_at_limit(
    kraken: respx.MockRouter, adapter: KrakenAdapter, limit: int, offsets: list[int]
) -> None:
    history = FakeHistory(200)
    _serve(kraken, history)
    orders = await adapter.get_orders(status="closed", limit=limit)
    assert history.offsets == offsets
    assert [o.order_id for o in orders] == history.ids(0, limit)


async def test_order_closing_between_pages_is_not_duplicated(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    history = FakeHistory(120)
    before = history.ids()
    history.after_first_page = [_order(999)]
    _serve(kraken, history)
    orders = await adapter.get_orders(status="closed", limit=None)
    ids = [o.order_id for o in orders]
    assert len(ids) == len(set(ids)) == 120  # page 2 repeated order #71: kept once
    assert ids == before  # the newcomer closed after the walk began; nothing older lost
    assert history.offsets == [0, 50, 100]


async def test_a_bad_limit_is_a_clear_error(adapter: KrakenAdapter) -> None:
    with pytest.raises(ConfigurationError, match="limit 0: must be at least 1"):
        await adapter.get_orders(status="closed", limit=0)

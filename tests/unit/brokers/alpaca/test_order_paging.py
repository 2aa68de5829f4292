"""get_orders follows Alpaca's 500-a-page limit by submission time, ties included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from src.brokers.alpaca_adapter import AlpacaAdapter
from src.core.errors import BrokerError
from tests.unit.brokers.alpaca.payloads import load

BASE = "https://alpaca.test"
T0 = datetime(2024, 3, 1, 15, 0, tzinfo=UTC)


def _order(n: int, at: datetime) -> dict[str, Any]:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"  # Alpaca's nanoseconds
    base: dict[str, Any] = load("http_order_filled_limit")
    return base | {
        "id": f"o{n}",
        "client_order_id": f"c{n}",
        "status": "new",
        "filled_qty": "0",
        "submitted_at": stamp,
        "created_at": stamp,
    }


class Venue:
    """Answers GET /v2/orders as Alpaca documents it: by submission time, exclusive bounds."""

    def __init__(self, orders: list[dict[str, Any]]) -> None:
        self.orders = orders
        self.queries: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        q = dict(request.url.params)
        self.queries.append(q)
        until = datetime.fromisoformat(q["until"]) if "until" in q else None
        after = datetime.fromisoformat(q["after"]) if "after" in q else None

        def at(o: dict[str, Any]) -> datetime:
            return datetime.fromisoformat(o["submitted_at"])

        chosen = [
            o
            for o in self.orders
            if (until is None or at(o) < until) and (after is None or at(o) > after)
        ]
        chosen.sort(key=at, reverse=q["direction"] == "desc")
        return httpx.Response(200, json=chosen[: min(int(q["limit"]), 500)])


@pytest.fixture
async def adapter() -> AsyncIterator[AlpacaAdapter]:
    async with AlpacaAdapter(api_key="PKKEY", api_secret="SECRET", base_url=BASE) as engine:
        yield engine


@respx.mock
async def test_pages_past_500_without_losing_orders_that_share_a_timestamp(
    adapter: AlpacaAdapter,
) -> None:
    # 1234 orders, four per microsecond, so page boundaries fall inside groups of ties.
    orders = [_order(n, T0 + timedelta(microseconds=n // 4)) for n in range(1234)]
    venue = Venue(orders)
    respx.get(f"{BASE}/v2/orders").mock(side_effect=venue)
    got = await adapter.get_orders("open")
    assert len(got) == 1234
    assert {o.order_id for o in got} == {o["id"] for o in orders}
    stamps = [o.created_at for o in got if o.created_at is not None]
    assert len(stamps) == len(got) and stamps == sorted(stamps, reverse=True)
    assert len(venue.queries) == 3
    assert all(q["limit"] == "500" and q["direction"] == "desc" for q in venue.queries)
    assert "until" not in venue.queries[0] and venue.queries[1]["until"].endswith("Z")


@respx.mock
async def test_after_bounds_the_history(adapter: AlpacaAdapter) -> None:
    orders = [_order(n, T0 + timedelta(seconds=n)) for n in range(10)]
    venue = Venue(orders)
    respx.get(f"{BASE}/v2/orders").mock(side_effect=venue)
    got = await adapter.get_orders("closed", after=T0 + timedelta(seconds=6, microseconds=1))
    assert [o.order_id for o in got] == ["o9", "o8", "o7"]
    assert venue.queries[0]["status"] == "closed"
    assert venue.queries[0]["after"] == "2024-03-01T15:00:06.000001Z"


@respx.mock
async def test_more_ties_than_a_page_cannot_loop_forever(adapter: AlpacaAdapter) -> None:
    orders = [_order(n, T0) for n in range(600)]
    respx.get(f"{BASE}/v2/orders").mock(side_effect=Venue(orders))
    with pytest.raises(BrokerError, match="share the timestamp"):
        await adapter.get_orders("open")

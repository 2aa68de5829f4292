"""A batch keeps every ack whatever befalls one order; replace_order rounds and checks first."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from src.brokers.alpaca_adapter import AlpacaAdapter
from src.core.clock import ManualClock
from src.core.errors import InvalidOrderError
from src.core.execution import Order, OrderStatus, OrderType, Side, TimeInForce
from tests.unit.brokers.alpaca.payloads import load

BASE = "https://alpaca.test"
AAPL = {"symbol": "AAPL", "class": "us_equity", "status": "active", "tradable": True}


@pytest.fixture
async def adapter() -> AsyncIterator[AlpacaAdapter]:
    async with AlpacaAdapter(
        api_key="PKKEY", api_secret="SECRET", base_url=BASE, clock=ManualClock()
    ) as engine:
        yield engine


def _placed(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    order = load("http_order_filled_limit") | {
        "id": f"id-{body['client_order_id']}",
        "client_order_id": body["client_order_id"],
        "status": "new",
        "filled_qty": "0",
    }
    return httpx.Response(200, json=order)


def _mock_assets() -> None:
    respx.get(f"{BASE}/v2/assets/AAPL").mock(
        return_value=httpx.Response(200, json=AAPL | {"fractionable": True})
    )
    respx.get(f"{BASE}/v2/assets/NOPE").mock(
        return_value=httpx.Response(404, json={"code": 40410000, "message": "asset not found"})
    )


def _buy(cloid: str, **kwargs: Any) -> Order:
    return Order(
        symbol=kwargs.pop("symbol", "AAPL"),
        side=Side.BUY,
        quantity=kwargs.pop("quantity", 1),
        client_order_id=cloid,
        **kwargs,
    )


@respx.mock
async def test_one_refusal_keeps_the_acks_before_and_goes_on(adapter: AlpacaAdapter) -> None:
    _mock_assets()
    replies = iter(
        [
            None,  # 1: placed
            httpx.Response(403, json={"code": 40310000, "message": "insufficient buying power"}),
            None,  # 4: placed (3 was refused locally and never sent)
            httpx.Response(429, json={"code": 42910000, "message": "rate limit exceeded"}),
            httpx.Response(401, json={"code": 40110000, "message": "request is not authorized"}),
            None,  # 7: placed
        ]
    )

    def reply(request: httpx.Request) -> httpx.Response:
        return next(replies) or _placed(request)

    post = respx.post(f"{BASE}/v2/orders").mock(side_effect=reply)
    orders = [
        _buy("c1"),
        _buy("c2", quantity=1_000_000),
        _buy("c3", quantity="0.5", time_in_force=TimeInForce.GTC),  # fractional GTC
        _buy("c4"),
        _buy("c5"),
        _buy("c6"),
        _buy("c7"),
        _buy("c8", symbol="NOPE"),
    ]
    acks = await adapter.submit_orders(orders)
    assert [a.client_order_id for a in acks] == [o.client_order_id for o in orders]
    assert [a.status for a in acks] == [
        OrderStatus.OPEN,
        OrderStatus.REJECTED,
        OrderStatus.REJECTED,
        OrderStatus.OPEN,
        OrderStatus.REJECTED,
        OrderStatus.REJECTED,
        OrderStatus.OPEN,
        OrderStatus.REJECTED,
    ]
    assert [a.order_id for a in acks if a.accepted] == ["id-c1", "id-c4", "id-c7"]
    sent = [json.loads(c.request.content)["client_order_id"] for c in post.calls]
    assert sent == ["c1", "c2", "c4", "c5", "c6", "c7"]  # c3 and c8 never left
    messages = {a.client_order_id: a.message or "" for a in acks}
    assert "insufficient buying power" in messages["c2"]
    assert messages["c3"].startswith("refused before sending") and "DAY" in messages["c3"]
    assert "rate limit" in messages["c5"] and acks[4].raw["retryable"] is True
    assert "not authorized" in messages["c6"]
    assert "NOPE" in messages["c8"] and acks[7].raw["refused_locally"] is True


@respx.mock
async def test_a_reply_that_cannot_be_read_is_looked_up_not_called_refused(
    adapter: AlpacaAdapter,
) -> None:
    _mock_assets()
    respx.post(f"{BASE}/v2/orders").mock(return_value=httpx.Response(200, json={"id": "x"}))
    placed = load("http_order_filled_limit") | {"client_order_id": "c1", "status": "new"}
    respx.get(f"{BASE}/v2/orders:by_client_order_id").mock(
        return_value=httpx.Response(200, json=placed)
    )
    [ack] = await adapter.submit_orders([_buy("c1")])
    assert ack.status is OrderStatus.OPEN and ack.order_id == placed["id"]


@respx.mock
async def test_extended_hours_per_order(adapter: AlpacaAdapter) -> None:
    _mock_assets()
    post = respx.post(f"{BASE}/v2/orders").mock(side_effect=_placed)
    limit = _buy("c1", order_type=OrderType.LIMIT, limit_price=150)
    market = _buy("c2")
    acks = await adapter.submit_orders([limit, market], extended_hours={"c1": True})
    assert [a.status for a in acks] == [OrderStatus.OPEN, OrderStatus.OPEN]
    bodies = [json.loads(c.request.content) for c in post.calls]
    assert bodies[0]["extended_hours"] is True and "extended_hours" not in bodies[1]
    [refused] = await adapter.submit_orders([_buy("c3")], extended_hours=True)
    assert refused.status is OrderStatus.REJECTED and "extended_hours" in (refused.message or "")
    assert post.call_count == 2


def _resting(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = load("http_order_filled_limit")
    return (
        base
        | {
            "id": "o1",
            "status": "new",
            "filled_qty": "0",
            "symbol": "AAPL",
            "side": "buy",
            "type": "limit",
            "time_in_force": "day",
            "limit_price": "0.60",
            "qty": "100",
        }
        | fields
    )


@respx.mock
async def test_replace_order_rounds_like_submit(adapter: AlpacaAdapter) -> None:
    _mock_assets()
    respx.get(f"{BASE}/v2/orders/o1").mock(return_value=httpx.Response(200, json=_resting()))
    patch = respx.patch(f"{BASE}/v2/orders/o1").mock(
        return_value=httpx.Response(200, json=_resting(id="o2", limit_price="0.5123"))
    )
    new = await adapter.replace_order("o1", limit_price="0.51239", quantity="2000.5")
    assert json.loads(patch.calls.last.request.content) == {
        "limit_price": "0.5123",
        "qty": "2000.5",
    }
    assert new.order_id == "o2"


@respx.mock
async def test_replace_order_refused_before_the_patch(adapter: AlpacaAdapter) -> None:
    _mock_assets()
    respx.get(f"{BASE}/v2/orders/o1").mock(
        return_value=httpx.Response(200, json=_resting(time_in_force="gtc", limit_price="190"))
    )
    patch = respx.patch(f"{BASE}/v2/orders/o1")
    with pytest.raises(InvalidOrderError, match="fractional equity orders must be DAY"):
        await adapter.replace_order("o1", quantity="0.5")
    assert patch.call_count == 0

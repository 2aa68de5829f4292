"""Alpaca's order rules on both sides of the wire: the simulator refuses as Alpaca does, and the
adapter refuses the same orders itself, so nothing reaches the venue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from src.brokers.alpaca_adapter import AlpacaAdapter
from src.core.errors import InvalidOrderError
from src.core.execution import Order, OrderStatus, OrderType, Side, TimeInForce
from src.venues.alpaca_sim import AlpacaSim


@pytest.fixture
async def raw(sim: AlpacaSim) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client with the simulator's keys: no adapter, no local checks."""
    headers = {"APCA-API-KEY-ID": sim.api_key, "APCA-API-SECRET-KEY": sim.api_secret}
    async with httpx.AsyncClient(base_url=sim.base_url, headers=headers) as client:
        yield client


def _body(**fields: Any) -> dict[str, Any]:
    return {"symbol": "AAPL", "side": "buy", "type": "limit", "time_in_force": "day"} | fields


REFUSED = [
    (_body(symbol="BTC/USD", qty="0.01", limit_price="50000", time_in_force="day"), "crypto"),
    (_body(symbol="BTC/USD", qty="0.01", type="stop", stop_price="50000", time_in_force="gtc"),
     "order type for crypto"),
    (_body(symbol="ETH/USD", qty="0.1", type="trailing_stop", trail_percent="1",
           time_in_force="gtc"), "order type for crypto"),
    (_body(qty="0.5", limit_price="150", time_in_force="gtc"), "DAY"),
    (_body(notional="50", type="market", time_in_force="gtc"), "DAY"),
    (_body(qty="1", limit_price="150.001"), "sub-penny"),
    (_body(qty="1", limit_price="0.51234"), "sub-penny"),
    (_body(qty="1", type="stop", stop_price="180.005"), "sub-penny"),
    (_body(qty="1", type="market", extended_hours=True), "extended hours"),
    (_body(qty="1", limit_price="150", time_in_force="gtc", extended_hours=True),
     "extended hours"),
    (_body(symbol="BTC/USD", qty="0.01", limit_price="50000", time_in_force="gtc",
           extended_hours=True), "extended hours"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "reason"), REFUSED)
async def test_simulator_refuses_with_alpacas_error_shape(
    raw: httpx.AsyncClient, sim: AlpacaSim, body: dict[str, Any], reason: str
) -> None:
    reply = await raw.post("/v2/orders", json=body)
    assert reply.status_code == 422
    error = reply.json()
    assert set(error) == {"code", "message"} and isinstance(error["code"], int)
    assert reason in error["message"]
    assert sim.state.orders == {}


@pytest.mark.parametrize(
    "body",
    [
        _body(qty="1", limit_price="150.01", extended_hours=True),
        _body(qty="1", limit_price="0.5123"),
        _body(symbol="BTC/USD", qty="0.01", limit_price="50000.5", time_in_force="ioc"),
        _body(symbol="BTC/USD", qty="0.01", type="stop_limit", stop_price="70000",
              limit_price="70001", time_in_force="gtc"),
    ],
)  # fmt: skip
async def test_simulator_accepts_what_alpaca_accepts(
    raw: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    reply = await raw.post("/v2/orders", json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["extended_hours"] is bool(body.get("extended_hours"))


async def test_simulator_refuses_a_sub_penny_replacement(
    raw: httpx.AsyncClient, sim: AlpacaSim
) -> None:
    placed = (await raw.post("/v2/orders", json=_body(qty="1", limit_price="150"))).json()
    reply = await raw.patch(f"/v2/orders/{placed['id']}", json={"limit_price": "150.005"})
    assert reply.status_code == 422 and "sub-penny" in reply.json()["message"]
    assert sim.state.orders[placed["id"]].status == "new"  # the order stays as it was


LOCALLY_REFUSED = [
    (Order(symbol="BTC/USD", side=Side.BUY, quantity="0.01"), {"time_in_force": "day"},
     "gtc or ioc"),
    (Order(symbol="BTC/USD", side=Side.SELL, quantity="0.01", order_type=OrderType.STOP_LOSS,
           stop_price=50000), {}, "stop-loss-limit"),
    (Order(symbol="AAPL", side=Side.BUY, quantity="0.5", time_in_force=TimeInForce.GTC), {},
     "DAY"),
    (Order(symbol="AAPL", side=Side.BUY, notional="50", time_in_force=TimeInForce.IOC), {},
     "DAY"),
    (Order(symbol="AAPL", side=Side.BUY, quantity=1), {"extended_hours": True}, "extended_hours"),
]  # fmt: skip


@pytest.mark.parametrize(("order", "options", "reason"), LOCALLY_REFUSED)
async def test_adapter_refuses_the_same_orders_before_sending(
    adapter: AlpacaAdapter,
    sim: AlpacaSim,
    order: Order,
    options: dict[str, Any],
    reason: str,
) -> None:
    [ack] = await adapter.submit_orders([order], **options)
    assert ack.status is OrderStatus.REJECTED and reason in (ack.message or "")
    assert ack.raw["refused_locally"] is True
    assert sim.state.orders == {}  # nothing reached the venue


async def test_extended_hours_limit_day_order_reaches_the_venue(
    adapter: AlpacaAdapter, sim: AlpacaSim
) -> None:
    order = Order(
        symbol="AAPL", side=Side.BUY, quantity=1, order_type=OrderType.LIMIT, limit_price=150
    )
    [ack] = await adapter.submit_orders([order], extended_hours=True)
    assert ack.status is OrderStatus.OPEN and ack.raw["extended_hours"] is True
    assert sim.state.orders[str(ack.order_id)].extended_hours is True


async def test_penny_rounding_on_submit_and_replace_is_accepted_by_the_venue(
    adapter: AlpacaAdapter, sim: AlpacaSim
) -> None:
    order = Order(
        symbol="AAPL", side=Side.BUY, quantity=3, order_type=OrderType.LIMIT, limit_price="150.019"
    )
    [ack] = await adapter.submit_orders([order])
    assert ack.status is OrderStatus.OPEN and ack.raw["limit_price"] == "150.01"
    assert ack.order_id is not None
    new = await adapter.replace_order(ack.order_id, limit_price="149.999")
    assert new.limit_price == Decimal("149.99")
    cheap = await adapter.replace_order(new.order_id, limit_price="0.87654", quantity=2000)
    assert cheap.limit_price == Decimal("0.8765") and cheap.quantity == 2000
    with pytest.raises(InvalidOrderError, match="DAY"):
        await adapter.replace_order(cheap.order_id, quantity="2.5", time_in_force="gtc")
    assert sim.state.orders[cheap.order_id].status == "new"

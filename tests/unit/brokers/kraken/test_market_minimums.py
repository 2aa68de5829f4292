"""Market orders: size and cost minimums checked at the public Ticker before anything is sent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from structlog.testing import capture_logs

from src.brokers.kraken.orders.minimums import TICKER_TTL_SECONDS
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import ManualClock
from src.core.errors import OrderMinimumError
from src.core.execution import Order, OrderStatus, OrderType, Side
from tests.unit.brokers.kraken.kraken_helpers import fail, form, load, ok

# BTC/USD in tests/fixtures/kraken/http_asset_pairs.json: ordermin 0.0001 BTC, costmin 0.5 USD.


def _ticker(ask: str, bid: str, key: str = "XXBTZUSD") -> httpx.Response:
    """A Ticker reply shaped like the real 2025 capture, with the touch moved to ask/bid."""
    row: dict[str, Any] = dict(load("nautilus/http_ticker.json")["result"]["XBTUSDT"])
    row["a"] = [ask, "1", "1.000"]
    row["b"] = [bid, "1", "1.000"]
    return ok({key: row})


def _market(side: Side, quantity: str | None = None, notional: str | None = None) -> Order:
    return Order(
        symbol="BTC/USD",
        side=side,
        quantity=quantity,
        notional=notional,
        order_type=OrderType.MARKET,
    )


@pytest.fixture
def add_route(kraken: respx.MockRouter) -> respx.Route:
    return kraken.post("/0/private/AddOrder").mock(
        return_value=httpx.Response(200, json=load("http_add_order.json"))
    )


@pytest.fixture
def ticker_route(kraken: respx.MockRouter) -> respx.Route:
    # Ask 2000 / bid 1000: 0.0004 BTC costs 0.8 USD to buy but fetches 0.4 USD on a sell.
    return kraken.get("/0/public/Ticker").mock(return_value=_ticker("2000.0", "1000.0"))


async def test_market_sell_below_costmin_at_the_bid_sends_nothing(
    adapter: KrakenAdapter, add_route: respx.Route, ticker_route: respx.Route
) -> None:
    with pytest.raises(OrderMinimumError) as info:
        await adapter.submit_orders([_market(Side.SELL, quantity="0.0004")])
    message = str(info.value)
    assert "minimum cost 0.5 USD" in message
    assert "estimated" in message and "ticker bid 1000.0" in message
    assert not add_route.called
    assert ticker_route.call_count == 1
    assert ticker_route.calls.last.request.url.params["pair"] == "XBTUSD"


async def test_market_buy_above_costmin_at_the_ask_is_sent(
    adapter: KrakenAdapter, add_route: respx.Route, ticker_route: respx.Route
) -> None:
    [ack] = await adapter.submit_orders([_market(Side.BUY, quantity="0.0004")])
    assert ack.status is OrderStatus.OPEN and ack.order_id == "OUF4EM-FRGI2-MQMWZD"
    sent = form(add_route.calls.last.request)
    assert (sent["ordertype"], sent["type"], sent["volume"]) == ("market", "buy", "0.00040000")
    assert "price" not in sent


async def test_market_under_ordermin_is_refused_before_the_ticker(
    adapter: KrakenAdapter, add_route: respx.Route, ticker_route: respx.Route
) -> None:
    with pytest.raises(OrderMinimumError, match=r"minimum order size 0\.0001 BTC"):
        await adapter.submit_orders([_market(Side.BUY, quantity="0.00009")])
    assert not add_route.called and not ticker_route.called


async def test_one_ticker_call_per_pair_and_one_small_order_stops_the_batch(
    adapter: KrakenAdapter, add_route: respx.Route, ticker_route: respx.Route
) -> None:
    big = _market(Side.BUY, quantity="0.01")
    small = _market(Side.SELL, quantity="0.0004")  # 0.4 USD at the bid
    with pytest.raises(OrderMinimumError):
        await adapter.submit_orders([big, big.model_copy(update={"client_order_id": "b2"}), small])
    assert ticker_route.call_count == 1
    assert not add_route.called  # the valid orders before it were not sent either


async def test_limit_orders_do_not_read_the_ticker(
    adapter: KrakenAdapter, add_route: respx.Route, ticker_route: respx.Route
) -> None:
    order = Order(
        symbol="BTC/USD",
        side=Side.BUY,
        quantity="0.0004",
        order_type=OrderType.LIMIT,
        limit_price="2000",
    )
    await adapter.submit_orders([order])
    assert add_route.called and not ticker_route.called


async def test_notional_buy_below_costmin_needs_no_ticker(
    adapter: KrakenAdapter, add_route: respx.Route, ticker_route: respx.Route
) -> None:
    with pytest.raises(OrderMinimumError, match=r"notional 0\.4 USD is below the minimum cost"):
        await adapter.submit_orders([_market(Side.BUY, notional="0.4")])
    assert not add_route.called and not ticker_route.called


@pytest.mark.parametrize(("notional", "sent"), [("5", False), ("9.99", False), ("10", True)])
async def test_notional_buy_size_checked_against_ordermin_at_the_ask(
    adapter: KrakenAdapter,
    kraken: respx.MockRouter,
    add_route: respx.Route,
    notional: str,
    sent: bool,
) -> None:
    # At ask 100000 the 0.0001 BTC minimum costs 10 USD; the bid must not be used for a buy.
    kraken.get("/0/public/Ticker").mock(return_value=_ticker("100000.0", "1.0"))
    order = _market(Side.BUY, notional=notional)
    if sent:
        await adapter.submit_orders([order])
        assert form(add_route.calls.last.request)["oflags"] == "viqc"
        return
    with pytest.raises(OrderMinimumError) as info:
        await adapter.submit_orders([order])
    assert "minimum order size 0.0001 BTC" in str(info.value)
    assert "ticker ask 100000.0" in str(info.value) and "estimated" in str(info.value)
    assert not add_route.called


@pytest.mark.parametrize(
    "reply",
    [
        httpx.ConnectError("connection refused"),
        fail("EService:Unavailable"),
        httpx.Response(502, text="<html>bad gateway</html>"),
        ok({"XXBTZUSD": {"c": ["1000.0", "1"]}}),  # no ask or bid in the row
    ],
    ids=["network", "service-unavailable", "http-502", "no-touch"],
)
async def test_ticker_failure_still_sends_and_logs(
    adapter: KrakenAdapter, kraken: respx.MockRouter, add_route: respx.Route, reply: Any
) -> None:
    route = kraken.get("/0/public/Ticker")
    if isinstance(reply, Exception):
        route.mock(side_effect=reply)
    else:
        route.mock(return_value=reply)
    with capture_logs() as logs:
        [ack] = await adapter.submit_orders([_market(Side.SELL, quantity="0.0004")])
    assert ack.status is OrderStatus.OPEN and add_route.call_count == 1
    [event] = [e for e in logs if e["event"] == "kraken.market_minimum_unchecked"]
    assert event["pair"] == "XBTUSD" and "costmin" in event["reason"]


async def test_without_ticker_krakens_cost_minimum_decides(
    adapter: KrakenAdapter, kraken: respx.MockRouter
) -> None:
    kraken.get("/0/public/Ticker").mock(side_effect=httpx.ConnectError("down"))
    add = kraken.post("/0/private/AddOrder").mock(return_value=fail("EOrder:Cost minimum not met"))
    with pytest.raises(OrderMinimumError) as info:
        await adapter.submit_orders([_market(Side.SELL, quantity="0.0004")])
    assert add.call_count == 1  # sent once, refused by Kraken, not re-sent
    assert info.value.raw == "EOrder:Cost minimum not met"


async def test_ticker_read_is_reused_briefly_then_refreshed(
    adapter: KrakenAdapter,
    add_route: respx.Route,
    ticker_route: respx.Route,
    clock: ManualClock,
) -> None:
    await adapter.submit_orders([_market(Side.BUY, quantity="0.0004")])
    await adapter.submit_orders([_market(Side.BUY, quantity="0.0004")])
    assert ticker_route.call_count == 1  # no round trip before every market order
    clock.advance(TICKER_TTL_SECONDS)
    ticker_route.mock(return_value=_ticker("1000.0", "900.0"))  # price fell: 0.4 USD < 0.5
    with pytest.raises(OrderMinimumError, match=r"ticker ask 1000\.0"):
        await adapter.submit_orders([_market(Side.BUY, quantity="0.0004")])
    assert ticker_route.call_count == 2
    assert add_route.call_count == 2

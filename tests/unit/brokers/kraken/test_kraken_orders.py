"""Order placement: rounding, minimums, plain decimals, cl_ord_id, rejections, batch, changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import respx

from src.brokers.kraken_adapter import KrakenAdapter
from src.core import errors as core
from src.core.execution import Order, OrderStatus, OrderType, Side, TimeInForce
from tests.unit.brokers.kraken.kraken_helpers import fail, form, load, ok


def _limit(symbol: str, side: Side, qty: object, price: object, **kw: object) -> Order:
    return Order(
        symbol=symbol,
        side=side,
        quantity=qty,
        order_type=OrderType.LIMIT,
        limit_price=price,
        **kw,
    )


@pytest.fixture
def add_route(kraken: respx.MockRouter) -> respx.Route:
    return kraken.post("/0/private/AddOrder").mock(
        return_value=httpx.Response(200, json=load("http_add_order.json"))
    )


async def test_guide_limit_order_is_sent_as_kraken_expects(
    adapter: KrakenAdapter, add_route: respx.Route
) -> None:
    order = _limit("BTC/USD", Side.BUY, 0.001, 40000.0)
    [ack] = await adapter.submit_orders([order])
    sent = form(add_route.calls.last.request)
    assert sent == {
        "nonce": sent["nonce"],
        "pair": "XBTUSD",
        "type": "buy",
        "ordertype": "limit",
        "volume": "0.00100000",
        "price": "40000.0",
        "cl_ord_id": order.client_order_id,
    }
    assert (ack.order_id, ack.status, ack.symbol) == (
        "OUF4EM-FRGI2-MQMWZD",
        OrderStatus.OPEN,
        "BTC/USD",
    )
    assert ack.client_order_id == order.client_order_id


@pytest.mark.parametrize(
    ("side", "price", "expected"),
    [(Side.BUY, "2500.019", "2500.01"), (Side.SELL, "2500.011", "2500.02")],
)
async def test_price_rounded_to_tick_never_aggressively(
    adapter: KrakenAdapter, add_route: respx.Route, side: Side, price: str, expected: str
) -> None:
    await adapter.submit_orders([_limit("ETH/USD", side, "0.123456789", price)])
    sent = form(add_route.calls.last.request)
    assert sent["price"] == expected
    assert sent["volume"] == "0.12345678"  # down to the lot, never up


async def test_tiny_prices_are_plain_decimal_strings(
    adapter: KrakenAdapter, add_route: respx.Route
) -> None:
    await adapter.submit_orders([_limit("DOGE/USD", Side.BUY, 100000, Decimal("1E-5"))])
    sent = form(add_route.calls.last.request)
    assert sent["price"] == "0.0000100"
    assert "E" not in sent["volume"] and sent["volume"] == "100000.00000000"


async def test_stop_orders_send_trigger_and_limit(
    adapter: KrakenAdapter, add_route: respx.Route
) -> None:
    order = Order(
        symbol="XBTUSD",
        side=Side.SELL,
        quantity="0.25",
        order_type=OrderType.STOP_LOSS_LIMIT,
        stop_price="27500.04",
        limit_price="27400.01",
        time_in_force=TimeInForce.GTD,
        expire_at=datetime(2030, 1, 1, tzinfo=UTC),
        reduce_only=True,
    )
    await adapter.submit_orders([order])
    sent = form(add_route.calls.last.request)
    assert (sent["price"], sent["price2"]) == ("27500.0", "27400.1")
    assert (sent["timeinforce"], sent["expiretm"]) == ("GTD", "1893456000")
    assert sent["reduce_only"] == "true"


async def test_post_only_and_market_notional(
    adapter: KrakenAdapter, add_route: respx.Route, kraken: respx.MockRouter
) -> None:
    # A market order's minimums are checked at the ticker (see test_market_minimums.py).
    ticker = load("nautilus/http_ticker.json")["result"]["XBTUSDT"]
    kraken.get("/0/public/Ticker").mock(return_value=ok({"XXBTZUSD": ticker}))
    await adapter.submit_orders([_limit("SOL/USD", Side.BUY, 1, 150, post_only=True)])
    assert form(add_route.calls.last.request)["oflags"] == "post"
    buy = Order(symbol="BTC/USD", side=Side.BUY, notional="25", order_type=OrderType.MARKET)
    await adapter.submit_orders([buy])
    sent = form(add_route.calls.last.request)
    assert (sent["oflags"], sent["volume"], sent["ordertype"]) == ("viqc", "25.00000000", "market")


async def test_trailing_stop_sends_offset(adapter: KrakenAdapter, add_route: respx.Route) -> None:
    for percent, expected in ((False, "+50.0"), (True, "+2.5%")):
        order = Order(
            symbol="BTC/USD",
            side=Side.SELL,
            quantity="0.01",
            order_type=OrderType.TRAILING_STOP,
            trail_offset="50.04" if not percent else "2.5",
            trail_percent=percent,
        )
        await adapter.submit_orders([order])
        sent = form(add_route.calls.last.request)
        assert (sent["ordertype"], sent["price"]) == ("trailing-stop", expected)


@pytest.mark.parametrize(
    ("order", "minimum"),
    [
        (_limit("BTC/USD", Side.BUY, "0.00005", 40000), "0.0001 BTC"),
        (_limit("XRP/USD", Side.BUY, 12, "0.04"), "0.5 USD"),
        (_limit("BTC/USD", Side.BUY, "0.000000001", 40000), "0.0001 BTC"),
        (
            Order(
                symbol="XRP/USD",
                side=Side.SELL,
                quantity=12,
                order_type=OrderType.STOP_LOSS,
                stop_price="0.04",
            ),
            "0.5 USD",
        ),
    ],
)
async def test_orders_under_minimums_are_refused_before_sending(
    adapter: KrakenAdapter, add_route: respx.Route, order: Order, minimum: str
) -> None:
    with pytest.raises(core.OrderMinimumError, match=minimum):
        await adapter.submit_orders([_limit("ETH/USD", Side.BUY, 1, 2000), order])
    assert add_route.call_count == 0  # the valid first order was not sent either


async def test_unknown_symbol_and_bad_client_id_refused_locally(
    adapter: KrakenAdapter, add_route: respx.Route
) -> None:
    with pytest.raises(core.UnknownSymbolError, match="BTC/USD"):
        await adapter.submit_orders([_limit("BTC/USDD", Side.BUY, 1, 1)])
    with pytest.raises(core.InvalidOrderError, match="client_order_id"):
        await adapter.submit_orders([_limit("BTC/USD", Side.BUY, 1, 1, client_order_id="x" * 40)])
    assert add_route.call_count == 0


async def test_rejection_raises_mapped_error_with_all_acks(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    kraken.post("/0/private/AddOrder").mock(
        side_effect=[
            fail("EOrder:Insufficient funds"),
            httpx.Response(200, json=load("http_add_order.json")),
        ]
    )
    orders = [_limit("BTC/USD", Side.BUY, 1, 40000), _limit("BTC/USD", Side.BUY, "0.001", 40000)]
    with pytest.raises(core.InsufficientFundsError) as info:
        await adapter.submit_orders(orders)
    acks = info.value.acks  # type: ignore[attr-defined]
    assert [a.status for a in acks] == [OrderStatus.REJECTED, OrderStatus.OPEN]
    assert acks[1].order_id == "OUF4EM-FRGI2-MQMWZD"
    assert "Insufficient funds" in (acks[0].message or "")


async def test_raise_on_reject_false_returns_acks(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    kraken.post("/0/private/AddOrder").mock(return_value=fail("EOrder:Post only order"))
    [ack] = await adapter.submit_orders(
        [_limit("BTC/USD", Side.BUY, "0.01", 40000, post_only=True)], raise_on_reject=False
    )
    assert ack.status is OrderStatus.REJECTED and not ack.accepted


async def test_add_order_batch_is_json_and_maps_per_order_errors(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    route = kraken.post("/0/private/AddOrderBatch").mock(
        return_value=httpx.Response(200, json=load("http_add_order_batch.json"))
    )
    orders = [_limit("BTC/USD", Side.BUY, "0.001", 40000), _limit("XBTUSD", Side.BUY, 5, 40000)]
    acks = await adapter.add_order_batch(orders, raise_on_reject=False)
    body = json.loads(route.calls.last.request.content)
    assert body["pair"] == "XBTUSD"
    assert [o["cl_ord_id"] for o in body["orders"]] == [o.client_order_id for o in orders]
    assert body["orders"][0]["price"] == "40000.0"
    assert [a.status for a in acks] == [OrderStatus.OPEN, OrderStatus.REJECTED]
    with pytest.raises(core.InsufficientFundsError):
        await adapter.add_order_batch(orders)
    with pytest.raises(core.InvalidOrderError, match="one pair"):
        await adapter.add_order_batch([orders[0], _limit("ETH/USD", Side.BUY, 1, 2000)])


async def test_cancel_order_cancel_all_amend_edit(
    kraken: respx.MockRouter, adapter: KrakenAdapter, add_route: respx.Route
) -> None:
    cancel = kraken.post("/0/private/CancelOrder").mock(return_value=ok({"count": 1}))
    result = await adapter.cancel_order(order_id="O7MN22-ZCX7J-TGLQHD")
    assert result == {"count": 1}
    assert form(cancel.calls.last.request)["txid"] == "O7MN22-ZCX7J-TGLQHD"
    await adapter.cancel_order(client_order_id="my-order-1")
    assert form(cancel.calls.last.request)["cl_ord_id"] == "my-order-1"
    kraken.post("/0/private/CancelOrder").mock(return_value=fail("EOrder:Unknown order"))
    with pytest.raises(core.UnknownOrderError):
        await adapter.cancel_order(order_id="OXXXXX-XXXXX-XXXXXX")

    kraken.post("/0/private/CancelAll").mock(
        return_value=httpx.Response(200, json=load("http_cancel_all.json"))
    )
    assert await adapter.cancel_all() == 4

    [ack] = await adapter.submit_orders([_limit("BTC/USD", Side.BUY, "0.001", 40000)])
    amend = kraken.post("/0/private/AmendOrder").mock(
        return_value=httpx.Response(200, json=load("http_amend_order.json"))
    )
    out = await adapter.amend_order(ack.order_id, quantity="0.00234567891", limit_price="39999.99")
    assert out["amend_id"] == "TEZA4R-VAN4S-NVW6LF"
    sent = form(amend.calls.last.request)
    assert (sent["txid"], sent["order_qty"], sent["limit_price"]) == (
        "OUF4EM-FRGI2-MQMWZD",
        "0.00234567",
        "39999.9",  # buy: rounded down
    )
    edit = kraken.post("/0/private/EditOrder").mock(
        return_value=httpx.Response(200, json=load("http_edit_order.json"))
    )
    out = await adapter.edit_order(ack.order_id or "", "BTC/USD", limit_price="19500.04")
    assert out["txid"] == "OFVXHJ-KPQ3B-VS7ELA"
    sent = form(edit.calls.last.request)
    assert (sent["pair"], sent["price"]) == ("XBTUSD", "19500.0")

"""An AddOrder whose reply is lost is never re-sent: its cl_ord_id is looked up instead."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import respx

from src.brokers.kraken_adapter import KrakenAdapter
from src.core import errors as core
from src.core.execution import Order, OrderAck, OrderStatus, OrderType, Side
from tests.unit.brokers.kraken.kraken_helpers import fail, form, load, ok


def _order() -> Order:
    return Order(
        symbol="BTC/USD",
        side=Side.BUY,
        quantity="0.001",
        order_type=OrderType.LIMIT,
        limit_price="40000",
    )


def _open_with(cloid: str) -> dict[str, object]:
    raw = load("http_open_orders.json")["result"]["open"]["OQCLML-BW3P3-BUCMWZ"]
    return {"open": {"OQCLML-BW3P3-BUCMWZ": {**raw, "cl_ord_id": cloid}}}


def _closed_with(cloid: str) -> dict[str, object]:
    closed = load("http_closed_orders.json")["result"]
    raw = closed["closed"]["O6YDQ5-LOMWU-37YKEE"]
    return {"closed": {"O6YDQ5-LOMWU-37YKEE": {**raw, "cl_ord_id": cloid}}, "count": 1}


LOST_REPLIES: list[Callable[[], httpx.Response | Exception]] = [
    lambda: httpx.ReadTimeout("timed out"),
    lambda: httpx.RemoteProtocolError("peer closed connection"),
    lambda: httpx.Response(502, text="<html>Bad gateway</html>"),
    lambda: fail("EService:Unavailable"),
    lambda: fail("EService:Busy"),
    lambda: httpx.Response(200, text="<html>not json</html>"),
]


@pytest.mark.parametrize("lost", LOST_REPLIES)
async def test_lost_reply_then_found_open_is_placed(
    kraken: respx.MockRouter, adapter: KrakenAdapter, lost: Callable[[], httpx.Response | Exception]
) -> None:
    order = _order()
    add = kraken.post("/0/private/AddOrder").mock(side_effect=[lost()])
    lookup = kraken.post("/0/private/OpenOrders").mock(
        return_value=ok(_open_with(order.client_order_id))
    )
    [ack] = await adapter.submit_orders([order])
    assert add.call_count == 1  # never re-sent
    assert form(lookup.calls.last.request)["cl_ord_id"] == order.client_order_id
    assert (ack.status, ack.order_id) == (OrderStatus.PARTIALLY_FILLED, "OQCLML-BW3P3-BUCMWZ")
    assert ack.accepted


async def test_lost_reply_then_found_closed_is_filled(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    order = _order()
    add = kraken.post("/0/private/AddOrder").mock(side_effect=httpx.ReadTimeout("timed out"))
    kraken.post("/0/private/OpenOrders").mock(return_value=ok({"open": {}}))
    kraken.post("/0/private/ClosedOrders").mock(
        return_value=ok(_closed_with(order.client_order_id))
    )
    [ack] = await adapter.submit_orders([order])
    assert add.call_count == 1
    assert (ack.status, ack.order_id) == (OrderStatus.FILLED, "O6YDQ5-LOMWU-37YKEE")


async def test_lost_reply_then_not_found_stays_unknown_never_rejected(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    # Kraken lists a new order with a lag: a miss right after sending proves nothing, and
    # calling it rejected would let a caller send it again (a double order).
    order = _order()
    add = kraken.post("/0/private/AddOrder").mock(side_effect=httpx.ConnectError("refused"))
    opened = kraken.post("/0/private/OpenOrders").mock(return_value=ok({"open": {}}))
    closed = kraken.post("/0/private/ClosedOrders").mock(
        return_value=ok({"closed": {}, "count": 0})
    )
    with pytest.raises(core.OrderOutcomeUnknownError, match="Do not re-send") as info:
        await adapter.submit_orders([order])
    assert add.call_count == 1
    assert opened.call_count == closed.call_count == 3  # looked up three times, with backoff
    [ack] = info.value.acks  # type: ignore[attr-defined]
    assert ack.status is OrderStatus.UNKNOWN and ack.order_id is None
    assert info.value.outcome_known is False


async def test_lost_reply_found_on_a_later_lookup_is_placed(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    order = _order()
    kraken.post("/0/private/AddOrder").mock(side_effect=httpx.ReadTimeout("timed out"))
    kraken.post("/0/private/OpenOrders").mock(
        side_effect=[ok({"open": {}}), ok(_open_with(order.client_order_id))]
    )
    kraken.post("/0/private/ClosedOrders").mock(return_value=ok({"closed": {}, "count": 0}))
    [ack] = await adapter.submit_orders([order])
    assert (ack.status, ack.order_id) == (OrderStatus.PARTIALLY_FILLED, "OQCLML-BW3P3-BUCMWZ")
    assert adapter.open_orders.by_client_id(order.client_order_id) is not None


async def test_lost_reply_and_failed_lookup_is_unknown(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    order = _order()
    add = kraken.post("/0/private/AddOrder").mock(side_effect=httpx.ReadTimeout("timed out"))
    lookup = kraken.post("/0/private/OpenOrders").mock(
        return_value=httpx.Response(503, text="down")
    )
    with pytest.raises(core.OrderOutcomeUnknownError) as info:
        await adapter.submit_orders([order])
    assert add.call_count == 1
    # three lookups, each a read retried three times; the order itself is never re-sent
    assert lookup.call_count == 9
    assert info.value.client_order_id == order.client_order_id
    assert info.value.outcome_known is False
    [ack] = info.value.acks  # type: ignore[attr-defined]
    assert ack.status is OrderStatus.UNKNOWN
    acks = await _unknown_without_raise(kraken, adapter)
    assert acks[0].status is OrderStatus.UNKNOWN


async def _unknown_without_raise(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> list[OrderAck]:
    kraken.post("/0/private/AddOrder").mock(side_effect=httpx.ReadTimeout("timed out"))
    return list(await adapter.submit_orders([_order()], raise_on_reject=False))


async def test_invalid_nonce_on_add_order_is_not_retried(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    add = kraken.post("/0/private/AddOrder").mock(return_value=fail("EAPI:Invalid nonce"))
    with pytest.raises(core.InvalidNonceError):
        await adapter.submit_orders([_order()])
    assert add.call_count == 1


async def test_lost_batch_reply_resolves_each_order(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    first, second = _order(), _order()
    batch = kraken.post("/0/private/AddOrderBatch").mock(side_effect=httpx.ReadTimeout("timed out"))

    def lookup(request: httpx.Request) -> httpx.Response:
        found = form(request).get("cl_ord_id") == first.client_order_id
        return ok(_open_with(first.client_order_id) if found else {"open": {}})

    kraken.post("/0/private/OpenOrders").mock(side_effect=lookup)
    kraken.post("/0/private/ClosedOrders").mock(return_value=ok({"closed": {}, "count": 0}))
    acks = await adapter.add_order_batch([first, second], raise_on_reject=False)
    assert batch.call_count == 1
    assert [a.status for a in acks] == [OrderStatus.PARTIALLY_FILLED, OrderStatus.UNKNOWN]


async def test_cancel_with_lost_reply_is_not_resent(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    cancel = kraken.post("/0/private/CancelOrder").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(core.NetworkError) as info:
        await adapter.cancel_order(order_id="OQCLML-BW3P3-BUCMWZ")
    assert info.value.outcome_known is False
    assert cancel.call_count == 1

"""Exact HTTP requests the adapter sends, and how it handles faults (respx, no sockets)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from src.brokers.kraken_futures import KrakenFuturesAdapter, KrakenFuturesSettings
from src.brokers.kraken_futures.limits.budgets import NullFuturesGate
from src.core.clock import ManualClock
from src.core.errors import MalformedResponseError, RestRateLimitError
from src.core.execution import Order, OrderStatus, OrderType, Side
from src.core.order_outcome import LostReplyPolicy
from src.utils.retry import RetryPolicy
from tests.unit.brokers.kraken_futures.conftest import FIXTURES

BASE = "https://demo-futures.kraken.com"
SECRET = base64.b64encode(b"unit test secret of the futures adapter").decode()
V3 = f"{BASE}/derivatives/api/v3"


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def _authent(path: str, nonce: str, data: str) -> str:
    digest = hashlib.sha256((data + nonce + path).encode()).digest()
    mac = hmac.new(base64.b64decode(SECRET), digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


def _adapter(mock: respx.MockRouter) -> KrakenFuturesAdapter:
    clock = ManualClock()
    return KrakenFuturesAdapter(
        "public-key", SECRET, settings=KrakenFuturesSettings(environment="demo"),
        gate=NullFuturesGate(), clock=clock,
        retry=RetryPolicy(max_attempts=3, base_delay=0.0, jitter=0.0),
        lost_reply=LostReplyPolicy(lookups=2, first_delay=0.0),
        client=httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(mock.handler)),
    )  # fmt: skip


def _instruments(mock: respx.MockRouter) -> None:
    mock.get(f"{V3}/instruments").respond(json=_fixture("http_instruments"))


@pytest.fixture
def mock() -> respx.MockRouter:
    return respx.MockRouter(assert_all_called=False, base_url=BASE)


async def test_sendorder_is_a_signed_form_post(mock: respx.MockRouter) -> None:
    _instruments(mock)
    route = mock.post(f"{V3}/sendorder").respond(json=_fixture("http_sendorder_placed"))
    adapter = _adapter(mock)
    order = Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="0.5", order_type=OrderType.LIMIT,
                  limit_price="50000", client_order_id="my-1", reduce_only=True)  # fmt: skip
    [ack] = await adapter.submit_orders([order])
    assert ack.status is OrderStatus.OPEN
    request = route.calls.last.request
    body = request.content.decode()
    assert body == (
        "orderType=lmt&symbol=PF_XBTUSD&side=buy&size=0.5000&cliOrdId=my-1"
        "&limitPrice=50000&reduceOnly=true"
    )
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["APIKey"] == "public-key"
    nonce = request.headers["Nonce"]
    assert nonce.isdigit()
    assert request.headers["Authent"] == _authent("/api/v3/sendorder", nonce, body)
    assert request.url.query == b""


async def test_private_get_signs_its_query_and_put_sends_params_in_the_query(
    mock: respx.MockRouter,
) -> None:
    _instruments(mock)
    fills = mock.get(f"{V3}/fills").respond(json=_fixture("http_fills"))
    mock.get(f"{V3}/feeschedules").respond(json=_fixture("http_feeschedules"))
    mock.get(f"{V3}/feeschedules/volumes").respond(json=_fixture("http_feeschedules_volumes"))
    put = mock.put(f"{V3}/leveragepreferences").respond(json={"result": "success"})
    adapter = _adapter(mock)
    await adapter.get_fills()
    request = fills.calls.last.request
    assert request.headers["Authent"] == _authent("/api/v3/fills", request.headers["Nonce"], "")
    await adapter.set_leverage("PI_XBTUSD", Decimal(5))
    sent = put.calls.last.request
    query = sent.url.query.decode()
    assert urllib.parse.parse_qs(query) == {"symbol": ["PI_XBTUSD"], "maxLeverage": ["5"]}
    assert sent.headers["Authent"] == _authent(
        "/api/v3/leveragepreferences", sent.headers["Nonce"], query
    )


async def test_batchorder_body_is_url_encoded_json(mock: respx.MockRouter) -> None:
    _instruments(mock)
    reply = {"result": "success", "batchStatus": [
        {"status": "placed", "order_tag": "0", "order_id": "a"},
        {"status": "insufficientAvailableFunds", "order_tag": "1"},
    ]}  # fmt: skip
    route = mock.post(f"{V3}/batchorder").respond(json=reply)
    adapter = _adapter(mock)
    orders = [
        Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="1", order_type=OrderType.LIMIT,
              limit_price="1000", client_order_id=f"c{i}")
        for i in range(2)
    ]  # fmt: skip
    acks = await adapter.submit_orders(orders)
    assert [a.status for a in acks] == [OrderStatus.OPEN, OrderStatus.REJECTED]
    body = route.calls.last.request.content.decode()
    assert body.startswith("json=%7B%22batchOrder%22")
    decoded = json.loads(urllib.parse.parse_qs(body)["json"][0])
    assert decoded["batchOrder"][0] == {
        "order": "send", "order_tag": "0", "orderType": "lmt", "symbol": "PF_XBTUSD",
        "side": "buy", "size": 1, "cliOrdId": "c0", "limitPrice": 1000,
    }  # fmt: skip


async def test_a_timed_out_sendorder_is_never_resent_but_looked_up(mock: respx.MockRouter) -> None:
    _instruments(mock)
    send = mock.post(f"{V3}/sendorder").mock(side_effect=httpx.ReadTimeout("lost"))
    found = {"result": "success", "orders": [{
        "order": {"type": "ORDER", "orderId": "o-1", "cliOrdId": "lost-1", "symbol": "PF_XBTUSD",
                  "side": "buy", "quantity": 1, "filled": 0, "limitPrice": 1000,
                  "timestamp": "2024-01-01T00:00:00.000Z",
                  "lastUpdateTimestamp": "2024-01-01T00:00:00.000Z"},
        "status": "ENTERED_BOOK"}]}  # fmt: skip
    status = mock.post(f"{V3}/orders/status").mock(
        side_effect=[
            httpx.Response(200, json={"result": "success", "orders": []}),
            httpx.Response(200, json=found),
        ]
    )
    mock.get(f"{V3}/fills").respond(json={"result": "success", "fills": []})
    mock.get(f"{V3}/feeschedules").respond(json=_fixture("http_feeschedules"))
    mock.get(f"{V3}/feeschedules/volumes").respond(json=_fixture("http_feeschedules_volumes"))
    adapter = _adapter(mock)
    order = Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="1", order_type=OrderType.LIMIT,
                  limit_price="1000", client_order_id="lost-1")  # fmt: skip
    [ack] = await adapter.submit_orders([order])
    assert send.call_count == 1
    assert ack.status is OrderStatus.OPEN and ack.order_id == "o-1"
    assert "cliOrdIds=lost-1" in status.calls.last.request.content.decode()


async def test_an_unresolved_lost_reply_is_unknown_not_rejected(mock: respx.MockRouter) -> None:
    _instruments(mock)
    send = mock.post(f"{V3}/sendorder").respond(status_code=502)
    mock.post(f"{V3}/orders/status").respond(json={"result": "success", "orders": []})
    mock.get(f"{V3}/fills").respond(json={"result": "success", "fills": []})
    mock.get(f"{V3}/feeschedules").respond(json=_fixture("http_feeschedules"))
    mock.get(f"{V3}/feeschedules/volumes").respond(json=_fixture("http_feeschedules_volumes"))
    adapter = _adapter(mock)
    [ack] = await adapter.submit_orders([Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="1")])
    assert send.call_count == 1
    assert ack.status is OrderStatus.UNKNOWN and "Do not re-send" in (ack.message or "")


async def test_reads_are_retried_on_5xx_and_rate_limits_then_give_up(
    mock: respx.MockRouter,
) -> None:
    route = mock.get(f"{V3}/accounts").mock(side_effect=[
        httpx.Response(503),
        httpx.Response(200, json={"result": "error", "error": "apiLimitExceeded"}),
        httpx.Response(200, json=_fixture("http_accounts")),
    ])  # fmt: skip
    adapter = _adapter(mock)
    balances = await adapter.get_account()
    assert balances["USD"] == Decimal("5000.0") and route.call_count == 3
    mock.get(f"{V3}/openpositions").respond(200, content=b'{"result": "succ')
    with pytest.raises(MalformedResponseError) as caught:
        await adapter.get_positions()
    assert caught.value.retryable
    mock.get(f"{V3}/openorders").respond(json={"result": "error", "error": "apiLimitExceeded"})
    with pytest.raises(RestRateLimitError):
        await adapter.get_orders()


async def test_nonce_error_on_a_read_is_retried_with_a_fresh_nonce(mock: respx.MockRouter) -> None:
    route = mock.get(f"{V3}/openorders").mock(side_effect=[
        httpx.Response(200, json={"result": "error", "error": "nonceBelowThreshold"}),
        httpx.Response(200, json=_fixture("http_openorders")),
    ])  # fmt: skip
    adapter = _adapter(mock)
    assert len(await adapter.get_orders()) == len(_fixture("http_openorders")["openOrders"])
    nonces = [int(c.request.headers["Nonce"]) for c in route.calls]
    assert nonces[1] > nonces[0]


async def test_cancel_not_found_and_dead_man_reply(mock: respx.MockRouter) -> None:
    mock.post(f"{V3}/cancelorder").respond(
        json={"result": "success", "cancelStatus": {"status": "notFound"}}
    )
    mock.post(f"{V3}/cancelallordersafter").respond(json=_fixture("http_cancelallordersafter"))
    adapter = _adapter(mock)
    from src.core.errors import UnknownOrderError

    with pytest.raises(UnknownOrderError):
        await adapter.cancel_order("nope")
    fires = await adapter.cancel_all_orders_after(60)
    assert fires is not None and fires.isoformat() == "2018-06-19T16:52:23.839000+00:00"


async def test_a_success_reply_without_send_status_is_resolved_not_trusted(
    mock: respx.MockRouter,
) -> None:
    _instruments(mock)
    send = mock.post(f"{V3}/sendorder").respond(json={"result": "success"})
    mock.post(f"{V3}/orders/status").respond(json={"result": "success", "orders": []})
    mock.get(f"{V3}/fills").respond(json={"result": "success", "fills": []})
    mock.get(f"{V3}/feeschedules").respond(json=_fixture("http_feeschedules"))
    mock.get(f"{V3}/feeschedules/volumes").respond(json=_fixture("http_feeschedules_volumes"))
    adapter = _adapter(mock)
    [ack] = await adapter.submit_orders([Order(symbol="PF_XBTUSD", side=Side.BUY, quantity="1")])
    assert send.call_count == 1 and ack.status is OrderStatus.UNKNOWN

"""HTTP error mapping and retry policy, with exact replies shaped by respx."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from src.brokers.alpaca_adapter import AlpacaAdapter
from src.core.clock import ManualClock
from src.core.errors import (
    AuthenticationError,
    InsufficientFundsError,
    InvalidOrderError,
    PermissionDeniedError,
    RestRateLimitError,
    ServiceUnavailableError,
    UnknownOrderError,
)
from src.core.execution import Order, OrderStatus, Side
from tests.unit.brokers.alpaca.payloads import load

BASE = "https://alpaca.test"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def adapter(clock: ManualClock) -> AsyncIterator[AlpacaAdapter]:
    async with AlpacaAdapter(
        api_key="PKKEY", api_secret="SECRET", base_url=BASE, clock=clock
    ) as engine:
        yield engine


def _mock_aapl() -> None:
    asset = {"symbol": "AAPL", "class": "us_equity", "status": "active", "tradable": True}
    respx.get(f"{BASE}/v2/assets/AAPL").mock(
        return_value=httpx.Response(200, json=asset | {"fractionable": True})
    )


def _err(status: int, code: int, message: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": message}, headers=headers)


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (_err(401, 40110000, "request is not authorized"), AuthenticationError),
        (_err(403, 40310000, "forbidden"), PermissionDeniedError),
        (_err(404, 40410000, "order not found"), UnknownOrderError),
    ],
)
@respx.mock
async def test_read_errors_map_to_project_errors(
    adapter: AlpacaAdapter, reply: httpx.Response, error: type[Exception]
) -> None:
    respx.get(f"{BASE}/v2/orders/abc").mock(return_value=reply)
    with pytest.raises(error) as info:
        await adapter.get_order("abc")
    assert not info.value.retryable  # type: ignore[attr-defined]


@respx.mock
async def test_keys_are_sent_in_alpaca_headers(adapter: AlpacaAdapter) -> None:
    route = respx.get(f"{BASE}/v2/clock").mock(
        return_value=httpx.Response(200, json={"is_open": False})
    )
    assert (await adapter.get_clock())["is_open"] is False
    sent = route.calls.last.request.headers
    assert sent["APCA-API-KEY-ID"] == "PKKEY" and sent["APCA-API-SECRET-KEY"] == "SECRET"


@respx.mock
async def test_429_on_read_is_retried_after_the_retry_window(
    adapter: AlpacaAdapter, clock: ManualClock
) -> None:
    route = respx.get(f"{BASE}/v2/positions").mock(
        side_effect=[
            _err(429, 42910000, "rate limit exceeded", **{"Retry-After": "7"}),
            httpx.Response(200, json=[load("http_position_equity")]),
        ]
    )
    positions = await adapter.get_positions()
    assert positions[0].symbol == "SPY" and route.call_count == 2
    assert clock.monotonic() >= 7  # waited out the server's window (through the limiter)


@respx.mock
async def test_5xx_on_read_retries_with_backoff_then_gives_up(
    adapter: AlpacaAdapter, clock: ManualClock
) -> None:
    route = respx.get(f"{BASE}/v2/account").mock(
        return_value=_err(503, 50300000, "service unavailable")
    )
    with pytest.raises(ServiceUnavailableError) as info:
        await adapter.get_account_info()
    assert info.value.retryable and route.call_count == 4  # 1 + 3 retries
    assert clock.monotonic() == pytest.approx(0.5 + 1 + 2)


@respx.mock
async def test_403_insufficient_buying_power_is_a_rejected_ack(adapter: AlpacaAdapter) -> None:
    _mock_aapl()
    route = respx.post(f"{BASE}/v2/orders").mock(
        return_value=httpx.Response(403, json=load("http_error_insufficient_buying_power"))
    )
    order = Order(symbol="AAPL", side=Side.BUY, quantity=1000)
    [ack] = await adapter.submit_orders([order])
    assert ack.status is OrderStatus.REJECTED and "insufficient buying power" in (ack.message or "")
    assert ack.client_order_id == order.client_order_id and route.call_count == 1


async def test_error_classes_for_writes() -> None:
    from src.brokers.alpaca.errors import map_http_error

    funds = map_http_error(
        403,
        b'{"code":40310000,"message":"insufficient buying power"}',
        {},
        method="POST",
        path="/v2/orders",
    )
    assert isinstance(funds, InsufficientFundsError)
    invalid = map_http_error(
        422, b'{"code":40010001,"message":"qty must be > 0"}', {}, method="POST", path="/v2/orders"
    )
    assert isinstance(invalid, InvalidOrderError) and "qty must be > 0" in str(invalid)
    gone = map_http_error(
        422,
        b'{"message":"order is already in \\"filled\\" state"}',
        {},
        method="DELETE",
        path="/v2/orders/x",
    )
    assert isinstance(gone, UnknownOrderError)
    write_5xx = map_http_error(500, b"oops", {}, method="POST", path="/v2/orders")
    assert write_5xx.retryable and not write_5xx.outcome_known
    limited = map_http_error(
        429, b"{}", {"X-RateLimit-Reset": "1000"}, method="GET", path="/v2/account"
    )
    assert isinstance(limited, RestRateLimitError) and limited.retry_after == 0.0


@respx.mock
async def test_5xx_on_submit_is_never_resent_but_resolved_by_client_order_id(
    adapter: AlpacaAdapter,
) -> None:
    _mock_aapl()
    post = respx.post(f"{BASE}/v2/orders").mock(return_value=_err(504, 50400000, "gateway timeout"))
    order = Order(symbol="AAPL", side=Side.BUY, quantity=10)
    placed = load("http_order_filled_limit") | {
        "client_order_id": order.client_order_id,
        "status": "new",
        "filled_qty": "0",
    }
    lookup = respx.get(f"{BASE}/v2/orders:by_client_order_id").mock(
        return_value=httpx.Response(200, json=placed)
    )
    [ack] = await adapter.submit_orders([order])
    assert post.call_count == 1
    assert lookup.calls.last.request.url.params["client_order_id"] == order.client_order_id
    assert ack.status is OrderStatus.OPEN and ack.order_id == placed["id"]


@respx.mock
async def test_429_on_submit_is_not_retried(adapter: AlpacaAdapter) -> None:
    _mock_aapl()
    post = respx.post(f"{BASE}/v2/orders").mock(
        return_value=_err(429, 42910000, "rate limit exceeded")
    )
    [ack] = await adapter.submit_orders([Order(symbol="AAPL", side=Side.BUY, quantity=1)])
    assert post.call_count == 1
    assert ack.status is OrderStatus.REJECTED and "rate limit" in (ack.message or "")
    assert ack.raw["error_type"] == RestRateLimitError.__name__ and ack.raw["retryable"] is True


@respx.mock
async def test_lookup_that_never_finds_the_order_reports_unknown(adapter: AlpacaAdapter) -> None:
    _mock_aapl()
    respx.post(f"{BASE}/v2/orders").mock(side_effect=httpx.ReadTimeout("slow"))
    lookup = respx.get(f"{BASE}/v2/orders:by_client_order_id").mock(
        return_value=_err(404, 40410000, "order not found")
    )
    [ack] = await adapter.submit_orders([Order(symbol="AAPL", side=Side.BUY, quantity=1)])
    assert ack.status is OrderStatus.UNKNOWN and "Do not re-send" in (ack.message or "")
    assert lookup.call_count == 3

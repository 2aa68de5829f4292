"""Reads retry with backoff; invalid nonce retried once; malformed replies; the rate-limit gate."""

from __future__ import annotations

import httpx
import pytest
import respx

from src.brokers.kraken_adapter import KrakenAdapter
from src.core import errors as core
from src.core.clock import ManualClock
from src.core.execution import Order, OrderType, Side
from src.utils.retry import RetryPolicy
from tests.unit.brokers.kraken.kraken_helpers import (
    API_KEY,
    BASE_URL,
    DOC_SECRET,
    fail,
    form,
    load,
    ok,
)


@pytest.mark.parametrize(
    "transient",
    [
        lambda: httpx.Response(500, text="oops"),
        lambda: httpx.Response(520, text="cloudflare"),
        lambda: httpx.ConnectTimeout("slow"),
        lambda: httpx.ReadError("reset"),
        lambda: fail("EService:Unavailable"),
        lambda: fail("EService:Busy"),
        lambda: httpx.Response(200, text="garbage"),
    ],
)
async def test_reads_retry_transient_failures(
    kraken: respx.MockRouter, adapter: KrakenAdapter, clock: ManualClock, transient: object
) -> None:
    from structlog.testing import capture_logs

    route = kraken.post("/0/private/Balance").mock(
        side_effect=[transient(), transient(), ok({"ZUSD": "5.0"})]  # type: ignore[operator]
    )
    with capture_logs() as logs:
        assert await adapter.get_balance() == {"ZUSD": "5.0"}
    assert route.call_count == 3
    assert clock.monotonic() > 0  # backed off (on the injected clock)
    # Each retry is recorded for the log file, below the terminal's WARNING: a read that was
    # answered in the end is routine, not something to alarm a person with.
    retries = [e for e in logs if e["event"] == "kraken.retry"]
    assert [(e["log_level"], e["attempt"]) for e in retries] == [("info", 1), ("info", 2)]


async def test_reads_give_up_after_max_attempts(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    route = kraken.get("/0/public/Time").mock(return_value=httpx.Response(503, text="down"))
    with pytest.raises(core.ServiceUnavailableError, match="503"):
        await adapter.get_server_time()
    assert route.call_count == 3


def test_backoff_is_capped_and_honours_retry_after() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=1.0, max_delay=4.0, jitter=0.0)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 4.0, 4.0]
    throttled = core.RestRateLimitError("slow down", retry_after=3.0)
    assert policy.delay(1, throttled) == 3.0
    assert not policy.should_retry(core.InsufficientFundsError("no"), 1)
    assert not policy.should_retry(core.NetworkError("x"), 10)


async def test_non_retryable_read_errors_are_not_retried(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    route = kraken.post("/0/private/Balance").mock(return_value=fail("EAPI:Invalid key"))
    with pytest.raises(core.AuthenticationError):
        await adapter.get_balance()
    assert route.call_count == 1


async def test_invalid_nonce_on_read_retried_once_with_fresh_nonce(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    route = kraken.post("/0/private/Balance").mock(
        side_effect=[fail("EAPI:Invalid nonce"), ok({"ZUSD": "1"})]
    )
    assert await adapter.get_balance() == {"ZUSD": "1"}
    first, second = (int(form(c.request)["nonce"]) for c in route.calls)
    assert second > first
    route.mock(side_effect=None, return_value=fail("EAPI:Invalid nonce"))
    route.reset()
    with pytest.raises(core.InvalidNonceError):
        await adapter.get_balance()
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("method", "response", "match"),
    [
        ("Time", httpx.Response(200, text="<html>maintenance</html>"), "not JSON"),
        ("Time", httpx.Response(200, json=["error", "result"]), "not an envelope"),
        ("Time", httpx.Response(200, json={"error": "EGeneral:Invalid"}), "not an envelope"),
        ("Time", httpx.Response(200, json={"error": []}), "without a result"),
        ("Time", httpx.Response(200, json={"error": [], "result": {"x": 1}}), "unixtime"),
        ("SystemStatus", httpx.Response(200, json={"error": [], "result": [1]}), "an object"),
        ("Time", httpx.Response(404, text="not found"), "not JSON"),
    ],
)
async def test_malformed_replies_are_clear_errors(
    kraken: respx.MockRouter, method: str, response: httpx.Response, match: str
) -> None:
    kraken.get(f"/0/public/{method}").mock(return_value=response)
    async with KrakenAdapter(base_url=BASE_URL, retry=RetryPolicy(max_attempts=1)) as adapter:
        call = adapter.get_server_time if method == "Time" else adapter.get_system_status
        with pytest.raises(core.MalformedResponseError, match=match):
            await call()


class RecordingGate:
    """A RequestGate that records what it is told."""

    def __init__(self, refuse: bool = False) -> None:
        self.calls: list[tuple[object, ...]] = []
        self.refuse = refuse

    async def before_rest(self, method: str) -> None:
        self.calls.append(("rest", method))

    async def before_trade(
        self,
        pair: str,
        action: str,
        order_age: float | None = None,
        count: int = 1,
        open_orders: int = 0,
    ) -> None:
        self.calls.append(("trade", pair, action, count, open_orders))
        if self.refuse:
            raise core.LocalRateLimitError("would exceed the trading counter", retry_after=2.0)

    def on_rate_limited(self, error: core.RateLimitError, pair: str | None = None) -> None:
        self.calls.append(("limited", type(error).__name__, pair))


def _gated(gate: RecordingGate) -> KrakenAdapter:
    return KrakenAdapter(
        api_key=API_KEY,
        api_secret=DOC_SECRET,
        base_url=BASE_URL,
        gate=gate,
        clock=ManualClock(),
        retry=RetryPolicy(max_attempts=2),
    )


def _order() -> Order:
    return Order(
        symbol="BTC/USD",
        side=Side.BUY,
        quantity="0.001",
        order_type=OrderType.LIMIT,
        limit_price="40000",
    )


async def test_gate_sees_every_call_and_order_lifecycle(kraken: respx.MockRouter) -> None:
    gate = RecordingGate()
    kraken.post("/0/private/AddOrder").mock(
        return_value=httpx.Response(200, json=load("http_add_order.json"))
    )
    kraken.post("/0/private/CancelOrder").mock(return_value=ok({"count": 1}))
    kraken.post("/0/private/Balance").mock(return_value=ok({}))
    async with _gated(gate) as adapter:
        await adapter.get_balance()
        [ack] = await adapter.submit_orders([_order()])
        assert adapter.open_orders.count("XBTUSD") == 1
        await adapter.submit_orders([_order()])  # the gate is told what the registry holds
        await adapter.cancel_order(order_id=ack.order_id)
        assert adapter.open_orders.count("XBTUSD") == 0  # both acks carried one txid
    assert gate.calls == [
        ("rest", "Balance"),
        ("rest", "AssetPairs"),
        ("trade", "XBTUSD", "add", 1, 0),
        ("trade", "XBTUSD", "add", 1, 1),
        ("trade", "XBTUSD", "cancel", 1, 0),
    ]


async def test_gate_is_told_about_server_rate_limits(kraken: respx.MockRouter) -> None:
    gate = RecordingGate()
    kraken.post("/0/private/AddOrder").mock(return_value=fail("EOrder:Rate limit exceeded"))
    kraken.post("/0/private/Balance").mock(return_value=fail("EAPI:Rate limit exceeded"))
    async with _gated(gate) as adapter:
        with pytest.raises(core.TradingRateLimitError):
            await adapter.submit_orders([_order()])
        with pytest.raises(core.RestRateLimitError):
            await adapter.get_balance()
    limited = [c for c in gate.calls if c[0] == "limited"]
    assert limited[0] == ("limited", "TradingRateLimitError", "XBTUSD")
    assert ("limited", "RestRateLimitError", None) in limited


async def test_gate_refusal_sends_nothing(kraken: respx.MockRouter) -> None:
    add = kraken.post("/0/private/AddOrder").mock(return_value=ok({"txid": ["X"]}))
    async with _gated(RecordingGate(refuse=True)) as adapter:
        with pytest.raises(core.LocalRateLimitError) as info:
            await adapter.submit_orders([_order()])
    assert add.call_count == 0
    assert info.value.acks[0].status.value == "rejected"  # type: ignore[attr-defined]


async def test_real_rate_limit_gate_refuses_before_sending(kraken: respx.MockRouter) -> None:
    from src.brokers.kraken.limits.counters import KrakenRateLimits
    from src.brokers.kraken.limits.gate import RequestGate

    clock = ManualClock()
    gate = KrakenRateLimits("starter", "refuse", clock=clock, safety_margin=0)
    assert isinstance(gate, RequestGate)
    route = kraken.post("/0/private/Balance").mock(return_value=ok({"ZUSD": "1"}))
    async with KrakenAdapter(
        api_key=API_KEY, api_secret=DOC_SECRET, base_url=BASE_URL, gate=gate, clock=clock
    ) as adapter:
        for _ in range(15):
            await adapter.get_balance()
        with pytest.raises(core.LocalRateLimitError):
            await adapter.get_balance()
    assert route.call_count == 15  # the refused call never left the process


async def test_cancel_of_an_order_placed_elsewhere_tells_the_gate_its_pair(
    kraken: respx.MockRouter,
) -> None:
    gate = RecordingGate()
    query = kraken.post("/0/private/QueryOrders").mock(
        return_value=httpx.Response(200, json=load("http_query_orders.json"))
    )
    kraken.post("/0/private/CancelOrder").mock(return_value=ok({"count": 1}))
    async with _gated(gate) as adapter:
        await adapter.cancel_order(order_id="OBCMZD-JIEE7-77TH3F")
    assert form(query.calls.last.request)["txid"] == "OBCMZD-JIEE7-77TH3F"
    assert ("trade", "XBTUSD", "cancel", 1, 0) in gate.calls

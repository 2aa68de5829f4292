"""The adapter's defaults: Kraken's rate limits unless opted out, and a checked order transport."""

from __future__ import annotations

import httpx
import pytest
import respx

from src.brokers.kraken.limits.counters import KrakenRateLimits
from src.brokers.kraken.limits.gate import NullGate
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import ManualClock
from src.core.errors import ConfigurationError, LocalRateLimitError
from tests.unit.brokers.kraken.kraken_helpers import API_KEY, BASE_URL, DOC_SECRET, load


def _balance_route(kraken: respx.MockRouter) -> respx.Route:
    return kraken.post("/0/private/Balance").mock(
        return_value=httpx.Response(200, json=load("http_balance.json"))
    )


async def test_default_gate_holds_private_calls_to_the_tier_counter(
    kraken: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRAKEN_TIER", "starter")
    monkeypatch.setenv("KRAKEN_RATE_LIMIT_MODE", "refuse")
    monkeypatch.setenv("KRAKEN_RATE_LIMIT_MARGIN", "0")  # exactly Kraken's numbers
    route = _balance_route(kraken)
    clock = ManualClock()
    async with KrakenAdapter(
        api_key=API_KEY, api_secret=DOC_SECRET, base_url=BASE_URL, clock=clock
    ) as adapter:
        assert isinstance(adapter.gate, KrakenRateLimits)
        assert (adapter.gate.tier, adapter.gate.mode) == ("starter", "refuse")
        for _ in range(15):  # starter: a REST counter of 15, 1 per Balance call
            await adapter.get_balance()
        with pytest.raises(LocalRateLimitError):
            await adapter.get_balance()
        assert route.call_count == 15  # the refused call never left the process
        clock.advance(3.5)  # the adapter's clock drives the decay (1 point at 0.33/s)
        await adapter.get_balance()
    assert route.call_count == 16


async def test_default_gate_in_wait_mode_sleeps_on_the_adapter_clock(
    kraken: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRAKEN_TIER", "pro")
    monkeypatch.delenv("KRAKEN_RATE_LIMIT_MODE", raising=False)
    route = _balance_route(kraken)
    clock = ManualClock()
    async with KrakenAdapter(
        api_key=API_KEY, api_secret=DOC_SECRET, base_url=BASE_URL, clock=clock
    ) as adapter:
        for _ in range(21):  # pro: 20, decaying 1 per second
            await adapter.get_balance()
    assert route.call_count == 21
    assert clock.monotonic() >= 1.0


async def test_null_gate_opts_out(
    kraken: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRAKEN_RATE_LIMIT_MODE", "refuse")
    route = _balance_route(kraken)
    async with KrakenAdapter(
        api_key=API_KEY, api_secret=DOC_SECRET, base_url=BASE_URL, gate=NullGate()
    ) as adapter:
        for _ in range(30):
            await adapter.get_balance()
    assert route.call_count == 30


def test_bad_rate_limit_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAKEN_TIER", "platinum")
    with pytest.raises(ConfigurationError, match="KRAKEN_TIER"):
        KrakenAdapter(api_key=API_KEY, api_secret=DOC_SECRET, base_url=BASE_URL)


def test_order_transport_is_checked() -> None:
    with pytest.raises(ConfigurationError, match="order_transport 'ws'"):
        KrakenAdapter(base_url=BASE_URL, order_transport="ws")
    for choice in ("auto", "rest", "websocket"):
        assert KrakenAdapter(base_url=BASE_URL, order_transport=choice).order_transport == choice


async def test_no_order_yet_means_no_transport_and_no_websocket(kraken: respx.MockRouter) -> None:
    async with KrakenAdapter(base_url=BASE_URL, gate=NullGate()) as adapter:
        assert adapter.order_manager is None
        assert adapter.last_order_transport is None

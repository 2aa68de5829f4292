"""Fixtures: a simulated Alpaca account on loopback and an adapter pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from src.brokers.alpaca_adapter import AlpacaAdapter
from src.core.clock import ManualClock
from src.venues.alpaca_sim import AlpacaSim


@pytest.fixture
async def sim() -> AsyncIterator[AlpacaSim]:
    async with AlpacaSim() as server:
        yield server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def adapter(sim: AlpacaSim, clock: ManualClock) -> AsyncIterator[AlpacaAdapter]:
    async with AlpacaAdapter(
        api_key=sim.api_key, api_secret=sim.api_secret, base_url=sim.base_url, clock=clock
    ) as engine:
        yield engine


@pytest.fixture(autouse=True)
def _no_alpaca_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALPACA_BASE_URL", "ALPACA_STREAM_URL", "ALPACA_DATA_URL"):
        monkeypatch.delenv(name, raising=False)

"""A futures paper venue on loopback and an adapter pointed at it, for the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from src.brokers.kraken_futures import KrakenFuturesAdapter, KrakenFuturesSettings
from src.brokers.kraken_futures.limits.budgets import NullFuturesGate
from src.core.order_outcome import LostReplyPolicy
from src.venues.kraken_futures_paper import FuturesPaperExchange


@pytest.fixture
async def venue() -> AsyncIterator[FuturesPaperExchange]:
    async with FuturesPaperExchange(seed=3, auto_tick=False, basis_volatility=0) as exchange:
        yield exchange


@pytest.fixture
async def adapter(venue: FuturesPaperExchange) -> AsyncIterator[KrakenFuturesAdapter]:
    settings = KrakenFuturesSettings(environment="demo")
    async with KrakenFuturesAdapter(
        venue.api_key, venue.api_secret, venue.rest_url, settings=settings,
        gate=NullFuturesGate(), lost_reply=LostReplyPolicy(first_delay=0.05),
    ) as engine:  # fmt: skip
        engine.fill_poll_interval = 0.05
        yield engine

"""Fixtures: an in-process paper exchange on a loopback port and a signed test client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from src.core.clock import ManualClock
from src.venues.kraken_paper import PaperExchange
from tests.paper.kraken_client import Client


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1000.0, wall_start=datetime.now(UTC))


@pytest.fixture
async def exchange(clock: ManualClock) -> AsyncIterator[PaperExchange]:
    async with PaperExchange(market="synthetic", seed=7, auto_tick=False, clock=clock) as ex:
        ex.drive("XBTUSD", "30000.0")
        ex.drive("ETHUSD", "2000.00")
        yield ex


@pytest.fixture
async def client(exchange: PaperExchange) -> AsyncIterator[Client]:
    c = Client(exchange.rest_url, exchange.api_key, exchange.api_secret)
    yield c
    await c.aclose()

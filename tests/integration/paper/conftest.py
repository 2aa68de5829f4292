"""Fixtures: the shared paper exchange (seed 7, a manual clock, known prices), a signed client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from src.core.clock import ManualClock
from src.venues.kraken_paper import PaperExchange
from tests.integration.paper.kraken_client import Client
from tests.support.paper import PaperOptions


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1000.0, wall_start=datetime.now(UTC))


@pytest.fixture
def paper_options(clock: ManualClock) -> PaperOptions:
    return PaperOptions({"XBTUSD": "30000.0", "ETHUSD": "2000.00"}, seed=7, clock=clock)


@pytest.fixture
def exchange(paper_exchange: PaperExchange) -> PaperExchange:
    """This folder's name for ``paper_exchange``."""
    return paper_exchange


@pytest.fixture
async def client(exchange: PaperExchange) -> AsyncIterator[Client]:
    c = Client(exchange.rest_url, exchange.api_key, exchange.api_secret)
    yield c
    await c.aclose()

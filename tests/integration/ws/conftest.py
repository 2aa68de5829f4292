"""Fixtures for the WebSocket tests: the shared paper exchange (no rate limits), an adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from src.brokers.kraken_adapter import KrakenAdapter
from src.venues.kraken_paper import FaultConfig, PaperExchange
from tests.support.paper import PaperOptions


@pytest.fixture
def paper_options() -> PaperOptions:
    """A market driven only by the test (``ex.drive``), no rate limits, no faults armed."""
    return PaperOptions(rate_limits=False, faults=FaultConfig())


@pytest.fixture
def exchange(paper_exchange: PaperExchange) -> PaperExchange:
    """This folder's name for ``paper_exchange``."""
    return paper_exchange


@pytest.fixture
async def adapter(exchange: PaperExchange) -> AsyncIterator[KrakenAdapter]:
    async with KrakenAdapter(
        api_key=exchange.api_key,
        api_secret=exchange.api_secret,
        base_url=exchange.rest_url,
        ws_url=exchange.ws_url,
        ws_auth_url=exchange.ws_auth_url,
    ) as ad:
        yield ad

"""Fixtures for the metrics tests on the paper exchange: no rate limits, an adapter on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from src.brokers.kraken_adapter import KrakenAdapter
from src.venues.kraken_paper import FaultConfig, PaperExchange
from tests.support.paper import PaperOptions


@pytest.fixture
def paper_options() -> PaperOptions:
    """A market driven only by the test (``ex.drive``), no rate limits, no faults armed."""
    return PaperOptions(rate_limits=False, faults=FaultConfig(), prices={"XBTUSD": "30000.0"})


@pytest.fixture
async def adapter(paper_exchange: PaperExchange) -> AsyncIterator[KrakenAdapter]:
    async with KrakenAdapter(
        api_key=paper_exchange.api_key,
        api_secret=paper_exchange.api_secret,
        base_url=paper_exchange.rest_url,
        ws_url=paper_exchange.ws_url,
        ws_auth_url=paper_exchange.ws_auth_url,
    ) as ad:
        yield ad

"""Shared fixtures for the Kraken REST adapter tests: respx-mocked Kraken and an adapter."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import ManualClock
from src.utils.retry import RetryPolicy
from tests.unit.brokers.kraken.kraken_helpers import API_KEY, BASE_URL, DOC_SECRET, load


@pytest.fixture
def kraken() -> Iterator[respx.MockRouter]:
    """respx router for the fake Kraken host, with AssetPairs already served."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.get("/0/public/AssetPairs").mock(
            return_value=httpx.Response(200, json=load("http_asset_pairs.json"))
        )
        # The default rate-limit gate asks for the pair and age of an order placed elsewhere.
        router.post("/0/private/QueryOrders").mock(
            return_value=httpx.Response(200, json=load("http_query_orders.json"))
        )
        yield router


@pytest.fixture
def clock() -> ManualClock:
    """A clock whose sleeps return at once."""
    return ManualClock()


@pytest.fixture
async def adapter(kraken: respx.MockRouter, clock: ManualClock) -> AsyncIterator[KrakenAdapter]:
    """An authenticated adapter pointed at the respx host (retries: 3 attempts, no real waits)."""
    async with KrakenAdapter(
        api_key=API_KEY,
        api_secret=DOC_SECRET,
        base_url=BASE_URL,
        clock=clock,
        retry=RetryPolicy(max_attempts=3, rng=random.Random(7)),
    ) as client:
        yield client

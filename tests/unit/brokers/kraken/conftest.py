"""Shared fixtures for the Kraken REST adapter tests: respx-mocked Kraken and recorded payloads."""

from __future__ import annotations

import json
import random
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.clock import ManualClock
from src.utils.retry import RetryPolicy

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "kraken"
BASE_URL = "https://kraken.test"
# Kraken's documented example secret (docs "Spot REST Authentication"); not a real account key.
DOC_SECRET = (
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
)
API_KEY = "unit-test-public-key-7f3a9c"


def load(name: str) -> Any:
    """A fixture payload from tests/fixtures/kraken (sub-paths allowed)."""
    return json.loads((FIXTURES / name).read_text())


def form(request: httpx.Request) -> dict[str, str]:
    """The form fields of a private request body."""
    return {k: v[0] for k, v in urllib.parse.parse_qs(request.content.decode()).items()}


def ok(result: Any) -> httpx.Response:
    """A successful Kraken envelope."""
    return httpx.Response(200, json={"error": [], "result": result})


def fail(*errors: str) -> httpx.Response:
    """A Kraken error envelope (HTTP 200, as Kraken sends them)."""
    return httpx.Response(200, json={"error": list(errors)})


@pytest.fixture
def kraken() -> Iterator[respx.MockRouter]:
    """respx router for the fake Kraken host, with AssetPairs already served."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.get("/0/public/AssetPairs").mock(
            return_value=httpx.Response(200, json=load("http_asset_pairs.json"))
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

"""A reply larger than the cap is refused as it streams in, with a clear error, and not retried."""

from __future__ import annotations

import httpx
import pytest
import respx

from src.brokers.kraken.rest.client import KrakenRestClient
from src.core.errors import MalformedResponseError
from src.utils.retry import RetryPolicy
from tests.unit.brokers.kraken.kraken_helpers import API_KEY, BASE_URL, DOC_SECRET


async def test_an_oversized_reply_is_refused_once_with_the_cap_named(
    kraken: respx.MockRouter,
) -> None:
    huge = b'{"error":[],"result":{"pad":"' + b"x" * 300_000 + b'"}}'
    route = kraken.post("/0/private/Balance").mock(return_value=httpx.Response(200, content=huge))
    client = KrakenRestClient(API_KEY, DOC_SECRET, BASE_URL, retry=RetryPolicy(max_attempts=3))
    client.transport.max_reply_bytes = 100_000
    try:
        with pytest.raises(MalformedResponseError, match="larger than 100,000 bytes"):
            await client.get_balance()
    finally:
        await client.aclose()
    assert route.call_count == 1  # a reply that size would only come again: no retry


async def test_a_reply_under_the_cap_still_reads(kraken: respx.MockRouter) -> None:
    kraken.post("/0/private/Balance").mock(
        return_value=httpx.Response(200, json={"error": [], "result": {"ZUSD": "1.5"}})
    )
    client = KrakenRestClient(API_KEY, DOC_SECRET, BASE_URL)
    try:
        assert await client.get_balance() == {"ZUSD": "1.5"}
    finally:
        await client.aclose()

"""Signing matches Kraken's published vector; nonces increase and reach the server in order."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import urllib.parse

import httpx
import pytest
import respx

from src.brokers.kraken.rest.auth import MILLISECONDS, NonceSource, decode_secret, sign
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.errors import ConfigurationError, MissingCredentialError
from tests.unit.brokers.kraken.kraken_helpers import API_KEY, BASE_URL, DOC_SECRET, form, ok

DOC_NONCE = 1616492376594
DOC_BODY = "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
DOC_SIGN = (
    "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
)


def test_sign_reproduces_krakens_documented_example() -> None:
    assert sign("/0/private/AddOrder", DOC_NONCE, DOC_BODY, DOC_SECRET) == DOC_SIGN


def test_sign_json_body_vector() -> None:
    body = '{"nonce": "1616492376594", "orders": ["OG5V2Y-RYKVL-DT3V3B", "OP5V2Y-RYKVL-ET3V3B"]}'
    expected = (
        "rSlnWtY8t1Bqk7TV0XGL8xrlrQMfRdvavufSK6OxsxVTp8x9+g/6mFL2QzsvVM7uiicO5nFxIuYMBqsTeAuKXQ=="
    )
    assert sign("/0/private/CancelOrderBatch", DOC_NONCE, body, DOC_SECRET) == expected


def test_guide_generate_signature_with_form_fields() -> None:
    adapter = KrakenAdapter(api_key=API_KEY, api_secret=DOC_SECRET, base_url=BASE_URL)
    data = dict(urllib.parse.parse_qsl(DOC_BODY))
    assert adapter._generate_signature("/0/private/AddOrder", data, DOC_NONCE) == DOC_SIGN
    assert adapter._generate_signature("/0/private/AddOrder", DOC_BODY, DOC_NONCE) == DOC_SIGN


def test_generate_signature_without_secret_names_the_variable() -> None:
    adapter = KrakenAdapter(base_url=BASE_URL)
    with pytest.raises(MissingCredentialError, match="KRAKEN_API_SECRET"):
        adapter._generate_signature("/0/private/Balance", "nonce=1", 1)


def test_bad_base64_secret_is_refused_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="not valid base64") as info:
        KrakenAdapter(api_key=API_KEY, api_secret="not*base64!", base_url=BASE_URL)
    assert "not*base64!" not in str(info.value)
    with pytest.raises(ConfigurationError):
        decode_secret("abc")


def test_nonce_strictly_increases_when_clock_stalls_or_goes_back() -> None:
    times = iter([5_000_000_000, 5_000_000_000, 4_000_000_000, 6_000_000_000])
    source = NonceSource(time_ns=lambda: next(times))
    values = [source.next() for _ in range(4)]
    assert values == [5_000_000_000, 5_000_000_001, 5_000_000_002, 6_000_000_000]


def test_nonce_scale_milliseconds_and_invalid_scale() -> None:
    source = NonceSource(MILLISECONDS, time_ns=lambda: 1_616_492_376_594_123_456)
    assert source.next() == DOC_NONCE
    with pytest.raises(ConfigurationError, match="nonce scale"):
        NonceSource(7)


def test_nonce_scale_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAKEN_NONCE_SCALE", "1000")
    adapter = KrakenAdapter(api_key=API_KEY, api_secret=DOC_SECRET, base_url=BASE_URL)
    assert adapter.rest.transport.nonce.scale == 1000
    monkeypatch.setenv("KRAKEN_NONCE_SCALE", "ms")
    with pytest.raises(ConfigurationError, match="KRAKEN_NONCE_SCALE"):
        KrakenAdapter(api_key=API_KEY, api_secret=DOC_SECRET, base_url=BASE_URL)


async def test_private_request_headers_and_signature(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    route = kraken.post("/0/private/TradeBalance").mock(return_value=ok({"eb": "1.0"}))
    await adapter.get_trade_balance(asset="ZUSD")
    request = route.calls.last.request
    body = request.content.decode()
    fields = form(request)
    assert fields["asset"] == "ZUSD"
    assert request.headers["API-Key"] == API_KEY
    assert request.headers["API-Sign"] == sign(
        "/0/private/TradeBalance", fields["nonce"], body, DOC_SECRET
    )
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert len(fields["nonce"]) == 19  # nanosecond scale by default


async def test_nonces_reach_server_in_order_under_300_concurrent_callers(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    arrived: list[int] = []
    jitter = random.Random(3)

    async def record(request: httpx.Request) -> httpx.Response:
        nonce = int(form(request)["nonce"])
        # Uneven network delay: without serialization later nonces would overtake earlier ones.
        for _ in range(jitter.randint(0, 3)):
            await asyncio.sleep(0)
        arrived.append(nonce)
        expected = sign("/0/private/Balance", nonce, request.content.decode(), DOC_SECRET)
        assert request.headers["API-Sign"] == expected
        return ok({"ZUSD": "1.0"})

    kraken.post("/0/private/Balance").mock(side_effect=record)
    results = await asyncio.gather(*(adapter.get_balance() for _ in range(300)))
    assert len(results) == 300
    assert len(arrived) == 300
    assert all(a < b for a, b in itertools.pairwise(arrived))


async def test_batch_calls_are_json_with_signed_json_body(
    kraken: respx.MockRouter, adapter: KrakenAdapter
) -> None:
    route = kraken.post("/0/private/CancelOrderBatch").mock(return_value=ok({"count": 2}))
    await adapter.request("CancelOrderBatch", orders=["OG5V2Y-RYKVL-DT3V3B", "OP5V2Y-RYKVL-ET3V3B"])
    request = route.calls.last.request
    payload = json.loads(request.content)
    assert request.headers["Content-Type"] == "application/json"
    assert payload["orders"] == ["OG5V2Y-RYKVL-DT3V3B", "OP5V2Y-RYKVL-ET3V3B"]
    assert request.headers["API-Sign"] == sign(
        "/0/private/CancelOrderBatch", payload["nonce"], request.content.decode(), DOC_SECRET
    )

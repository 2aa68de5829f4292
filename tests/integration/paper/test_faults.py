"""Fault injection: errors before processing, lost AddOrder replies, latency."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from src.venues.kraken_paper import FaultConfig, PaperExchange
from tests.integration.paper.kraken_client import Client

ORDER: dict[str, Any] = {
    "pair": "XBTUSD",
    "type": "buy",
    "ordertype": "limit",
    "volume": "0.01",
    "price": "29000.0",
}


async def test_unavailable_fraction(client: Client, exchange: PaperExchange) -> None:
    exchange.faults.error_rate = 1.0
    assert await client.public("Time") == {"error": ["EService:Unavailable"]}
    assert await client.private("AddOrder", **ORDER) == {"error": ["EService:Unavailable"]}
    exchange.faults.error_rate = 0.0
    assert (await client.ok("OpenOrders"))["open"] == {}


async def test_http_5xx_fraction(client: Client, exchange: PaperExchange) -> None:
    exchange.faults.error_rate, exchange.faults.error_kind = 1.0, "5xx"
    resp = await client.http.get("/0/public/Time")
    assert resp.status_code == 503


async def test_partial_error_rate_is_seeded() -> None:
    def pattern() -> list[bool]:
        f = FaultConfig(error_rate=0.3, seed=5)
        return [f.roll_error() for _ in range(200)]

    first = pattern()
    assert first == pattern() and 30 < sum(first) < 90


async def test_lost_reply_drop_executes_order(client: Client, exchange: PaperExchange) -> None:
    exchange.faults.lost_reply_next = 1
    with pytest.raises(httpx.RemoteProtocolError):
        await client.private("AddOrder", cl_ord_id="lost-1", **ORDER)
    opened = (await client.ok("OpenOrders", cl_ord_id="lost-1"))["open"]
    assert len(opened) == 1
    # next AddOrder answers normally
    assert (await client.ok("AddOrder", **ORDER))["txid"]


async def test_lost_reply_as_502(client: Client, exchange: PaperExchange) -> None:
    exchange.faults.lost_reply_next, exchange.faults.lost_reply_kind = 1, "5xx"
    nonce_resp = await client.http.get("/0/public/Time")
    assert nonce_resp.status_code == 200
    from urllib.parse import urlencode

    from tests.integration.paper.kraken_client import next_nonce

    nonce = str(next_nonce())
    resp = await client.raw("AddOrder", urlencode({"nonce": nonce, **ORDER}), nonce)
    assert resp.status_code == 502
    assert len((await client.ok("OpenOrders"))["open"]) == 1


def test_fault_config_validates() -> None:
    with pytest.raises(ValueError):
        FaultConfig(error_kind="boom")

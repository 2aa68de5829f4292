"""Server-side rate limits: REST counter, per-pair trading counter, open-orders limit."""

from __future__ import annotations

from typing import Any

from src.venues.kraken_paper import PaperExchange
from src.venues.kraken_paper.ratelimit import CANCEL_PENALTY, age_penalty
from tests.integration.paper.kraken_client import Client

ORDER: dict[str, Any] = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.0002"}


async def test_rest_counter_with_decay(client: Client, exchange: PaperExchange) -> None:
    for _ in range(15):  # starter: max 15, +1 per call
        assert (await client.private("Balance"))["error"] == []
    assert await client.private("Balance") == {"error": ["EAPI:Rate limit exceeded"]}
    exchange.clock.advance(3.1)  # type: ignore[attr-defined]  # decays 0.33/s -> one call
    assert (await client.private("Balance"))["error"] == []
    assert await client.private("Balance") == {"error": ["EAPI:Rate limit exceeded"]}


async def test_trades_history_costs_two(client: Client) -> None:
    for _ in range(7):
        assert (await client.private("TradesHistory"))["error"] == []
    assert (await client.private("Balance"))["error"] == []
    assert await client.private("TradesHistory") == {"error": ["EAPI:Rate limit exceeded"]}


async def test_trading_counter_cancel_penalty(client: Client, exchange: PaperExchange) -> None:
    # Each add (+1) immediately cancelled (+8 under 5 s) costs 9 points; threshold 60.
    for i in range(6):
        txid = (await client.ok("AddOrder", price=f"{20000 + i}.0", **ORDER))["txid"][0]
        await client.ok("CancelOrder", txid=txid)
    assert exchange.service.trade_counter("demo", "XBTUSD") == 54
    txid = (await client.ok("AddOrder", price="21000.0", **ORDER))["txid"][0]
    assert await client.private("CancelOrder", txid=txid) == {
        "error": ["EOrder:Rate limit exceeded"]
    }
    # other pairs have their own counter
    eth: dict[str, Any] = {
        "pair": "ETHUSD",
        "type": "buy",
        "ordertype": "limit",
        "volume": "0.01",
        "price": "1000.00",
    }
    assert (await client.private("AddOrder", **eth))["error"] == []
    exchange.clock.advance(60)  # type: ignore[attr-defined]  # decays 1/s
    assert await client.ok("CancelOrder", txid=txid) == {"count": 1}


def test_cancel_penalty_table() -> None:
    assert [age_penalty(CANCEL_PENALTY, a) for a in (0, 7, 12, 30, 60, 200, 400)] == [
        8, 6, 5, 4, 2, 1, 0,
    ]  # fmt: skip


async def test_open_orders_limit_per_pair(client: Client, exchange: PaperExchange) -> None:
    exchange.service.limits.tier = exchange.service.limits.tier.__class__(15, 0.33, 1e9, 1, 3)
    for i in range(3):
        await client.ok("AddOrder", price=f"{20000 + i}.0", **ORDER)
    assert await client.private("AddOrder", price="20010.0", **ORDER) == {
        "error": ["EOrder:Orders limit exceeded"]
    }

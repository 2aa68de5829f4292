"""The paper exchange's WS v2 server, spoken to with a plain websockets client."""

from __future__ import annotations

import asyncio
import itertools
import json
from decimal import Decimal
from typing import Any

import pytest
import websockets

from src.brokers.kraken.ws.book import OrderBook

pytestmark = pytest.mark.integration


async def _recv(ws: Any, want: Any, timeout: float = 5.0) -> dict[str, Any]:
    """The next frame for which ``want(frame)`` is true (others are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            frame: dict[str, Any] = json.loads(await ws.recv(), parse_float=Decimal)
            if want(frame):
                return frame


async def test_status_ping_and_one_ack_per_symbol(exchange: Any) -> None:
    async with websockets.connect(exchange.ws_url) as ws:
        status = await _recv(ws, lambda f: f.get("channel") == "status")
        assert status["data"][0]["system"] == "online"
        assert status["data"][0]["api_version"] == "v2"
        await ws.send(json.dumps({"method": "ping", "req_id": 101}))
        pong = await _recv(ws, lambda f: f.get("method") == "pong")
        assert pong["req_id"] == 101 and pong["time_in"].endswith("Z")
        symbols = ["BTC/USD", "ETH/USD", "XBT/USD"]
        request = {"method": "subscribe", "params": {"channel": "ticker", "symbol": symbols}}
        await ws.send(json.dumps({**request, "req_id": 7}))
        acks = [await _recv(ws, lambda f: f.get("method") == "subscribe") for _ in symbols]
        assert [a.get("result", {}).get("symbol", a.get("symbol")) for a in acks] == symbols
        assert [a["success"] for a in acks] == [True, True, False]
        assert acks[2]["error"] == "Currency pair not supported XBT/USD"
        assert all(a["req_id"] == 7 for a in acks)
        beat = await _recv(ws, lambda f: f.get("channel") == "heartbeat", timeout=3)
        assert beat == {"channel": "heartbeat"}


async def test_pings_do_not_hold_back_heartbeats(exchange: Any) -> None:
    """A pong is a reply, not an update: a client pinging often still gets its heartbeats."""
    async with websockets.connect(exchange.ws_url) as ws:
        params = {"channel": "ticker", "symbol": ["BTC/USD"]}
        await ws.send(json.dumps({"method": "subscribe", "params": params, "req_id": 1}))
        await _recv(ws, lambda f: f.get("channel") == "ticker")

        async def ping() -> None:
            for req_id in itertools.count(2):
                await ws.send(json.dumps({"method": "ping", "req_id": req_id}))
                await asyncio.sleep(0.2)

        pinger = asyncio.create_task(ping())
        try:
            # a pong every 0.2 s: had pongs counted as updates, no heartbeat would ever come
            await _recv(ws, lambda f: f.get("channel") == "heartbeat", timeout=10)
        finally:
            pinger.cancel()
            await asyncio.gather(pinger, return_exceptions=True)


async def test_book_numbers_and_checksum_over_the_wire(exchange: Any) -> None:
    async with websockets.connect(exchange.ws_url) as ws:
        params = {"channel": "book", "symbol": ["XRP/USD"], "depth": 25}
        await ws.send(json.dumps({"method": "subscribe", "params": params}))
        raw = await _recv(ws, lambda f: f.get("channel") == "book")
        assert raw["type"] == "snapshot"
        data = raw["data"][0]
        assert len(data["bids"]) == 25
        assert isinstance(data["bids"][0]["price"], Decimal)  # a JSON number, not a string
        book = OrderBook("XRP/USD", 25, 5, 8)  # XRP/USD: price 5 decimals, qty 8
        assert book.apply_message(data, snapshot=True)
        exchange.drive("XRP/USD", book.asks[0][0], "100", "buy")
        update = await _recv(ws, lambda f: f.get("channel") == "book")
        assert update["type"] == "update"
        assert book.apply_message(update["data"][0], snapshot=False)


async def test_private_channels_refused_on_public_endpoint(exchange: Any) -> None:
    async with websockets.connect(exchange.ws_url) as ws:
        params = {"channel": "executions", "token": "x"}
        await ws.send(json.dumps({"method": "subscribe", "params": params, "req_id": 1}))
        reply = await _recv(ws, lambda f: f.get("method") == "subscribe")
        assert not reply["success"] and "ws-auth" in reply["error"]


@pytest.mark.parametrize("token", ["not-a-token", "", None])
async def test_bad_token_is_invalid_session(exchange: Any, token: Any) -> None:
    async with websockets.connect(exchange.ws_auth_url) as ws:
        params = {"channel": "executions", "token": token}
        await ws.send(json.dumps({"method": "subscribe", "params": params, "req_id": 2}))
        reply = await _recv(ws, lambda f: f.get("method") == "subscribe")
        assert reply == {**reply, "success": False, "error": "ESession:Invalid session"}
        order = {"order_type": "limit", "side": "buy", "order_qty": 1, "symbol": "BTC/USD",
                 "limit_price": 100, "token": token}  # fmt: skip
        await ws.send(json.dumps({"method": "add_order", "params": order, "req_id": 3}))
        reply = await _recv(ws, lambda f: f.get("method") == "add_order")
        assert reply["error"] == "ESession:Invalid session" and reply["req_id"] == 3


async def test_malformed_requests_get_errors_not_disconnects(exchange: Any) -> None:
    async with websockets.connect(exchange.ws_url) as ws:
        for junk in ("{not json", "[]", '{"method": 5}', '{"method":"subscribe"}'):
            await ws.send(junk)
            reply = await _recv(ws, lambda f: f.get("success") is False)
            assert reply["error"].startswith("EGeneral:Invalid arguments")
        await ws.send(json.dumps({"method": "ping", "req_id": 9}))
        assert (await _recv(ws, lambda f: f.get("method") == "pong"))["req_id"] == 9


async def test_a_token_outlives_its_15_minutes_on_the_connection_it_opened(exchange: Any) -> None:
    # Kraken: a token must be used within 15 minutes, but does not expire once a private
    # connection is authenticated with it and maintained. Only a new connection is refused.
    from src.brokers.kraken_adapter import KrakenAdapter

    async with KrakenAdapter(exchange.api_key, exchange.api_secret, exchange.rest_url) as rest:
        token = (await rest.get_websockets_token())["token"]
    async with websockets.connect(exchange.ws_auth_url) as ws:
        params = {"channel": "executions", "token": token, "snap_orders": False}
        await ws.send(json.dumps({"method": "subscribe", "params": params, "req_id": 1}))
        assert (await _recv(ws, lambda f: f.get("method") == "subscribe"))["success"]
        account, issued = exchange.keys.tokens[token]
        exchange.keys.tokens[token] = (account, issued - 20 * 60)  # 20 minutes old now
        order = {"order_type": "limit", "side": "buy", "order_qty": "0.001",
                 "symbol": "BTC/USD", "limit_price": "1000", "token": token}  # fmt: skip
        await ws.send(json.dumps({"method": "add_order", "params": order, "req_id": 2}))
        reply = await _recv(ws, lambda f: f.get("method") == "add_order")
        assert reply["success"], reply
    async with websockets.connect(exchange.ws_auth_url) as ws:
        await ws.send(json.dumps({"method": "subscribe", "params": params, "req_id": 3}))
        reply = await _recv(ws, lambda f: f.get("method") == "subscribe")
        assert reply["error"] == "ESession:Invalid session"

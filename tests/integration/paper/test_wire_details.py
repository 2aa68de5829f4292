"""Wire details where the paper exchange used to differ from Kraken (issue 14), over loopback."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import httpx
import websockets

from src.venues.kraken_paper import PaperExchange
from tests.integration.paper.kraken_client import Client


async def test_malformed_txid_is_an_invalid_order(client: Client) -> None:
    for method in ("QueryOrders", "CancelOrder", "AmendOrder"):
        out = await client.private(method, txid="not-a-txid", order_qty="0.1")
        assert out == {"error": ["EOrder:Invalid order"]}, method
    # a well-formed id Kraken does not know is not malformed: no entry, or an unknown order
    assert await client.ok("QueryOrders", txid="OAAAAA-BBBBB-CCCCCC") == {}
    out = await client.private("CancelOrder", txid="OAAAAA-BBBBB-CCCCCC")
    assert out == {"error": ["EOrder:Unknown order"]}


async def test_empty_open_positions_in_the_shape_asked_for(client: Client) -> None:
    assert await client.ok("OpenPositions") == {}
    assert await client.ok("OpenPositions", docalcs="true", consolidation="market") == []


async def test_trade_cost_and_average_keep_the_cost_precision(
    client: Client, exchange: PaperExchange
) -> None:
    res = await client.ok(
        "AddOrder", pair="XBTUSD", type="buy", ordertype="limit", volume="0.00012345",
        price="29000.3",
    )  # fmt: skip
    exchange.drive("XBTUSD", "29000.3", qty="1")
    order = (await client.ok("QueryOrders", txid=res["txid"][0], trades="true"))[res["txid"][0]]
    trade = (await client.ok("QueryTrades", txid=order["trades"][0]))[order["trades"][0]]
    # 29000.3 x 0.00012345 = 3.580087035: XBTUSD's cost_decimals are 5, USD's ledger has 4
    assert (trade["cost"], trade["price"]) == ("3.58009", "29000.30000")
    assert (order["cost"], order["price"]) == ("3.58009", "29000.30000")
    ledger = await client.ok("QueryLedgers", id=",".join(trade["ledgers"]))
    assert {e["asset"]: e["amount"] for e in ledger.values()} == {
        "ZUSD": "-3.5801",
        "XXBT": "0.0001234500",
    }


async def test_backfilled_trades_and_candles_are_on_the_tick(client: Client) -> None:
    for pair, tick in (("XBTUSD", Decimal("0.1")), ("XRPUSD", Decimal("0.00001"))):
        trades = (await client.public("Trades", pair=pair))["result"]
        rows = next(v for k, v in trades.items() if k != "last")
        assert len(rows) >= 50
        assert all(Decimal(r[0]) % tick == 0 for r in rows), pair
        ohlc = (await client.public("OHLC", pair=pair))["result"]
        candles = next(v for k, v in ohlc.items() if k != "last")
        assert len(candles) > 700
        assert all(Decimal(p) % tick == 0 for c in candles for p in c[1:5]), pair


async def test_unknown_paths_answer_kraken_errors(exchange: PaperExchange) -> None:
    async with httpx.AsyncClient(base_url=exchange.rest_url) as http:
        for verb, path, status in (
            ("GET", "/0/public/Nope", 200), ("GET", "/0/public/Ticker/extra", 200),
            ("POST", "/0/private/Balance/more", 200), ("GET", "/0/x/y/z", 200),
            ("GET", "/nowhere", 404), ("GET", "/ws/v2/more", 404),
        ):  # fmt: skip
            resp = await http.request(verb, path)
            assert resp.status_code == status, path
            assert resp.json() == {"error": ["EGeneral:Unknown method"]}, path
        resp = await http.request("PUT", "/0/public/Time")
        assert resp.json() == {"error": ["EAPI:Bad request"]}


async def _frames(ws: Any, count: int, want: Any) -> list[str]:
    """The next ``count`` raw frames for which ``want(decoded)`` holds."""
    out: list[str] = []
    async with asyncio.timeout(5):
        while len(out) < count:
            raw = await ws.recv()
            if want(json.loads(raw)):
                out.append(raw)
    return out


def _is_reply(frame: dict[str, Any]) -> bool:
    return "method" in frame and frame.get("method") != "pong"


async def test_unsubscribing_what_was_never_subscribed(exchange: PaperExchange) -> None:
    async with websockets.connect(exchange.ws_url) as ws:
        for req_id, (channel, extra) in enumerate(
            [("book", {"depth": 10}), ("ticker", {}), ("trade", {}), ("ohlc", {"interval": 5})]
        ):
            params = {"channel": channel, "symbol": ["BTC/USD"], **extra}
            await ws.send(json.dumps({"method": "unsubscribe", "params": params, "req_id": req_id}))
            (raw,) = await _frames(ws, 1, _is_reply)
            reply = json.loads(raw)
            assert reply["error"] == "Subscription Not Found", channel
            # as Kraken's recorded reply: the symbol, and ``subscribe`` as the method
            assert (reply["symbol"], reply["method"], reply["success"]) == (
                "BTC/USD",
                "subscribe",
                False,
            )
            assert reply["req_id"] == req_id
            assert list(reply) == sorted(reply)


async def test_ticker_unsubscribe_reply_and_reply_key_order(exchange: PaperExchange) -> None:
    async with websockets.connect(exchange.ws_url) as ws:
        params = {"channel": "ticker", "symbol": ["BTC/USD"], "event_trigger": "bbo"}
        await ws.send(json.dumps({"method": "subscribe", "params": params, "req_id": 1}))
        (sub,) = await _frames(ws, 1, _is_reply)
        await ws.send(json.dumps({"method": "unsubscribe", "params": params, "req_id": 2}))
        (unsub,) = await _frames(ws, 1, _is_reply)
    for raw in (sub, unsub):  # Kraken writes reply keys sorted, the result's too
        reply = json.loads(raw)
        assert list(reply) == ["method", "req_id", "result", "success", "time_in", "time_out"]
        assert list(reply["result"]) == sorted(reply["result"])
    assert json.loads(unsub)["result"] == {
        "channel": "ticker",
        "event_trigger": "bbo",
        "symbol": "BTC/USD",
    }
    # and the unsubscribed symbol is gone: a second unsubscribe finds nothing
    async with websockets.connect(exchange.ws_url) as ws:
        await ws.send(json.dumps({"method": "unsubscribe", "params": params}))
        (raw,) = await _frames(ws, 1, _is_reply)
        assert json.loads(raw)["error"] == "Subscription Not Found"


async def test_trading_reply_keys_in_kraken_order(client: Client, exchange: PaperExchange) -> None:
    token = (await client.ok("GetWebSocketsToken"))["token"]
    order = {"order_type": "limit", "side": "buy", "order_qty": 0.01, "symbol": "BTC/USD",
             "limit_price": 20000, "cl_ord_id": "wire-1", "token": token}  # fmt: skip
    async with websockets.connect(exchange.ws_auth_url) as ws:
        await ws.send(json.dumps({"method": "add_order", "params": order, "req_id": 5}))
        bad = {**order, "order_qty": -1, "cl_ord_id": "wire-2"}
        await ws.send(json.dumps({"method": "add_order", "params": bad, "req_id": 6}))
        ok_raw, err_raw = await _frames(ws, 2, _is_reply)
    ok, err = json.loads(ok_raw), json.loads(err_raw)
    assert list(ok) == ["method", "req_id", "result", "success", "time_in", "time_out"]
    assert list(ok["result"]) == ["cl_ord_id", "order_id"]
    assert list(err) == ["error", "method", "req_id", "success", "time_in", "time_out"]

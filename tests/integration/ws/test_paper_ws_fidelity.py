"""Paper exchange WS v2 fidelity: the executions ``order_status`` option, the wire encoder, names.

Spoken to over loopback with a plain websockets client, beside a client on Kraken's defaults.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest
import websockets

from src.brokers.kraken_adapter import KrakenAdapter
from src.venues.kraken_paper import PaperExchange

pytestmark = pytest.mark.integration


async def _frame(ws: Any, timeout: float = 5.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        frame: dict[str, Any] = json.loads(await ws.recv(), parse_float=Decimal)
        return frame


async def _executions(ws: Any, token: str, req_id: int, **options: Any) -> dict[str, Any]:
    params = {"channel": "executions", "token": token, "snap_orders": False, **options}
    await ws.send(json.dumps({"method": "subscribe", "params": params, "req_id": req_id}))
    while True:
        frame = await _frame(ws)
        if frame.get("method") == "subscribe":
            return frame


async def _reports_until_filled(ws: Any, frames: list[dict[str, Any]]) -> None:
    while not any(r.get("exec_type") == "filled" for f in frames for r in f.get("data", [])):
        frame = await _frame(ws)
        if frame.get("channel") == "executions" or frame.get("method") == "add_order":
            frames.append(frame)


async def test_order_status_false_streams_open_close_transitions_and_every_fill(
    exchange: PaperExchange,
) -> None:
    """Kraken: with ``order_status: false`` only the open/close transitions (new, filled,
    canceled, expired) are streamed; fills still are. A default subscription gets them all."""
    async with KrakenAdapter(exchange.api_key, exchange.api_secret, exchange.rest_url) as rest:
        token = (await rest.get_websockets_token())["token"]
    async with (
        websockets.connect(exchange.ws_auth_url) as terse,
        websockets.connect(exchange.ws_auth_url) as full,
    ):
        ack = await _executions(terse, token, 1, order_status=False)
        assert ack["success"] and set(ack["result"]) == {
            "channel", "snap_orders", "snap_trades", "maxratecount"
        }  # fmt: skip
        assert (await _executions(full, token, 2))["success"]
        order = {"order_type": "limit", "side": "buy", "order_qty": 0.1, "symbol": "BTC/USD",
                 "limit_price": 29000.0, "cl_ord_id": "status-1", "token": token}  # fmt: skip
        await terse.send(json.dumps({"method": "add_order", "params": order, "req_id": 3}))
        got: dict[str, list[dict[str, Any]]] = {"terse": [], "full": []}
        while not any(f.get("method") == "add_order" for f in got["terse"]):
            frame = await _frame(terse)
            if frame.get("channel") in ("executions", None):
                got["terse"].append(frame)
        exchange.drive("XBTUSD", "28990.0", qty="0.04")
        exchange.drive("XBTUSD", "28980.0", qty="1")
        await _reports_until_filled(terse, got["terse"])
        await _reports_until_filled(full, got["full"])

    def kinds(frames: list[dict[str, Any]]) -> list[str]:
        return [r["exec_type"] for f in frames if "data" in f for r in f["data"]]

    assert kinds(got["full"]) == ["pending_new", "new", "trade", "trade", "filled"]
    assert kinds(got["terse"]) == ["new", "trade", "trade", "filled"]
    reply = next(f for f in got["terse"] if f.get("method") == "add_order")
    assert reply["success"] and reply["result"]["cl_ord_id"] == "status-1"
    fills = [r for f in got["terse"] if "data" in f for r in f["data"] if "exec_id" in r]
    assert sum(r["last_qty"] for r in fills) == Decimal("0.1")
    new = next(r for f in got["terse"] if "data" in f for r in f["data"])
    # the first report the terse client sees still says what the order is
    assert (new["symbol"], new["side"], new["order_qty"]) == ("BTC/USD", "buy", Decimal("0.1"))
    # sequence numbers count what this connection was sent: no holes where reports were left out
    sequences = [f["sequence"] for f in got["terse"] if f.get("channel") == "executions"]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))


async def test_frames_queued_together_arrive_complete_and_in_order(exchange: PaperExchange) -> None:
    """Reports and the reply queued at once leave corked in one write, each its own frame."""
    async with KrakenAdapter(exchange.api_key, exchange.api_secret, exchange.rest_url) as rest:
        token = (await rest.get_websockets_token())["token"]
    async with websockets.connect(exchange.ws_auth_url) as ws:
        assert (await _executions(ws, token, 1))["success"]
        for req_id in range(2, 7):
            order = {"order_type": "limit", "side": "buy", "order_qty": 0.001,
                     "symbol": "BTC/USD", "limit_price": 1000.0, "token": token}  # fmt: skip
            await ws.send(json.dumps({"method": "add_order", "params": order, "req_id": req_id}))
        seen: list[tuple[str, Any]] = []
        while len([s for s in seen if s[0] == "reply"]) < 5:
            frame = await _frame(ws)
            if frame.get("method") == "add_order":
                seen.append(("reply", frame["req_id"]))
            elif frame.get("channel") == "executions":
                seen.extend((r["exec_type"], r["order_id"]) for r in frame["data"])
    replies = [s[1] for s in seen if s[0] == "reply"]
    assert replies == [2, 3, 4, 5, 6]
    # each order's reports come before its reply, pending_new before new
    kinds = [s[0] for s in seen]
    assert kinds == ["pending_new", "new", "reply"] * 5


async def test_asset_pairs_wsnames_are_krakens(exchange: PaperExchange) -> None:
    """The soak found ETH/USD with wsname XETH/ZUSD; Kraken's AssetPairs says ETH/USD."""
    async with KrakenAdapter(exchange.api_key, exchange.api_secret, exchange.rest_url) as rest:
        pairs = await rest.get_asset_pairs()
    rows = {key: (row["altname"], row["wsname"]) for key, row in pairs.items()}
    assert rows["XETHZUSD"] == ("ETHUSD", "ETH/USD")
    assert rows["XXBTZUSD"] == ("XBTUSD", "XBT/USD")
    assert rows["SOLUSD"] == ("SOLUSD", "SOL/USD")
    with open("data/kraken-universe/AssetPairs_2021-04-17.json") as fh:
        reference = json.load(fh)
    reference = reference.get("result", reference)
    reference = {k: r for k, r in reference.items() if "wsname" in r}  # dark pools have none
    both = set(rows) & set(reference)
    assert len(both) > 250  # the pairs of 2021 still listed in 2024
    assert {k: rows[k][1] for k in both} == {k: reference[k]["wsname"] for k in both}
    # pairs listed since: a legacy asset code (XETH, ZUSD...) never stands in a v1 name
    legacy = {r[side] for r in reference.values() for side in ("base", "quote")}
    legacy -= {part for r in reference.values() for part in r["wsname"].split("/")}
    later = [rows[k][1] for k in set(rows) - both]
    assert later and "XETH" in legacy and "ZUSD" in legacy
    assert [n for n in later if set(n.split("/")) & legacy] == []

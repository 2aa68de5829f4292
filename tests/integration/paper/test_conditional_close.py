"""Conditional close orders (OTO) on the paper exchange: REST close[...] and WS conditional."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import websockets

from src.venues.kraken_paper import PaperExchange
from tests.integration.paper.kraken_client import Client


def _close(ordertype: str, price: str | None = None) -> dict[str, Any]:
    """Form fields of conditional close terms, as python-kraken-sdk and ccxt send them."""
    out: dict[str, Any] = {"close[ordertype]": ordertype}
    if price is not None:
        out["close[price]"] = price
    return out


async def _open(client: Client) -> dict[str, Any]:
    result: dict[str, Any] = (await client.ok("OpenOrders"))["open"]
    return result


async def test_each_fill_places_a_close_order_of_its_size(
    client: Client, exchange: PaperExchange
) -> None:
    res = await client.ok(
        "AddOrder", pair="XBTUSD", type="buy", ordertype="limit", volume="0.3", price="29000.0",
        userref=77, **_close("limit", "31000.0"),
    )  # fmt: skip
    assert res["descr"] == {
        "order": "buy 0.30000000 XBTUSD @ limit 29000.0",
        "close": "close position @ limit 31000.0",
    }
    primary = res["txid"][0]
    assert (await _open(client))[primary]["descr"]["close"] == "close position @ limit 31000.0"
    exchange.drive("XBTUSD", "29000.0", qty="0.1")  # a partial fill: a close of 0.1
    exchange.drive("XBTUSD", "29000.0", qty="0.5")  # the rest: a close of 0.2
    opened = await _open(client)
    closes = [o for o in opened.values() if o["refid"] == primary]
    assert sorted(o["vol"] for o in closes) == ["0.10000000", "0.20000000"]
    assert all(o["descr"]["order"].startswith("sell ") for o in closes)
    assert all(o["descr"]["order"].endswith("XBTUSD @ limit 31000.0") for o in closes)
    assert all(o["userref"] == 77 and o["descr"]["close"] == "" for o in closes)
    held = (await client.ok("BalanceEx"))["XXBT"]["hold_trade"]
    assert Decimal(held) == Decimal("0.3")  # the close orders hold the bought base
    exchange.drive("XBTUSD", "31000.0", qty="1")
    assert await _open(client) == {}
    closed = (await client.ok("ClosedOrders"))["closed"]
    assert [o["status"] for o in closed.values() if o["refid"] == primary] == ["closed"] * 2


async def test_stop_loss_limit_close_as_json_and_its_checks(
    client: Client, exchange: PaperExchange
) -> None:
    close = {"ordertype": "stop-loss-limit", "price": "28000.0", "price2": "27900.0"}
    res = await client.ok(
        "AddOrder", json_body=True, pair="XBTUSD", type="buy", ordertype="market",
        volume="0.01", close=close,
    )  # fmt: skip
    assert res["descr"]["close"] == "close position @ stop loss 28000.0 -> limit 27900.0"
    (stop,) = (await _open(client)).values()
    assert (stop["descr"]["ordertype"], stop["refid"]) == ("stop-loss-limit", res["txid"][0])
    exchange.drive("XBTUSD", "27990.0", qty="0.005", side="sell")  # triggers, rests at 27900
    exchange.drive("XBTUSD", "27900.0", qty="1", side="sell")
    assert await _open(client) == {}
    for close_terms, error in (
        (_close("limit"), "close[price]"),
        (_close("market", "1"), "close[ordertype]"),
        (_close("take-profit-limit", "31000.0"), "close[price2]"),
        (_close("limit", "31000.05"), None),
    ):
        out = await client.private(
            "AddOrder", pair="XBTUSD", type="buy", ordertype="limit", volume="0.01",
            price="29000.0", **close_terms,
        )  # fmt: skip
        if error:
            assert out == {"error": [f"EGeneral:Invalid arguments:{error}"]}, close_terms
        else:
            assert out["error"][0].startswith("EOrder:Invalid price:XXBTZUSD price can only")


async def test_an_unfunded_close_is_born_canceled(exchange: PaperExchange) -> None:
    account = exchange.create_account({"XBT": "0.5"}, "closer")
    key, secret = exchange.create_api_key(account=account)
    client = Client(exchange.rest_url, key, secret)
    try:
        res = await client.ok(
            "AddOrder", pair="XBTUSD", type="sell", ordertype="limit", volume="0.5",
            price="30100.0", **_close("limit", "31000.0"),
        )  # fmt: skip
        exchange.drive("XBTUSD", "30100.0", qty="1")  # sells for ~15,050 USD: 15,500 needed
        closed = (await client.ok("ClosedOrders"))["closed"]
        (close,) = [o for o in closed.values() if o["refid"] == res["txid"][0]]
        assert (close["status"], close["reason"]) == ("canceled", "Insufficient funds")
    finally:
        await client.aclose()


async def test_ws_conditional_places_a_close_visible_in_executions(
    client: Client, exchange: PaperExchange
) -> None:
    token = (await client.ok("GetWebSocketsToken"))["token"]
    async with websockets.connect(exchange.ws_auth_url) as ws:
        sub = {"channel": "executions", "token": token, "snap_orders": False}
        await ws.send(json.dumps({"method": "subscribe", "params": sub}))
        order = {
            "order_type": "limit", "side": "buy", "order_qty": 0.02, "symbol": "BTC/USD",
            "limit_price": 29000, "token": token,
            "conditional": {"order_type": "take-profit-limit", "trigger_price": 31000,
                            "limit_price": 30900},
        }  # fmt: skip
        await ws.send(json.dumps({"method": "add_order", "params": order, "req_id": 3}))
        reports: list[dict[str, Any]] = []
        async with asyncio.timeout(5):
            while not any(r.get("method") == "add_order" for r in reports):
                reports.append(json.loads(await ws.recv()))
            primary = next(r for r in reports if r.get("method") == "add_order")
            exchange.drive("XBTUSD", "29000.0", qty="1")
            seen: list[dict[str, Any]] = []
            while not any(e.get("order_type") == "take-profit-limit" for e in seen):
                frame = json.loads(await ws.recv())
                if frame.get("channel") == "executions":
                    seen += frame["data"]
    assert primary["success"] is True
    close = next(e for e in seen if e.get("order_type") == "take-profit-limit")
    assert (close["side"], close["order_qty"], close["exec_type"]) == ("sell", 0.02, "pending_new")
    assert close["order_id"] != primary["result"]["order_id"]
    opened = await _open(client)
    assert opened[close["order_id"]]["refid"] == primary["result"]["order_id"]
    assert opened[close["order_id"]]["descr"]["price2"] == "30900.0"

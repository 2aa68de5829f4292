"""Order features on the paper exchange: relative prices, trailing stops, scheduled starts,
expiry, deadlines and iceberg orders, over REST and WS v2."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import websockets

from src.core.clock import ManualClock
from src.venues.kraken_paper import PaperExchange
from tests.integration.paper.kraken_client import Client


async def _order(client: Client, txid: str) -> dict[str, Any]:
    result: dict[str, Any] = (await client.ok("QueryOrders", txid=txid))[txid]
    return result


async def _add(client: Client, **params: Any) -> str:
    res = await client.ok("AddOrder", pair="XBTUSD", **params)
    txid: str = res["txid"][0]
    return txid


async def test_relative_prices(client: Client, exchange: PaperExchange) -> None:
    exchange.drive("XBTUSD", "30000.0")
    for side, price, want in (
        ("buy", "-1%", "29700.0"), ("buy", "#100", "29900.0"), ("sell", "+50", "30050.0"),
        ("sell", "#0.5%", "30150.0"),
    ):  # fmt: skip
        txid = await _add(client, type=side, ordertype="limit", volume="0.01", price=price)
        assert (await _order(client, txid))["descr"]["price"] == want, price
    stop = await _add(client, type="sell", ordertype="stop-loss", volume="0.01", price="#2%")
    assert (await _order(client, stop))["descr"]["price"] == "29400.0"  # a sell stop: below
    out = await client.private("AddOrder", pair="XBTUSD", type="buy", ordertype="limit",
                               volume="0.01", price="+x")  # fmt: skip
    assert out == {"error": ["EGeneral:Invalid arguments:price"]}


async def test_trailing_stop_follows_the_high_then_fires(
    client: Client, exchange: PaperExchange
) -> None:
    exchange.drive("XBTUSD", "30000.0")
    txid = await _add(client, type="sell", ordertype="trailing-stop", volume="0.01", price="+100")
    order = await _order(client, txid)
    assert order["descr"]["order"] == "sell 0.01000000 XBTUSD @ trailing stop +100.0"
    assert (order["descr"]["price"], order["stopprice"]) == ("+100.0", "29900.0")
    for price in ("30300.0", "30500.0", "30450.0"):  # up, up, a dip that stays above
        exchange.drive("XBTUSD", price, qty="0.01")
    order = await _order(client, txid)
    assert (order["status"], order["stopprice"]) == ("open", "30400.0")  # under the high
    exchange.drive("XBTUSD", "30400.0", qty="0.01", side="sell")
    order = await _order(client, txid)
    assert order["status"] == "closed" and "stopped" in order["misc"]
    bare: dict[str, Any] = {
        "type": "sell",
        "ordertype": "trailing-stop",
        "volume": "0.01",
        "price": "100",
    }
    out = await client.private("AddOrder", pair="XBTUSD", **bare)
    assert out == {"error": ["EGeneral:Invalid arguments:price"]}  # a trail needs its ``+``


async def test_trailing_stop_limit_rests_at_its_offset(
    client: Client, exchange: PaperExchange
) -> None:
    exchange.drive("XBTUSD", "30000.0")
    txid = await _add(client, type="sell", ordertype="trailing-stop-limit", volume="0.01",
                      price="+1%", price2="+50")  # fmt: skip
    order = await _order(client, txid)
    assert order["descr"]["order"] == (
        "sell 0.01000000 XBTUSD @ trailing stop limit +1.0000% -> limit +50.0"
    )
    exchange.drive("XBTUSD", "31000.0", qty="0.01")  # trigger follows to 30690.0
    exchange.drive("XBTUSD", "30690.0", qty="0.005", side="sell")  # fires: limit 30740.0
    order = await _order(client, txid)
    assert order["status"] == "open" and order["limitprice"] == "30740.0"  # rests above
    exchange.drive("XBTUSD", "30740.0", qty="1", side="buy")
    order = await _order(client, txid)
    assert order["status"] == "closed" and Decimal(order["price"]) == Decimal("30740")


async def test_scheduled_start_and_expiry(
    client: Client, exchange: PaperExchange, clock: ManualClock
) -> None:
    exchange.drive("XBTUSD", "30000.0")
    txid = await _add(client, type="buy", ordertype="limit", volume="0.01", price="29000.0",
                      starttm="+60", expiretm="+3600")  # fmt: skip
    order = await _order(client, txid)
    assert order["status"] == "pending" and order["starttm"] > 0 and order["expiretm"] > 0
    exchange.drive("XBTUSD", "28900.0", qty="1", side="sell")  # not live yet: no fill
    assert (await _order(client, txid))["vol_exec"] == "0.00000000"
    clock.advance(61)
    exchange.drive("XBTUSD", "30000.0", qty="0.01")  # the step starts it
    assert (await _order(client, txid))["status"] == "open"
    gtc = await _add(client, type="buy", ordertype="limit", volume="0.01", price="28000.0",
                     expiretm="+30")  # fmt: skip
    clock.advance(31)
    exchange.drive("XBTUSD", "30000.0", qty="0.01")
    assert (await _order(client, gtc))["status"] == "expired"  # expiretm binds a GTC order too
    late: dict[str, Any] = {"type": "buy", "ordertype": "limit", "volume": "0.01",
                            "price": "28000.0", "starttm": "+60", "expiretm": "+30"}  # fmt: skip
    out = await client.private("AddOrder", pair="XBTUSD", **late)
    assert out == {"error": ["EGeneral:Invalid arguments:expiretm"]}  # expires before it starts


async def test_deadline(client: Client, exchange: PaperExchange) -> None:
    now = datetime.fromtimestamp(exchange.now(), UTC)

    def at(seconds: float) -> str:
        return (now + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")

    base: dict[str, Any] = {
        "type": "buy",
        "ordertype": "limit",
        "volume": "0.01",
        "price": "29000.0",
    }
    assert await _add(client, deadline=at(30), **base)
    late = await client.private("AddOrder", pair="XBTUSD", deadline=at(-1), **base)
    assert late == {"error": ["EService:Deadline elapsed"]}
    far = await client.private("AddOrder", pair="XBTUSD", deadline=at(120), **base)
    assert far == {"error": ["EGeneral:Invalid arguments:deadline"]}


async def test_iceberg_order(client: Client) -> None:
    txid = await _add(client, type="buy", ordertype="iceberg", volume="0.3", price="29000.0",
                      displayvol="0.02")  # fmt: skip
    assert (await _order(client, txid))["descr"]["order"] == (
        "buy 0.30000000 XBTUSD @ iceberg 29000.0"
    )
    for shown in ("0.019", "0.4"):  # under 1/15 of the volume, or above all of it
        out = await client.private("AddOrder", pair="XBTUSD", type="buy", ordertype="iceberg",
                                   volume="0.3", price="29000.0", displayvol=shown)  # fmt: skip
        assert out == {"error": ["EGeneral:Invalid arguments:displayvol"]}, shown


async def test_ws_trailing_pct_iceberg_and_effective_time(
    client: Client, exchange: PaperExchange
) -> None:
    exchange.drive("XBTUSD", "30000.0")
    token = (await client.ok("GetWebSocketsToken"))["token"]
    start = datetime.fromtimestamp(exchange.now() + 120, UTC).isoformat().replace("+00:00", "Z")
    orders = [
        {"order_type": "trailing-stop", "side": "sell", "order_qty": 0.01, "symbol": "BTC/USD",
         "triggers": {"reference": "last", "price": 2, "price_type": "pct"}},
        {"order_type": "iceberg", "side": "buy", "order_qty": 0.3, "symbol": "BTC/USD",
         "limit_price": 29000, "display_qty": 0.02, "effective_time": start},
    ]  # fmt: skip
    async with websockets.connect(exchange.ws_auth_url) as ws:
        for req_id, order in enumerate(orders):
            msg = {"method": "add_order", "params": {**order, "token": token}, "req_id": req_id}
            await ws.send(json.dumps(msg))
        replies: list[dict[str, Any]] = []
        async with asyncio.timeout(5):
            while len(replies) < 2:
                frame = json.loads(await ws.recv())
                if frame.get("method") == "add_order":
                    replies.append(frame)
    assert all(r["success"] for r in replies), replies
    trail, iceberg = (exchange.engine.orders[r["result"]["order_id"]] for r in replies)
    assert (trail.trail, trail.trail_pct, trail.price) == (Decimal(2), True, Decimal("29400.0"))
    assert (iceberg.display_qty, iceberg.status) == (Decimal("0.02"), "pending")

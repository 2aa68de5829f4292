"""Order entry, matching, fills, holds and order queries over real loopback sockets."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from src.venues.kraken_paper import PaperExchange
from tests.integration.paper.kraken_client import Client

SMALL: dict[str, Any] = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.05"}
BUY_LIMIT: dict[str, Any] = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.1"}


async def _order(client: Client, txid: str) -> Any:
    return (await client.ok("QueryOrders", txid=txid, trades="true"))[txid]


async def test_limit_rests_holds_then_partial_and_full_fill(
    client: Client, exchange: PaperExchange
) -> None:
    res = await client.ok("AddOrder", price="29000.0", userref=7, **BUY_LIMIT)
    assert res["descr"]["order"] == "buy 0.10000000 XBTUSD @ limit 29000.0"
    (txid,) = res["txid"]
    assert txid[0] == "O" and [len(p) for p in txid.split("-")] == [6, 5, 6]
    bal = await client.ok("BalanceEx")
    # hold = notional + taker fee at 0.40 %
    assert bal["ZUSD"] == {"balance": "10000.0000", "hold_trade": "2911.6000"}
    exchange.drive("XBTUSD", "28990.0", qty="0.04")
    order = await _order(client, txid)
    assert (order["status"], order["vol_exec"], order["cost"]) == (
        "open",
        "0.04000000",
        "1160.00000",
    )
    assert order["fee"] == "2.90000"  # maker 0.25 %
    exchange.drive("XBTUSD", "28950.0", qty="5")
    order = await _order(client, txid)
    assert order["status"] == "closed" and order["vol_exec"] == "0.10000000"
    assert Decimal(order["price"]) == Decimal("29000") and len(order["trades"]) == 2
    bal = await client.ok("Balance")
    assert bal["ZUSD"] == "7092.7500" and bal["XXBT"] == "0.6000000000"
    trades = (await client.ok("TradesHistory"))["trades"]
    assert {t["ordertxid"] for t in trades.values()} == {txid}
    assert all(t["maker"] and t["pair"] == "XXBTZUSD" for t in trades.values())


async def test_market_order_walks_book_with_slippage(
    client: Client, exchange: PaperExchange
) -> None:
    asks = (await client.public("Depth", pair="XBTUSD", count=3))["result"]["XXBTZUSD"]["asks"]
    top_qty = Decimal(asks[0][1])
    vol = top_qty + Decimal("0.01")
    res = await client.ok(
        "AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume=str(vol)
    )
    order = await _order(client, res["txid"][0])
    assert order["status"] == "closed" and Decimal(order["vol_exec"]) == vol
    assert Decimal(asks[0][0]) < Decimal(order["price"]) < Decimal(asks[1][0])
    taker_fee = (Decimal(order["cost"]) * Decimal("0.004")).quantize(Decimal("0.0001"))
    assert abs(Decimal(order["fee"]) - taker_fee) <= Decimal("0.0002")
    assert res["descr"]["order"] == f"buy {vol:.8f} XBTUSD @ market"


async def test_post_only_rejected_when_crossing(client: Client) -> None:
    out = await client.private("AddOrder", price="31000.0", oflags="post", **BUY_LIMIT)
    assert out == {"error": ["EOrder:Post only order"]}
    ok = await client.ok("AddOrder", price="29000.0", oflags="post", **BUY_LIMIT)
    assert ok["txid"]


async def test_ioc_remainder_canceled(client: Client) -> None:
    depth = (await client.public("Depth", pair="XBTUSD", count=1))["result"]["XXBTZUSD"]
    best, qty = Decimal(depth["asks"][0][0]), Decimal(depth["asks"][0][1])
    res = await client.ok(
        "AddOrder", pair="XBTUSD", type="buy", ordertype="limit", price=str(best),
        volume=str(qty + Decimal("0.01")), timeinforce="IOC",
    )  # fmt: skip
    order = await _order(client, res["txid"][0])
    assert order["status"] == "canceled" and Decimal(order["vol_exec"]) == qty


async def test_gtd_expires(client: Client, exchange: PaperExchange) -> None:
    res = await client.ok(
        "AddOrder", price="29000.0", timeinforce="GTD", expiretm="+10", **BUY_LIMIT
    )
    txid = res["txid"][0]
    exchange.clock.advance(11)  # type: ignore[attr-defined]
    await client.ok("Balance")  # any private call runs due timers
    order = await _order(client, txid)
    assert order["status"] == "expired" and order["expiretm"] > 0


async def test_stop_loss_and_take_profit_trigger(client: Client, exchange: PaperExchange) -> None:
    stop = await client.ok(
        "AddOrder", pair="XBTUSD", type="sell", ordertype="stop-loss", price="29500.0", volume="0.1"
    )
    tp = await client.ok(
        "AddOrder", pair="XBTUSD", type="sell", ordertype="take-profit-limit", price="31000.0",
        price2="30900.0", volume="0.1",
    )  # fmt: skip
    assert tp["descr"]["order"] == "sell 0.10000000 XBTUSD @ take profit 31000.0 -> limit 30900.0"
    exchange.drive("XBTUSD", "29800.0")
    assert (await _order(client, stop["txid"][0]))["status"] == "open"
    exchange.drive("XBTUSD", "29400.0")
    order = await _order(client, stop["txid"][0])
    assert order["status"] == "closed" and "stopped" in order["misc"]
    assert Decimal(order["price"]) < Decimal("29400")
    exchange.drive("XBTUSD", "31200.0")
    order = await _order(client, tp["txid"][0])
    assert order["status"] == "closed" and Decimal(order["price"]) >= Decimal("30900")


async def test_minimums_precision_and_funds(client: Client) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"volume": "0.00001", "price": "30000.0"}, "EOrder:Order minimum not met"),
        ({"volume": "0.0001", "price": "100.0"}, "EOrder:Cost minimum not met"),
        ({"volume": "0.1", "price": "29000.05"},
         "EOrder:Invalid price:XXBTZUSD price can only be specified up to 1 decimals."),
        ({"volume": "0.123456789", "price": "29000.0"}, "EGeneral:Invalid arguments:volume"),
        ({"volume": "1", "price": "29000.0"}, "EOrder:Insufficient funds"),
    ]  # fmt: skip
    for params, error in cases:
        out = await client.private(
            "AddOrder", pair="XBTUSD", type="buy", ordertype="limit", **params
        )
        assert out == {"error": [error]}, params
    out = await client.private(
        "AddOrder", pair="XRPUSD", type="buy", ordertype="limit", volume="20", price="0.500005"
    )
    assert out["error"] == [
        "EOrder:Invalid price:XXRPZUSD price can only be specified up to 5 decimals."
    ]
    sell = await client.private(
        "AddOrder", pair="XBTUSD", type="sell", ordertype="limit", volume="0.6", price="40000.0"
    )
    assert sell == {"error": ["EOrder:Insufficient funds"]}


async def test_validate_creates_nothing(client: Client) -> None:
    res = await client.ok("AddOrder", price="29000.0", validate="true", **BUY_LIMIT)
    assert "txid" not in res and res["descr"]["order"].startswith("buy 0.10000000 XBTUSD")
    assert (await client.ok("OpenOrders"))["open"] == {}


async def test_cancel_by_txid_userref_and_cl_ord_id(client: Client) -> None:
    a = (await client.ok("AddOrder", price="29000.0", userref=42, **SMALL))["txid"][0]
    b = (await client.ok("AddOrder", price="28000.0", userref=42, **SMALL))["txid"][0]
    c = (await client.ok("AddOrder", price="27000.0", cl_ord_id="my-order-1", **SMALL))["txid"][0]
    d = (await client.ok("AddOrder", price="26000.0", **SMALL))["txid"][0]
    assert set((await client.ok("OpenOrders", userref=42))["open"]) == {a, b}
    assert await client.ok("CancelOrder", txid="42") == {"count": 2}
    assert await client.ok("CancelOrder", cl_ord_id="my-order-1") == {"count": 1}
    assert await client.ok("CancelOrder", txid=d) == {"count": 1}
    assert await client.private("CancelOrder", txid=d) == {"error": ["EOrder:Unknown order"]}
    closed = await client.ok("ClosedOrders")
    assert closed["count"] == 4 and closed["closed"][c]["status"] == "canceled"
    assert closed["closed"][c]["reason"] == "User requested"


async def test_cl_ord_id_unique_among_open(client: Client) -> None:
    await client.ok("AddOrder", price="29000.0", cl_ord_id="dup", **BUY_LIMIT)
    out = await client.private("AddOrder", price="28000.0", cl_ord_id="dup", **BUY_LIMIT)
    assert out == {"error": ["EGeneral:Invalid arguments:cl_ord_id"]}


async def test_amend_keeps_txid(client: Client, exchange: PaperExchange) -> None:
    txid = (await client.ok("AddOrder", price="29000.0", **BUY_LIMIT))["txid"][0]
    res = await client.ok("AmendOrder", txid=txid, order_qty="0.2", limit_price="29100.0")
    assert res["amend_id"].startswith("T")
    order = await _order(client, txid)
    assert order["vol"] == "0.20000000" and order["descr"]["price"] == "29100.0"
    assert "amended" in order["misc"]
    hold = Decimal((await client.ok("BalanceEx"))["ZUSD"]["hold_trade"])
    assert hold == Decimal("0.2") * Decimal("29100") * Decimal("1.004")
    out = await client.private("AmendOrder", txid=txid, limit_price="31000.0", post_only="true")
    assert out == {"error": ["EOrder:Post only order"]}


async def test_edit_replaces_with_new_txid(client: Client) -> None:
    old = (await client.ok("AddOrder", price="29000.0", userref=3, **BUY_LIMIT))["txid"][0]
    res = await client.ok("EditOrder", txid=old, pair="XBTUSD", price="28500.0", volume="0.05")
    assert res["status"] == "ok" and res["originaltxid"] == old and res["txid"] != old
    assert res["descr"]["order"] == "buy 0.05000000 XBTUSD @ limit 28500.0"
    assert (await _order(client, old))["status"] == "canceled"
    assert (await _order(client, res["txid"]))["userref"] == 3


async def test_batch_add_and_cancel(client: Client) -> None:
    orders = [
        {"ordertype": "limit", "type": "buy", "volume": "0.01", "price": "28000.0"},
        {"ordertype": "limit", "type": "sell", "volume": "0.01", "price": "32000.0",
         "cl_ord_id": "s1"},
    ]  # fmt: skip
    res = await client.ok("AddOrderBatch", json_body=True, pair="XBTUSD", orders=orders)
    txids = [o["txid"] for o in res["orders"]]
    assert len(txids) == 2
    bad = [*orders, {"ordertype": "limit", "type": "buy", "volume": "abc", "price": "1.0"}]
    out = await client.private("AddOrderBatch", json_body=True, pair="XBTUSD", orders=bad)
    assert out == {"error": ["EGeneral:Invalid arguments:volume"]}
    assert len((await client.ok("OpenOrders"))["open"]) == 2
    res = await client.ok("CancelOrderBatch", json_body=True, orders=[txids[0], {"txid": txids[1]}])
    assert res == {"count": 2}


async def test_batch_add_form_encoded_brackets(client: Client) -> None:
    form: dict[str, Any] = {"pair": "XBTUSD"}
    for i, price in enumerate(("28000.0", "27000.0")):
        form |= {f"orders[{i}][ordertype]": "limit", f"orders[{i}][type]": "buy",
                 f"orders[{i}][volume]": "0.01", f"orders[{i}][price]": price}  # fmt: skip
    res = await client.ok("AddOrderBatch", **form)
    assert [o["descr"]["order"] for o in res["orders"]] == [
        "buy 0.01000000 XBTUSD @ limit 28000.0", "buy 0.01000000 XBTUSD @ limit 27000.0",
    ]  # fmt: skip


async def test_cancel_all_and_dead_man_switch(client: Client, exchange: PaperExchange) -> None:
    for price in ("29000.0", "28000.0"):
        await client.ok("AddOrder", price=price, **BUY_LIMIT)
    assert await client.ok("CancelAll") == {"count": 2}
    await client.ok("AddOrder", price="29000.0", **BUY_LIMIT)
    res = await client.ok("CancelAllOrdersAfter", timeout=60)
    assert res["currentTime"].endswith("Z") and res["triggerTime"] > res["currentTime"]
    exchange.clock.advance(30)  # type: ignore[attr-defined]
    await exchange.step(1)
    assert len((await client.ok("OpenOrders"))["open"]) == 1
    exchange.clock.advance(31)  # type: ignore[attr-defined]
    await exchange.step(1)
    assert (await client.ok("OpenOrders"))["open"] == {}


async def test_closed_orders_paging(client: Client, exchange: PaperExchange) -> None:
    exchange.service.limits.enabled = False
    for i in range(55):
        txid = (await client.ok("AddOrder", price=f"{20000 + i}.0", **BUY_LIMIT))["txid"][0]
        await client.ok("CancelOrder", txid=txid)
        exchange.clock.advance(0.01)  # type: ignore[attr-defined]
    first = await client.ok("ClosedOrders")
    second = await client.ok("ClosedOrders", ofs=50)
    assert first["count"] == second["count"] == 55
    assert len(first["closed"]) == 50 and len(second["closed"]) == 5
    assert not set(first["closed"]) & set(second["closed"])
    times = [o["closetm"] for o in first["closed"].values()]
    assert times == sorted(times, reverse=True)


async def test_trade_balance_and_open_positions(client: Client) -> None:
    tb = await client.ok("TradeBalance")
    assert Decimal(tb["eb"]) > Decimal("10000") and tb["e"] == tb["eb"]
    assert await client.ok("OpenPositions") == {}


async def test_viqc_and_fee_in_base(client: Client) -> None:
    res = await client.ok(
        "AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume="300", oflags="viqc,fcib"
    )
    order = await _order(client, res["txid"][0])
    assert order["status"] == "closed" and Decimal(order["cost"]) <= Decimal("300")
    assert Decimal(order["cost"]) > Decimal("299")
    ledger = (await client.ok("Ledgers", asset="XBT"))["ledger"]
    (entry,) = ledger.values()
    # fee charged in BTC: received volume minus taker fee
    assert Decimal(entry["fee"]) > 0
    assert Decimal(entry["amount"]) == Decimal(order["vol_exec"])
    assert Decimal((await client.ok("Balance"))["XXBT"]) == Decimal("0.5") + Decimal(
        entry["amount"]
    ) - Decimal(entry["fee"])
    by_id = await client.ok("QueryLedgers", id=next(iter(ledger)))
    assert list(by_id) == list(ledger)


async def test_fee_tier_follows_30_day_volume(client: Client, exchange: PaperExchange) -> None:
    spec = exchange.markets["XXBTZUSD"].spec
    assert [spec.fee_percent(Decimal(v), maker=False) for v in (0, 9999, 10000, 60000)] == [
        Decimal("0.40"), Decimal("0.40"), Decimal("0.35"), Decimal("0.24"),
    ]  # fmt: skip
    exchange.engine.accounts["demo"].volume_usd = Decimal("60000")
    vol = await client.ok("TradeVolume", pair="XBTUSD")
    assert vol["fees"]["XXBTZUSD"] == {
        "fee": "0.2400", "minfee": "0.1000", "maxfee": "0.4000", "nextfee": "0.2200",
        "nextvolume": "100000.0000", "tiervolume": "50000.0000",
    }  # fmt: skip
    assert vol["fees_maker"]["XXBTZUSD"]["fee"] == "0.1400"
    res = await client.ok("AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume="0.01")
    order = await _order(client, res["txid"][0])
    expected = (Decimal(order["cost"]) * Decimal("0.0024")).quantize(Decimal("0.0001"), "ROUND_UP")
    assert Decimal(order["fee"]) == expected

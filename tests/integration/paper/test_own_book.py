"""Resting orders in the public book: depth, queue position, other accounts, STP, icebergs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from src.venues.kraken_paper import PaperExchange
from tests.integration.paper.kraken_client import Client
from tests.support.paper import PaperOptions, start_paper


async def _depth(client: Client) -> tuple[list[tuple[Decimal, Decimal]], ...]:
    book = (await client.public("Depth", pair="XBTUSD", count=50))["result"]["XXBTZUSD"]
    return tuple([(Decimal(p), Decimal(q)) for p, q, _ in book[side]] for side in ("bids", "asks"))


async def _order(client: Client, txid: str) -> dict[str, Any]:
    result: dict[str, Any] = (await client.ok("QueryOrders", txid=txid))[txid]
    return result


async def test_a_resting_order_waits_for_the_volume_ahead(
    client: Client, exchange: PaperExchange
) -> None:
    exchange.drive("XBTUSD", "30000.0")
    bids, _ = await _depth(client)
    price, ahead = bids[3]
    res = await client.ok("AddOrder", pair="XBTUSD", type="buy", ordertype="limit",
                          volume="0.2", price=str(price))  # fmt: skip
    txid = res["txid"][0]
    bids, _ = await _depth(client)
    assert dict(bids)[price] == ahead + Decimal("0.2")  # it is in the public book
    first = (ahead / 2).quantize(Decimal("0.00000001"))
    exchange.drive("XBTUSD", str(price), qty=str(first), side="sell")
    assert (await _order(client, txid))["vol_exec"] == "0.00000000"  # still behind
    exchange.drive("XBTUSD", str(price), qty=str(ahead - first + Decimal("0.05")), side="sell")
    assert Decimal((await _order(client, txid))["vol_exec"]) == Decimal("0.05")  # the excess
    exchange.drive("XBTUSD", str(price - Decimal("10")), qty="1", side="sell")  # through it
    assert (await _order(client, txid))["status"] == "closed"


async def test_takers_trade_with_other_accounts_resting_orders(
    client: Client, exchange: PaperExchange
) -> None:
    exchange.drive("XBTUSD", "30000.0")
    _, asks = await _depth(client)
    inside = asks[0][0] - Decimal("0.1")  # better than the market's best ask
    seller = exchange.create_account({"XBT": "1"}, "seller")
    key, secret = exchange.create_api_key(account=seller)
    other = Client(exchange.rest_url, key, secret)
    try:
        res = await other.ok("AddOrder", pair="XBTUSD", type="sell", ordertype="limit",
                             volume="0.05", price=str(inside))  # fmt: skip
        _, asks = await _depth(client)
        assert asks[0] == (inside, Decimal("0.05"))
        buy = await client.ok("AddOrder", pair="XBTUSD", type="buy", ordertype="market",
                              volume="0.05")  # fmt: skip
        sold = await _order(other, res["txid"][0])
        bought = await _order(client, buy["txid"][0])
        assert sold["status"] == bought["status"] == "closed"
        assert Decimal(sold["price"]) == Decimal(bought["price"]) == inside
        (maker,) = (await other.ok("TradesHistory"))["trades"].values()
        (taker,) = (await client.ok("TradesHistory"))["trades"].values()
        assert (maker["maker"], taker["maker"]) == (True, False)
    finally:
        await other.aclose()


async def test_self_trade_prevention(client: Client, exchange: PaperExchange) -> None:
    exchange.drive("XBTUSD", "30000.0")
    for stptype, taker_left, resting_left in (
        ("cancel-newest", "canceled", "open"), ("cancel-oldest", "closed", "canceled"),
        ("cancel-both", "canceled", "canceled"),
    ):  # fmt: skip
        _, asks = await _depth(client)
        inside = asks[0][0] - Decimal("0.1")
        rest = await client.ok("AddOrder", pair="XBTUSD", type="sell", ordertype="limit",
                               volume="0.01", price=str(inside))  # fmt: skip
        take = await client.ok("AddOrder", pair="XBTUSD", type="buy", ordertype="market",
                               volume="0.01", stptype=stptype)  # fmt: skip
        taker = await _order(client, take["txid"][0])
        resting = await _order(client, rest["txid"][0])
        assert (taker["status"], resting["status"]) == (taker_left, resting_left), stptype
        if taker_left == "canceled":
            assert taker["reason"] == "Self trade prevention" and taker["vol_exec"] == "0.00000000"
        await client.ok("CancelAll")


async def test_an_iceberg_shows_a_slice_and_refills_at_the_back(
    client: Client, exchange: PaperExchange
) -> None:
    exchange.drive("XBTUSD", "30000.0")
    bids, _ = await _depth(client)
    inside = bids[0][0] + Decimal("0.1")  # a new best bid: nothing ahead of it
    res = await client.ok("AddOrder", pair="XBTUSD", type="buy", ordertype="iceberg",
                          volume="0.3", price=str(inside), displayvol="0.02")  # fmt: skip
    bids, _ = await _depth(client)
    assert bids[0] == (inside, Decimal("0.02"))  # only the slice is shown
    exchange.drive("XBTUSD", str(inside), qty="0.02", side="sell")
    order = exchange.engine.orders[res["txid"][0]]
    assert order.vol_exec == Decimal("0.02") and order.shown_left == Decimal("0.02")
    bids, _ = await _depth(client)
    assert dict(bids)[inside] == Decimal("0.02")  # the next slice


async def test_a_new_price_is_a_new_place_in_the_queue(
    client: Client, exchange: PaperExchange
) -> None:
    exchange.drive("XBTUSD", "30000.0")
    bids, _ = await _depth(client)
    (first, ahead1), (second, ahead2) = bids[2], bids[4]
    res = await client.ok("AddOrder", pair="XBTUSD", type="buy", ordertype="limit",
                          volume="0.01", price=str(first))  # fmt: skip
    order = exchange.engine.orders[res["txid"][0]]
    assert order.ahead == ahead1
    await client.ok("AmendOrder", txid=order.txid, order_qty="0.02")  # same price: same place
    assert order.ahead == ahead1
    await client.ok("AmendOrder", txid=order.txid, limit_price=str(second))
    assert order.ahead == ahead2


async def test_resting_orders_are_in_the_book_after_a_restart(tmp_path: Path) -> None:
    options = PaperOptions({"XBTUSD": "30000.0"}, db_path=str(tmp_path / "paper.db"))
    async with start_paper(options) as ex:
        ex.service.add_order("demo", {"pair": "XBTUSD", "type": "buy", "ordertype": "limit",
                                      "volume": "0.3", "price": "29000.0"})  # fmt: skip
        ex.persist()
    async with start_paper(options.but()) as again:
        bids, _ = again.markets["XXBTZUSD"].book()
        assert (Decimal("29000.0"), Decimal("0.3")) in bids

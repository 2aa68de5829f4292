"""A third-party client (python-kraken-sdk) works against the paper exchange unchanged."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from kraken.spot import Market, Trade, User

from src.venues.kraken_paper import PaperExchange


async def test_python_kraken_sdk_calls(exchange: PaperExchange) -> None:
    url = exchange.rest_url
    key, secret = exchange.api_key, exchange.api_secret

    def run() -> tuple:  # type: ignore[type-arg]
        market = Market(url=url)
        user = User(key=key, secret=secret, url=url)
        trade = Trade(key=key, secret=secret, url=url)
        pairs = market.get_asset_pairs(pair="XBTUSD")
        ticker = market.get_ticker(pair="XBTUSD")
        book = market.get_order_book(pair="XBTUSD", count=5)
        balance = user.get_balance(currency="USD")
        order = trade.create_order(
            ordertype="limit", side="buy", pair="XBTUSD", volume="0.01", price="29000.0",
            userref=9,
        )  # fmt: skip
        opened = user.get_open_orders()
        cancel = trade.cancel_order(txid=order["txid"][0])
        batch = trade.create_order_batch(  # sent as JSON by the SDK
            orders=[
                {"ordertype": "limit", "type": "buy", "volume": "0.01", "price": "28000.0"},
                {"ordertype": "limit", "type": "buy", "volume": "0.01", "price": "27000.0"},
            ],
            pair="XBTUSD",
        )
        edit = trade.edit_order(txid=batch["orders"][0]["txid"], pair="XBTUSD", price="28500.0")
        batch_cancel = trade.cancel_order_batch(orders=[edit["txid"], batch["orders"][1]["txid"]])
        return pairs, ticker, book, balance, order, opened, cancel, edit, batch_cancel

    result = await asyncio.to_thread(run)
    pairs, ticker, book, balance, order, opened, cancel, edit, batch_cancel = result
    assert pairs["XXBTZUSD"]["altname"] == "XBTUSD"
    assert Decimal(ticker["XXBTZUSD"]["c"][0]) > 0
    assert len(book["XXBTZUSD"]["asks"]) == 5
    assert Decimal(str(balance["balance"])) == Decimal("10000")
    assert order["descr"]["order"] == "buy 0.01000000 XBTUSD @ limit 29000.0"
    assert list(opened["open"]) == order["txid"]
    assert cancel == {"count": 1}
    assert edit["descr"]["order"] == "buy 0.01000000 XBTUSD @ limit 28500.0"
    assert batch_cancel == {"count": 2}
    assert exchange.engine.open_orders() == []

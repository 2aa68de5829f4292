"""A third-party client (python-kraken-sdk) works against the paper exchange unchanged."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from kraken.spot import Market, Trade, User

from src.brokers.paper import PaperExchange


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
        return pairs, ticker, book, balance, order, opened, cancel

    pairs, ticker, book, balance, order, opened, cancel = await asyncio.to_thread(run)
    assert pairs["XXBTZUSD"]["altname"] == "XBTUSD"
    assert Decimal(ticker["XXBTZUSD"]["c"][0]) > 0
    assert len(book["XXBTZUSD"]["asks"]) == 5
    assert Decimal(str(balance["balance"])) == Decimal("10000")
    assert order["descr"]["order"] == "buy 0.01000000 XBTUSD @ limit 29000.0"
    assert list(opened["open"]) == order["txid"]
    assert cancel == {"count": 1}

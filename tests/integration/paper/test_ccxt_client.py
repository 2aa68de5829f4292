"""Third-party clients run unchanged against the paper exchange over loopback: ccxt, and
python-kraken-sdk on the features added for issue 14 (the SDK's basics: test_sdk_client.py)."""

from __future__ import annotations

import asyncio
import decimal
import time
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import pytest
from kraken.spot import Market, Trade, User

from src.venues.kraken_paper import PaperExchange


@pytest.fixture(autouse=True)
def decimal_context() -> Iterator[None]:
    """ccxt sets the process-wide decimal context (ROUND_HALF_UP, an Underflow trap) in place;
    put it back so later tests see Python's defaults."""
    context = decimal.getcontext()
    rounding, underflow = context.rounding, context.traps[decimal.Underflow]
    yield
    context = decimal.getcontext()
    context.rounding, context.traps[decimal.Underflow] = rounding, underflow


@pytest.fixture
async def kraken(exchange: PaperExchange) -> AsyncIterator[Any]:
    # ccxt's nonces are milliseconds, the SDK's far larger: a key of its own (kraken-api.md §2)
    key, secret = exchange.create_api_key()
    client = ccxt.kraken({"apiKey": key, "secret": secret, "enableRateLimit": False})
    client.urls["api"] = {"public": exchange.rest_url, "private": exchange.rest_url}
    # ccxt's nonce is the millisecond: over loopback two calls can share one, which the
    # exchange refuses as Kraken would (strictly increasing); microseconds keep them apart.
    client.nonce = lambda: time.time_ns() // 1000
    try:
        yield client
    finally:
        await client.close()


async def test_ccxt_markets_and_market_data(kraken: Any) -> None:
    markets = await kraken.load_markets()
    assert {"BTC/USD", "ETH/BTC", "DOT/EUR", "BTC/EUR", "EUR/USD"} <= set(markets)
    assert markets["DOT/EUR"]["id"] == "DOTEUR" and markets["ETH/BTC"]["id"] == "XETHXXBT"
    assert markets["BTC/USD"]["precision"]["price"] == pytest.approx(0.1)
    ticker = await kraken.fetch_ticker("DOT/EUR")
    assert ticker["bid"] < ticker["last"] < ticker["ask"]
    book = await kraken.fetch_order_book("BTC/USD", 5)
    assert len(book["asks"]) == 5 and book["bids"][0][0] < book["asks"][0][0]
    candles = await kraken.fetch_ohlcv("ETH/BTC", "1m")
    assert len(candles) >= 700 and all(len(c) == 6 for c in candles)
    trades = await kraken.fetch_trades("BTC/USD")
    assert trades and trades[-1]["price"] > 0
    currencies = await kraken.fetch_currencies()
    assert {"BTC", "EUR", "DOT"} <= set(currencies)


async def test_ccxt_account_and_orders(kraken: Any, exchange: PaperExchange) -> None:
    await kraken.load_markets()
    balance = await kraken.fetch_balance()
    assert balance["total"]["USD"] == 10000 and balance["total"]["BTC"] == 0.5
    entry = await kraken.create_order(
        "BTC/USD", "limit", "buy", 0.01, 29000,
        {"close": {"ordertype": "limit", "price": 31000}},  # a take-profit on the entry
    )  # fmt: skip
    fetched = await kraken.fetch_order(entry["id"], "BTC/USD")
    assert fetched["status"] == "open" and fetched["price"] == 29000 and fetched["amount"] == 0.01
    amended = await kraken.edit_order(entry["id"], "BTC/USD", "limit", "buy", 0.02, 28900)
    assert amended is not None and exchange.engine.orders[entry["id"]].volume == Decimal("0.02")
    exchange.drive("XBTUSD", "28900.0", qty="1", side="sell")
    opened = await kraken.fetch_open_orders("BTC/USD")
    (close,) = [o for o in opened if o["id"] != entry["id"]]
    assert (close["side"], close["amount"], close["price"]) == ("sell", 0.02, 31000)
    trail = await kraken.create_order("BTC/USD", "market", "sell", 0.01, None,
                                      {"trailingPercent": "2"})  # fmt: skip
    assert exchange.engine.orders[trail["id"]].ordertype == "trailing-stop"
    stop = await kraken.create_order("BTC/USD", "market", "sell", 0.01, None,
                                     {"stopLossPrice": 25000})  # fmt: skip
    assert exchange.engine.orders[stop["id"]].ordertype == "stop-loss"
    for order_id in (close["id"], trail["id"], stop["id"]):
        await kraken.cancel_order(order_id)
    assert await kraken.fetch_open_orders() == []
    closed = await kraken.fetch_closed_orders("BTC/USD")
    assert {entry["id"], close["id"]} <= {o["id"] for o in closed}
    mine = await kraken.fetch_my_trades("BTC/USD")
    assert [t["order"] for t in mine] == [entry["id"]] and mine[0]["price"] == 28900
    fee = await kraken.fetch_trading_fee("BTC/USD")
    assert fee["taker"] == pytest.approx(0.004) and fee["maker"] == pytest.approx(0.0025)
    assert await kraken.fetch_positions() == []


async def test_python_kraken_sdk_on_the_universe_and_close_orders(exchange: PaperExchange) -> None:
    url = exchange.rest_url
    key, secret = exchange.api_key, exchange.api_secret

    def run() -> tuple[Any, ...]:
        market = Market(url=url)
        trade = Trade(key=key, secret=secret, url=url)
        user = User(key=key, secret=secret, url=url)
        pairs = market.get_asset_pairs(pair=["DOT/EUR", "ETH/BTC"])
        ticker = market.get_ticker(pair="DOTEUR")
        entry = trade.create_order(
            ordertype="limit", side="buy", pair="XBTUSD", volume="0.01", price="29000.0",
            close_ordertype="stop-loss", close_price="28000.0",
        )  # fmt: skip
        trailing = trade.create_order(
            ordertype="trailing-stop", side="sell", pair="XBTUSD", volume="0.01",
            trigger="last", price="+1%",  # sent %2B-encoded by the SDK
        )  # fmt: skip
        volume = user.get_trade_volume(pair="XBTUSD")
        return pairs, ticker, entry, trailing, volume

    pairs, ticker, entry, trailing, volume = await asyncio.to_thread(run)
    assert set(pairs) == {"DOT/EUR", "ETH/BTC"} and pairs["DOT/EUR"]["altname"] == "DOTEUR"
    assert Decimal(ticker["DOTEUR"]["c"][0]) > 0
    assert entry["descr"]["close"] == "close position @ stop loss 28000.0"
    assert trailing["descr"]["order"] == "sell 0.01000000 XBTUSD @ trailing stop +1.0000%"
    assert set(volume["fees"]["XXBTZUSD"]) == {
        "fee", "minfee", "maxfee", "nextfee", "nextvolume", "tiervolume"
    }  # fmt: skip

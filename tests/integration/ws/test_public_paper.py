"""KrakenMarketData against the paper exchange over loopback: snapshots, updates, checksums."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal
from typing import Any

import pytest

from src.brokers.kraken.ws.backoff import Backoff
from src.brokers.kraken.ws.market_data import KrakenMarketData
from src.core.clock import ManualClock
from src.core.errors import StaleDataError, UnknownSymbolError
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


async def test_book_snapshot_and_updates_keep_checksum(exchange: Any) -> None:
    async with KrakenMarketData(ws_url=exchange.ws_url, rest_url=exchange.rest_url) as md:
        updates = md.iter_books("BTC/USD")
        await md.subscribe_book("BTC/USD", depth=10)
        first = await asyncio.wait_for(updates.__anext__(), 5)
        assert first.snapshot and first.checksum_ok
        book = md.book("BTC/USD")
        assert len(book.bids) == 10 and len(book.asks) == 10
        assert all(isinstance(p, Decimal) and isinstance(q, Decimal) for p, q in book.bids)
        assert book.bids == sorted(book.bids, reverse=True)
        assert book.asks == sorted(book.asks)
        assert book.bids[0][0] < book.asks[0][0]
        before = book.checksum()
        for step in range(5):  # trades move and reshape the book
            exchange.drive("BTC/USD", book.asks[0][0] + step, "0.02", "buy")
            update = await asyncio.wait_for(updates.__anext__(), 5)
            assert not update.snapshot and update.checksum_ok
        assert book.checksum() != before
        assert book.checksum_failures == 0 and book.valid


async def test_many_symbols_and_channels_on_one_connection(exchange: Any) -> None:
    async with KrakenMarketData(ws_url=exchange.ws_url, rest_url=exchange.rest_url) as md:
        for symbol in ("BTC/USD", "ETH/USD", "DOGE/USD"):
            await md.subscribe_book(symbol, depth=25)
            await md.subscribe_ticker(symbol)
        await md.subscribe_trades("ETH/USD")
        await md.subscribe_ohlc("ETH/USD", interval=5)
        trades = md.iter_trades("ETH/USD")
        candles = md.iter_ohlc("ETH/USD")
        symbols = ("BTC/USD", "ETH/USD", "DOGE/USD")
        await eventually(lambda: all(md.book(s).valid for s in symbols))
        price = md.book("ETH/USD").asks[0][0]
        exchange.drive("ETH/USD", price, "0.5", "buy")
        trade = await asyncio.wait_for(trades.__anext__(), 5)
        assert (trade.symbol, trade.price, trade.quantity) == ("ETH/USD", price, Decimal("0.5"))
        candle = await asyncio.wait_for(candles.__anext__(), 5)
        while candle.close != price:  # the snapshot's candles may still be arriving
            candle = await asyncio.wait_for(candles.__anext__(), 5)
        assert candle.interval_minutes == 5 and candle.volume >= Decimal("0.5")
        await eventually(lambda: md.ticker("ETH/USD").last == price)
        # DOGE has 7 price decimals: its checksum holds only with the pair's own precision
        assert md.book("DOGE/USD").checksum_failures == 0
        assert md.connection.connects == 1
        assert md.instruments["DOGE/USD"]["price_precision"] == 7


async def test_unsubscribe_stops_updates(exchange: Any) -> None:
    async with KrakenMarketData(ws_url=exchange.ws_url, rest_url=exchange.rest_url) as md:
        await md.subscribe_ticker("BTC/USD")
        await md.subscribe_ticker("ETH/USD")
        await eventually(lambda: [md.ticker("BTC/USD"), md.ticker("ETH/USD")])  # raise until both
        await md.unsubscribe("ticker", "BTC/USD")
        stale = md.ticker("BTC/USD")
        exchange.drive("BTC/USD", stale.last + 7, "0.01", "buy")
        exchange.drive("ETH/USD", md.ticker("ETH/USD").last + 1, "0.1", "buy")
        await eventually(lambda: md.ticker("ETH/USD").last != stale.last)
        await asyncio.sleep(0.1)
        assert md.ticker("BTC/USD") == stale
        assert all(p["channel"] != "ticker" or p["symbol"] != ["BTC/USD"]
                   for p in md.connection.subscriptions)  # fmt: skip


async def test_unknown_symbol_is_a_clear_error(exchange: Any) -> None:
    async with KrakenMarketData(ws_url=exchange.ws_url, rest_url=exchange.rest_url) as md:
        with pytest.raises(UnknownSymbolError, match="XBT/USD"):
            await md.subscribe_ticker("XBT/USD")
        with pytest.raises(ValueError, match="depth"):
            await md.subscribe_book("BTC/USD", depth=7)


async def test_staleness_is_measured_per_cache(exchange: Any) -> None:
    clock = ManualClock()
    async with KrakenMarketData(
        ws_url=exchange.ws_url, rest_url=exchange.rest_url, clock=clock
    ) as md:
        with pytest.raises(StaleDataError, match="no data"):
            md.ticker("BTC/USD", max_age=5)
        await md.subscribe_ticker("BTC/USD")
        await eventually(lambda: md.ticker("BTC/USD"))
        assert md.ticker("BTC/USD", max_age=5).symbol == "BTC/USD"
        clock.advance(6)
        with pytest.raises(StaleDataError, match=r"6\.0s old"):
            md.ticker("BTC/USD", max_age=5)
        assert md.age("ticker", "BTC/USD") == pytest.approx(6.0)
        exchange.drive("BTC/USD", md.ticker("BTC/USD").last + 1, "0.01", "buy")
        await eventually(lambda: md.ticker("BTC/USD", max_age=5))


async def test_checksum_mismatch_resubscribes_only_that_symbol(exchange: Any) -> None:
    async with KrakenMarketData(ws_url=exchange.ws_url, rest_url=exchange.rest_url) as md:
        await md.subscribe_book("BTC/USD")
        await md.subscribe_book("ETH/USD")
        await eventually(lambda: md.book("BTC/USD").valid and md.book("ETH/USD").valid)
        btc, eth = md.book("BTC/USD"), md.book("ETH/USD")
        # corrupt the local copy with a level the venue never had: no later update removes it
        fake = btc.bids[0][0] - Decimal("0.05")
        btc.book.apply([{"price": fake, "qty": "123"}], [], snapshot=False)
        eth_updates = md.iter_books("ETH/USD")
        exchange.drive("BTC/USD", btc.asks[0][0], "0.01", "buy")
        await eventually(lambda: btc.checksum_failures == 1 and btc.resubscribes == 1)
        await eventually(lambda: btc.valid and all(p != fake for p, _ in btc.bids))
        exchange.drive("ETH/USD", eth.asks[0][0], "0.1", "buy")
        update = await asyncio.wait_for(eth_updates.__anext__(), 5)
        assert update.checksum_ok and eth.checksum_failures == 0 and eth.resubscribes == 0
        assert md.connection.connects == 1  # no reconnect: one symbol was repaired alone


async def test_past_the_checksum_budget_the_socket_is_reconnected(exchange: Any) -> None:
    fast = Backoff(initial=0.02, cap=0.05, rng=random.Random(2))
    async with KrakenMarketData(
        ws_url=exchange.ws_url, rest_url=exchange.rest_url, checksum_budget=1,
        backoff=fast, resubscribe_backoff=fast,
    ) as md:  # fmt: skip
        await md.subscribe_book("BTC/USD")
        await eventually(lambda: md.book("BTC/USD").valid)
        live = md.book("BTC/USD")
        for expected in (1, 2):  # the second mismatch comes before the book proved healthy
            fake = live.bids[0][0] - Decimal("0.05")
            live.book.apply([{"price": fake, "qty": "77"}], [], snapshot=False)
            exchange.drive("BTC/USD", live.asks[0][0], "0.01", "buy")
            await eventually(lambda n=expected: live.checksum_failures == n)
            await eventually(lambda: live.valid)
        assert live.resubscribes == 1  # budget spent: the second repair was a reconnect
        assert live.reconnects == 1 and md.connection.reconnects == 1


async def test_precision_from_rest_asset_pairs(exchange: Any) -> None:
    from src.brokers.kraken.rest.client import KrakenRestClient
    from src.brokers.kraken.ws.precision import precision_from_asset_pairs, v2_symbol

    rest = KrakenRestClient(base_url=exchange.rest_url)
    try:  # the same REST client (and transport) the adapter uses
        table = precision_from_asset_pairs(await rest.get_asset_pairs())
    finally:
        await rest.aclose()
    assert table["BTC/USD"] == (1, 8)
    assert table["DOGE/USD"] == (7, 8)
    assert table["ETH/USD"] == (2, 8)
    assert v2_symbol("XBT/USD") == "BTC/USD" and v2_symbol("XDG/USD") == "DOGE/USD"
    assert v2_symbol("XTZ/USD") == "XTZ/USD"

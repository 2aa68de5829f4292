"""The adapter reads the paper venue's public data over loopback: instruments to funding."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from src.brokers.kraken_futures import KrakenFuturesAdapter
from src.core.derivatives import ContractType, Settlement
from src.core.errors import UnknownSymbolError
from src.venues.kraken_futures_paper import FuturesPaperExchange


async def test_instruments(adapter: KrakenFuturesAdapter) -> None:
    instruments = {i.symbol: i for i in await adapter.get_instruments()}
    pf = instruments["PF_XBTUSD"]
    assert pf.settlement is Settlement.LINEAR and pf.lot_step == Decimal("0.0001")
    assert instruments["PI_XBTUSD"].settlement is Settlement.INVERSE
    fixed = [i for i in instruments.values() if i.contract_type is ContractType.FIXED_MATURITY]
    assert {i.symbol[:3] for i in fixed} == {"FF_", "FI_"}
    assert all(i.expiry is not None for i in fixed)
    with pytest.raises(UnknownSymbolError):
        await adapter.get_instrument("PF_NOPE")


async def test_ticker_mark_index_funding(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange
) -> None:
    venue.set_premium("PF_XBTUSD", Decimal("0.001"))
    ticker = await adapter.get_ticker("PF_XBTUSD")
    assert ticker.index_price == Decimal(60000)
    assert ticker.mark_price == Decimal("60060")
    assert ticker.bid is not None and ticker.ask is not None and ticker.bid < ticker.ask
    assert ticker.funding_rate is not None and ticker.funding_rate_prediction is not None
    tickers = await adapter.get_tickers()
    assert "IN_XBTUSD" in tickers and "PI_XBTUSD" in tickers


async def test_order_book_trades_candles_and_funding_history(
    adapter: KrakenFuturesAdapter, venue: FuturesPaperExchange
) -> None:
    book = await adapter.get_order_book("PF_XBTUSD")
    assert book.best_bid is not None and book.best_ask is not None
    assert book.best_bid < book.best_ask and len(book.bids) == 10
    venue.clock  # noqa: B018
    candles = await adapter.get_candles("PF_XBTUSD", "1m", tick_type="mark")
    assert candles and candles[-1].close > 0 and candles[-1].volume == 0
    assert await adapter.get_trades("PF_XBTUSD") == []
    venue.lifecycle.fund(venue.now() + timedelta(hours=1))
    rates = await adapter.get_funding_rates("PF_XBTUSD")
    assert len(rates) == 1

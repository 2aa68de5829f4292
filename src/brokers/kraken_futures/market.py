"""Public market data of ``KrakenFuturesAdapter``: instruments, tickers, book, candles, funding."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from src.brokers.kraken_futures.book import L2Book
from src.brokers.kraken_futures.constants import RESOLUTIONS, TICK_TYPES
from src.brokers.kraken_futures.orders.fees import FeeBook
from src.brokers.kraken_futures.rest import parse
from src.brokers.kraken_futures.rest.client import KrakenFuturesRestClient
from src.brokers.kraken_futures.symbols import InstrumentMap
from src.core.clock import Clock
from src.core.derivatives import DerivativeInstrument, DerivativeTicker, FundingRate
from src.core.errors import MalformedResponseError, UnknownSymbolError
from src.core.market_data import Candle, PublicTrade, Quote

__all__ = ["FuturesMarketQueries"]

#: Seconds before fee schedules and the account's volume tier are read again.
FEE_REFRESH_SECONDS = 3600.0


class FuturesMarketQueries:
    """Market-data methods shared by the adapter; needs ``rest``, ``clock`` and ``fees``.

    ``fetch_candles`` and ``get_quote`` make the adapter the runtime's ``CandleSource`` and
    ``QuoteSource``.
    """

    #: What ``fetch_candles`` reads: ``mark`` (default: what PnL, margin and liquidation are
    #: valued at, and sampled even while nothing trades), ``trade`` or ``spot`` (the index).
    candle_tick_type: str = "mark"

    rest: KrakenFuturesRestClient
    clock: Clock
    fees: FeeBook
    _instruments: InstrumentMap | None = None
    _fees_loaded_at: float | None = None

    async def load_instruments(self, refresh: bool = False) -> InstrumentMap:
        """Every futures contract from ``/instruments`` (read once, or again on ``refresh``)."""
        if self._instruments is None or refresh:
            reply = await self.rest.instruments()
            rows = parse.rows(reply, "instruments", "instruments")
            self._instruments = InstrumentMap.from_reply(rows)
            self.fees.load_instruments(rows)
        return self._instruments

    async def get_instrument(self, symbol: str) -> DerivativeInstrument:
        """The contract ``symbol`` (``PF_XBTUSD``; case ignored); re-reads once if unknown."""
        instruments = await self.load_instruments()
        try:
            return instruments.get(symbol)
        except UnknownSymbolError:
            return (await self.load_instruments(refresh=True)).get(symbol)

    async def get_instruments(self) -> list[DerivativeInstrument]:
        """Every futures contract, sorted by symbol."""
        instruments = await self.load_instruments()
        return [instruments.get(s) for s in instruments.symbols]

    async def get_tickers(self) -> dict[str, DerivativeTicker]:
        """Every ticker by symbol (index rows ``in_``/``rr_`` included)."""
        reply = await self.rest.tickers()
        now = self.clock.now()
        tickers = parse.each(
            parse.rows(reply, "tickers", "tickers"), lambda r: parse.parse_ticker(r, now), "tickers"
        )
        return {t.symbol: t for t in tickers}

    async def get_ticker(self, symbol: str) -> DerivativeTicker:
        """One market's ticker: bid/ask/last, mark, index, funding rate and prediction."""
        reply = await self.rest.ticker(symbol.upper())
        raw = reply.get("ticker")
        if not isinstance(raw, Mapping):
            raise UnknownSymbolError(symbol)
        return parse.parse_ticker(raw, self.clock.now())

    async def get_order_book(self, symbol: str) -> L2Book:
        """The full book from REST (no sequence number; the WS book feed has one)."""
        return parse.parse_orderbook(await self.rest.orderbook(symbol.upper()), symbol)

    async def get_trades(self, symbol: str, before: datetime | None = None) -> list[PublicTrade]:
        """The last 100 public trades (before ``before``), oldest first."""
        return parse.parse_trades(await self.rest.history(symbol.upper(), before), symbol)

    async def get_candles(
        self,
        symbol: str,
        resolution: str = "1h",
        *,
        tick_type: str = "trade",
        since: datetime | None = None,
        until: datetime | None = None,
        count: int | None = None,
    ) -> list[Candle]:
        """Candles from the charts API: ``tick_type`` ``trade``, ``mark`` or ``spot`` (index).

        Raises:
            ValueError: an unknown resolution or tick type.
        """
        if resolution not in RESOLUTIONS:
            raise ValueError(f"resolution {resolution!r}: expected one of {list(RESOLUTIONS)}")
        if tick_type not in TICK_TYPES:
            raise ValueError(f"tick_type {tick_type!r}: expected one of {TICK_TYPES}")
        reply = await self.rest.charts(
            tick_type, symbol.upper(), resolution,
            from_=int(since.timestamp()) if since else None,
            to=int(until.timestamp()) if until else None,
            count=count,
        )  # fmt: skip
        return parse.parse_candles(reply, symbol, RESOLUTIONS[resolution])

    async def fetch_candles(
        self, symbol: str, interval_minutes: int, since: datetime | None = None
    ) -> list[Candle]:
        """Closed candles of ``candle_tick_type`` from ``since`` (a ``CandleSource``).

        Kraken's reply ends with the bar still forming; it is held back until a newer bar
        exists, so each candle is handed out once, closed. (The venue's clock decides what is
        closed, not ours: a replayed or accelerated venue keeps its own time.)
        """
        resolution = next((r for r, m in RESOLUTIONS.items() if m == interval_minutes), None)
        if resolution is None:
            raise ValueError(f"interval_minutes {interval_minutes}: no Kraken resolution")
        bars = await self.get_candles(
            symbol, resolution, tick_type=self.candle_tick_type, since=since
        )
        return bars[:-1]

    async def get_quote(self, symbol: str) -> Quote:
        """The ticker's best bid and ask (a ``QuoteSource``)."""
        ticker = await self.get_ticker(symbol)
        if ticker.bid is None or ticker.ask is None:
            raise MalformedResponseError(f"{symbol}: the ticker has no bid and ask")
        return Quote(symbol=ticker.symbol, bid=ticker.bid, ask=ticker.ask, last=ticker.last,
                     timestamp=ticker.timestamp)  # fmt: skip

    async def get_funding_rates(self, symbol: str) -> list[FundingRate]:
        """Historical funding rates of a perpetual, oldest first."""
        reply = await self.rest.historical_funding_rates(symbol.upper())
        return sorted(parse.parse_funding_rates(reply, symbol), key=lambda r: r.timestamp)

    async def load_fees(self, *, private: bool) -> FeeBook:
        """Fee schedules (and, with a key, the account's volume tier), refreshed hourly."""
        now = self.clock.monotonic()
        if self._fees_loaded_at is None or now - self._fees_loaded_at > FEE_REFRESH_SECONDS:
            await self.load_instruments()
            self.fees.load_schedules(await self.rest.feeschedules())
            if private:
                self.fees.load_volumes(await self.rest.feeschedules_volumes())
            self._fees_loaded_at = now
        return self.fees

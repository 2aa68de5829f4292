"""``KrakenMarketData``: public WS v2 market data (book, ticker, trades, ohlc, instrument).

Many symbols share one connection. Books are kept locally and their checksum verified on
every message. A book that fails its checksum, or whose socket drops, is stale until a fresh
snapshot repairs it; ``BookRecovery`` resubscribes that symbol alone with backoff while the
other subscriptions keep flowing, reconnects the socket when resubscribes keep failing, and
never gives up. Every cache records when its newest message arrived, and readers may demand
data no older than ``max_age`` seconds (and, for books, not stale).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from src.brokers.kraken.limits.gate import NullGate
from src.brokers.kraken.rest.client import KrakenRestClient
from src.brokers.kraken.settings import KrakenSettings
from src.brokers.kraken.ws.backoff import Backoff
from src.brokers.kraken.ws.book import (
    VALID_DEPTHS,
    OrderBook,
)
from src.brokers.kraken.ws.book_feed import BOOK_PREFIX, BookFeed
from src.brokers.kraken.ws.book_recovery import BookRecovery
from src.brokers.kraken.ws.connection import WsConnection
from src.brokers.kraken.ws.fanout import Fanout
from src.brokers.kraken.ws.frames import ChannelFrame, ResponseFrame
from src.brokers.kraken.ws.market_models import (
    BookUpdate,
    LiveBook,
    Ticker,
    parse_candle,
    parse_ticker,
    parse_trade,
)
from src.brokers.kraken.ws.precision import precision_from_asset_pairs, precision_from_instrument
from src.core.clock import Clock, SystemClock
from src.core.errors import BrokerError, StaleDataError, UnknownSymbolError
from src.core.market_data import Candle, PublicTrade

__all__ = ["OHLC_INTERVALS", "KrakenMarketData"]

log = logging.getLogger(__name__)

OHLC_INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)


class KrakenMarketData:
    """Public Kraken WS v2 client; use as ``async with KrakenMarketData(...) as md``.

    Args:
        ws_url: public WS v2 URL (default ``settings.ws_url``: ``KRAKEN_WS_URL`` or Kraken's).
        rest_url: REST base URL for AssetPairs precision (default ``settings.api_url``).
        idle_timeout: seconds of silence on a subscribed stream before reconnecting.
        ping_interval: seconds between application pings.
        checksum_budget: resubscribes of a stale book before the whole socket is reconnected
            (every subscription replayed); the count restarts after each reconnect.
        checksum_window: seconds a repaired book must stay valid before its next mismatch
            starts the count and the resubscribe delay afresh.
        resubscribe_backoff: delay before each resubscribe of a stale book (default 0.25 s,
            doubling to 30 s); it never gives up.
        snapshot_timeout: seconds to wait for the snapshot a resubscribe asks for.
        backoff: reconnect policy. clock: time source for message ages.
        settings: the ``KRAKEN_*`` settings (e.g. an adapter's ``settings``); None reads them
            once, here, from the environment and ``.env``.
    """

    def __init__(
        self,
        ws_url: str | None = None,
        rest_url: str | None = None,
        *,
        idle_timeout: float = 10.0,
        ping_interval: float = 5.0,
        checksum_budget: int = 3,
        checksum_window: float = 60.0,
        resubscribe_backoff: Backoff | None = None,
        snapshot_timeout: float = 10.0,
        backoff: Backoff | None = None,
        clock: Clock | None = None,
        settings: KrakenSettings | None = None,
    ) -> None:
        self.settings = settings if settings is not None else KrakenSettings()
        self.ws_url = ws_url or self.settings.ws_url
        self.rest_url = rest_url or self.settings.api_url
        self.clock: Clock = clock or SystemClock()
        self.checksum_budget = checksum_budget
        self.checksum_window = checksum_window
        self.connection = WsConnection(
            self.ws_url,
            on_channel=self._on_channel,
            idle_timeout=idle_timeout,
            ping_interval=ping_interval,
            backoff=backoff,
            clock=self.clock,
            name="kraken-public",
        )
        self._precision: dict[str, tuple[int, int]] = {}
        self._tickers: dict[str, tuple[float, Ticker]] = {}
        self._trades: dict[str, deque[PublicTrade]] = {}
        self._trade_at: dict[str, float] = {}
        self._candles: dict[tuple[str, int], tuple[float, Candle]] = {}
        self.instruments: dict[str, dict[str, Any]] = {}
        self._instrument_ready = asyncio.Event()
        self._ticker_out: Fanout[Ticker] = Fanout()
        self._trade_out: Fanout[PublicTrade] = Fanout()
        self._ohlc_out: Fanout[Candle] = Fanout()
        self.recovery = BookRecovery(
            self.connection,
            self.clock,
            budget=checksum_budget,
            window=checksum_window,
            snapshot_timeout=snapshot_timeout,
            backoff=resubscribe_backoff,
        )
        self._feed = BookFeed(self.clock, self.recovery)
        self._books: dict[str, LiveBook] = self._feed.books
        self._book_out: Fanout[BookUpdate] = self._feed.out
        self.connection.set_fast_route(BOOK_PREFIX, "book", self._feed.on_text)
        self.connection.add_disconnect_listener(self._on_disconnect)
        self.connection.add_reconnect_hook(self._after_reconnect)

    async def __aenter__(self) -> Self:
        await self.connection.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection and end every iterator."""
        for fan in (self._book_out, self._ticker_out, self._trade_out, self._ohlc_out):
            fan.close()
        await self.recovery.close()
        await self.connection.close()

    # -- subscriptions ----------------------------------------------------------------------

    async def subscribe_book(self, symbol: str, depth: int = 10) -> None:
        """Subscribe to the L2 book of ``symbol`` at ``depth`` (10, 25, 100, 500, 1000)."""
        if depth not in VALID_DEPTHS:
            raise ValueError(f"depth: must be one of {VALID_DEPTHS}, got {depth}")
        pp, qp = await self.precision(symbol)
        self.recovery.forget(symbol)
        book = OrderBook(symbol, depth, pp, qp)
        self._books[symbol] = LiveBook(book, stale_since=self.clock.now())
        await self._subscribe({"channel": "book", "symbol": [symbol], "depth": depth})

    async def subscribe_ticker(self, symbol: str, event_trigger: str | None = None) -> None:
        """Subscribe to the ticker of ``symbol`` (``event_trigger`` "bbo" or "trades")."""
        params: dict[str, Any] = {"channel": "ticker", "symbol": [symbol]}
        if event_trigger is not None:
            params["event_trigger"] = event_trigger
        await self._subscribe(params)

    async def subscribe_trades(self, symbol: str, snapshot: bool = False) -> None:
        """Subscribe to public trades of ``symbol`` (snapshot = the last 50 trades)."""
        self._trades.setdefault(symbol, deque(maxlen=1000))
        await self._subscribe({"channel": "trade", "symbol": [symbol], "snapshot": snapshot})

    async def subscribe_ohlc(self, symbol: str, interval: int = 1) -> None:
        """Subscribe to candles of ``symbol`` every ``interval`` minutes."""
        if interval not in OHLC_INTERVALS:
            raise ValueError(f"interval: must be one of {OHLC_INTERVALS}, got {interval}")
        await self._subscribe({"channel": "ohlc", "symbol": [symbol], "interval": interval})

    async def subscribe_instrument(self) -> None:
        """Subscribe to the instrument channel (pairs, precisions, minimums)."""
        await self._subscribe({"channel": "instrument"})

    async def unsubscribe(self, channel: str, symbol: str, **options: Any) -> None:
        """Unsubscribe ``channel`` for ``symbol`` (pass ``depth``/``interval`` as subscribed)."""
        if channel == "book" and "depth" not in options and symbol in self._books:
            options["depth"] = self._books[symbol].book.depth
        reply = await self.connection.unsubscribe(
            {"channel": channel, "symbol": [symbol], **options}
        )
        if channel == "book":
            self.recovery.forget(symbol)
            self._books.pop(symbol, None)
        if not reply.success:
            raise BrokerError(f"unsubscribe {channel} {symbol} refused", raw=reply.error)

    async def _subscribe(self, params: dict[str, Any]) -> ResponseFrame:
        reply = await self.connection.subscribe(params)
        if not reply.success:
            symbol = (params.get("symbol") or [None])[0]
            if reply.error and "not supported" in reply.error and symbol:
                raise UnknownSymbolError(symbol, raw=reply.error, endpoint="subscribe")
            raise BrokerError(f"subscribe {params['channel']} refused", raw=reply.error)
        return reply

    async def precision(self, symbol: str) -> tuple[int, int]:
        """``(price_precision, qty_precision)`` of ``symbol``: instrument channel, else REST."""
        if symbol not in self._precision:
            try:
                if not self._instrument_ready.is_set():
                    await self.subscribe_instrument()
                    await asyncio.wait_for(self._instrument_ready.wait(), 10)
            except (BrokerError, TimeoutError) as exc:
                log.info("instrument channel unavailable (%s); using REST AssetPairs", exc)
            if symbol not in self._precision:
                self._precision.update(await self._rest_precision())
        if symbol not in self._precision:
            raise UnknownSymbolError(symbol)
        return self._precision[symbol]

    async def _rest_precision(self) -> dict[str, tuple[int, int]]:
        # Through the one REST client (its transport, retries and error mapping), not a
        # second hand-rolled AssetPairs reader.
        rest = KrakenRestClient(self.rest_url, settings=self.settings, gate=NullGate())
        try:
            return precision_from_asset_pairs(await rest.get_asset_pairs())
        finally:
            await rest.aclose()

    # -- reading ----------------------------------------------------------------------------

    def book(
        self, symbol: str, max_age: float | None = None, *, require_valid: bool = False
    ) -> LiveBook:
        """The live book of ``symbol``.

        Args:
            symbol: WS v2 symbol, subscribed with ``subscribe_book``.
            max_age: raise if the newest book message is older than this many seconds.
            require_valid: raise while the book is stale (``LiveBook.stale``): from a
                checksum mismatch or a dropped socket until a fresh snapshot repairs it.

        Raises:
            KeyError: the book is not subscribed.
            StaleDataError: too old, or stale when ``require_valid`` (says since when, why).
        """
        live = self._books.get(symbol)
        if live is None:
            raise KeyError(f"book {symbol!r}: not subscribed")
        self._check_age(f"book {symbol}", live.received_at, max_age)
        if require_valid and live.stale_since is not None:
            since = live.stale_since.isoformat(timespec="milliseconds")
            raise StaleDataError(f"book {symbol}: stale since {since} ({live.stale_reason})")
        return live

    def ticker(self, symbol: str, max_age: float | None = None) -> Ticker:
        """The newest ticker of ``symbol``; ``StaleDataError`` if missing or too old."""
        at, ticker = self._tickers.get(symbol, (None, None))
        self._check_age(f"ticker {symbol}", at, max_age)
        if ticker is None:
            raise StaleDataError(f"ticker {symbol}: no data yet")
        return ticker

    def trades(self, symbol: str, max_age: float | None = None) -> list[PublicTrade]:
        """Recent public trades of ``symbol`` (oldest first)."""
        self._check_age(f"trades {symbol}", self._trade_at.get(symbol), max_age)
        return list(self._trades.get(symbol, ()))

    def candle(self, symbol: str, interval: int = 1, max_age: float | None = None) -> Candle:
        """The newest (forming) candle of ``symbol``."""
        at, candle = self._candles.get((symbol, interval), (None, None))
        self._check_age(f"ohlc {symbol}/{interval}", at, max_age)
        if candle is None:
            raise StaleDataError(f"ohlc {symbol}/{interval}: no data yet")
        return candle

    def age(self, channel: str, symbol: str) -> float | None:
        """Seconds since the newest message of ``channel``/``symbol`` (None before any)."""
        at = {
            "book": self._books[symbol].received_at if symbol in self._books else None,
            "ticker": self._tickers.get(symbol, (None,))[0],
            "trade": self._trade_at.get(symbol),
        }.get(channel)
        return None if at is None else self.clock.monotonic() - at

    def _check_age(self, what: str, at: float | None, max_age: float | None) -> None:
        if max_age is None:
            return
        if at is None:
            raise StaleDataError(f"{what}: no data received yet")
        age = self.clock.monotonic() - at
        if age > max_age:
            raise StaleDataError(f"{what}: newest message is {age:.1f}s old (max {max_age}s)")

    def iter_books(self, symbol: str | None = None) -> AsyncIterator[BookUpdate]:
        """Every applied book message (optionally for one symbol)."""
        return self._book_out.iterate(None if symbol is None else lambda u: u.symbol == symbol)

    def iter_tickers(self, symbol: str | None = None) -> AsyncIterator[Ticker]:
        """Every ticker update."""
        return self._ticker_out.iterate(None if symbol is None else lambda t: t.symbol == symbol)

    def iter_trades(self, symbol: str | None = None) -> AsyncIterator[PublicTrade]:
        """Every public trade."""
        return self._trade_out.iterate(None if symbol is None else lambda t: t.symbol == symbol)

    def iter_ohlc(self, symbol: str | None = None) -> AsyncIterator[Candle]:
        """Every candle update."""
        return self._ohlc_out.iterate(None if symbol is None else lambda c: c.symbol == symbol)

    # -- frame handling ---------------------------------------------------------------------

    def _on_channel(self, frame: ChannelFrame) -> None:
        handler = _HANDLERS.get(frame.channel)
        if handler is None or frame.data is None:
            return
        items = frame.data if isinstance(frame.data, list) else [frame.data]
        for item in items:
            if isinstance(item, dict):
                handler(self, frame, item)
            else:
                log.warning("%s: skipped non-object data item %.100r", frame.channel, item)

    def _on_book(self, frame: ChannelFrame, data: dict[str, Any]) -> None:
        self._feed.on_item(frame, data)

    def _utc(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    def _on_disconnect(self) -> None:
        # Updates sent while the socket was down are lost: every book is stale until the
        # snapshot that the reconnect's replayed subscription brings.
        now = self._utc()
        for live in self._books.values():
            live.mark_stale("connection lost; waiting for a fresh snapshot", now)

    async def _after_reconnect(self) -> None:
        self.recovery.after_reconnect(list(self._books.values()))

    def _on_ticker(self, frame: ChannelFrame, data: dict[str, Any]) -> None:
        ticker = parse_ticker(data)
        self._tickers[ticker.symbol] = (self.clock.monotonic(), ticker)
        self._ticker_out.publish(ticker)

    def _on_trade(self, frame: ChannelFrame, data: dict[str, Any]) -> None:
        trade = parse_trade(data)
        self._trades.setdefault(trade.symbol, deque(maxlen=1000)).append(trade)
        self._trade_at[trade.symbol] = self.clock.monotonic()
        self._trade_out.publish(trade)

    def _on_ohlc(self, frame: ChannelFrame, data: dict[str, Any]) -> None:
        candle = parse_candle(data)
        self._candles[(candle.symbol, candle.interval_minutes)] = (self.clock.monotonic(), candle)
        self._ohlc_out.publish(candle)

    def _on_instrument(self, frame: ChannelFrame, data: dict[str, Any]) -> None:
        self._precision.update(precision_from_instrument(data))
        for pair in data.get("pairs") or ():
            if isinstance(pair, dict) and isinstance(pair.get("symbol"), str):
                self.instruments[pair["symbol"]] = pair
        self._instrument_ready.set()


_HANDLERS = {
    "book": KrakenMarketData._on_book,
    "ticker": KrakenMarketData._on_ticker,
    "trade": KrakenMarketData._on_trade,
    "ohlc": KrakenMarketData._on_ohlc,
    "instrument": KrakenMarketData._on_instrument,
}

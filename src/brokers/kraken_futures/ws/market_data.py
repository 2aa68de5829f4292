"""Public WebSocket v1 market data: books with sequence checks, tickers, trades.

A ``book`` delta whose ``seq`` is not the last plus one means a lost message: the book is
marked invalid and the product resubscribed, which brings a fresh ``book_snapshot``
(Kraken documents ``seq`` as the subscription's message number; what to do on a gap is the
client's choice, and this is the safe one). A reconnect invalidates every book until its
snapshot arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Self

from src.brokers.kraken_futures.book import BookGapError, L2Book
from src.brokers.kraken_futures.rest.parse import dec
from src.brokers.kraken_futures.timefmt import from_ms
from src.brokers.kraken_futures.ws.connection import FuturesWsConnection
from src.brokers.kraken_futures.ws.parse import ws_ticker, ws_trade
from src.core.derivatives import DerivativeTicker
from src.core.errors import StaleDataError
from src.core.market_data import PublicTrade
from src.utils.logging import get_logger

__all__ = ["KrakenFuturesMarketData"]

log = get_logger(__name__)


class KrakenFuturesMarketData:
    """``async with KrakenFuturesMarketData(url) as md: await md.subscribe_book("PF_XBTUSD")``.

    Args:
        url: the WebSocket v1 URL.
        connection_options: keyword options for ``FuturesWsConnection``.
    """

    def __init__(self, url: str, **connection_options: Any) -> None:
        self.connection = FuturesWsConnection(
            url, self._on_frame, name="kraken-futures-public", **connection_options
        )
        self.connection.on_disconnect(self._invalidate_all)
        self.books: dict[str, L2Book] = {}
        self.tickers: dict[str, DerivativeTicker] = {}
        self.gaps = 0
        self._trades: list[asyncio.Queue[PublicTrade]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Self:
        self.connection.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.connection.close()

    async def subscribe_book(self, symbol: str) -> None:
        """Keep ``symbol``'s book (snapshot, then deltas)."""
        key = symbol.upper()
        self.books.setdefault(key, L2Book(key))
        await self.connection.subscribe("book", [key])

    async def subscribe_ticker(self, symbol: str) -> None:
        """Keep ``symbol``'s latest ticker (mark, index, funding)."""
        await self.connection.subscribe("ticker", [symbol.upper()])

    async def subscribe_trades(self, symbol: str) -> None:
        """Receive ``symbol``'s public trades on ``trades()``."""
        await self.connection.subscribe("trade", [symbol.upper()])

    def book(self, symbol: str, *, require_valid: bool = False) -> L2Book:
        """The book of ``symbol`` (``require_valid``: raise while it awaits a snapshot)."""
        book = self.books[symbol.upper()]
        if require_valid and not book.valid:
            raise StaleDataError(f"{symbol}: book is waiting for a fresh snapshot")
        return book

    async def trades(self) -> AsyncIterator[PublicTrade]:
        """Public trades of the subscribed products as they print."""
        queue: asyncio.Queue[PublicTrade] = asyncio.Queue()
        self._trades.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._trades.remove(queue)

    def _invalidate_all(self) -> None:
        for book in self.books.values():
            book.invalidate()

    def _on_frame(self, frame: dict[str, Any]) -> None:
        feed = frame.get("feed")
        if feed == "book_snapshot":
            self._snapshot(frame)
        elif feed == "book":
            self._delta(frame)
        elif feed == "ticker":
            ticker = ws_ticker(frame)
            self.tickers[ticker.symbol] = ticker
        elif feed == "trade":
            trade = ws_trade(frame)
            for queue in self._trades:
                queue.put_nowait(trade)

    def _snapshot(self, frame: dict[str, Any]) -> None:
        symbol = str(frame["product_id"]).upper()
        book = self.books.setdefault(symbol, L2Book(symbol))
        bids = [(dec(r["price"], "price"), dec(r["qty"], "qty")) for r in frame.get("bids", [])]
        asks = [(dec(r["price"], "price"), dec(r["qty"], "qty")) for r in frame.get("asks", [])]
        book.load(bids, asks, int(frame["seq"]), from_ms(int(frame["timestamp"])))

    def _delta(self, frame: dict[str, Any]) -> None:
        symbol = str(frame["product_id"]).upper()
        book = self.books.get(symbol)
        if book is None or not book.valid:
            return  # waiting for a snapshot: deltas before it are not ours to apply
        try:
            book.apply(
                str(frame["side"]), dec(frame["price"], "price"), dec(frame["qty"], "qty"),
                int(frame["seq"]), from_ms(int(frame["timestamp"])),
            )  # fmt: skip
        except BookGapError as gap:
            self.gaps += 1
            log.warning("kraken_futures.book_gap", symbol=symbol, error=str(gap))
            task = asyncio.ensure_future(self.connection.resubscribe("book", symbol))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

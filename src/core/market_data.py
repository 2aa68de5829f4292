"""Market data types and the candle-source protocol that backfills and strategies consume."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict


class Candle(BaseModel):
    """One OHLCV bar; ``timestamp`` is the bar's open time (UTC)."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    interval_minutes: int
    timestamp: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    trades: int = 0
    vwap: Decimal | None = None


class Quote(BaseModel):
    """Top of book at a moment."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    bid: Decimal
    ask: Decimal
    last: Decimal | None = None
    timestamp: datetime

    @property
    def mid(self) -> Decimal:
        """Return the midpoint of bid and ask."""
        return (self.bid + self.ask) / 2


class PublicTrade(BaseModel):
    """One public trade print."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    price: Decimal
    quantity: Decimal
    side: str
    timestamp: datetime
    trade_id: str | None = None


@runtime_checkable
class CandleSource(Protocol):
    """Anything that can page out candles: a broker's REST API, a file archive, a replay."""

    async def fetch_candles(
        self, symbol: str, interval_minutes: int, since: datetime | None = None
    ) -> Sequence[Candle]:
        """Return closed candles with open time >= ``since``, oldest first (one page is fine)."""
        ...


@runtime_checkable
class TradeSource(Protocol):
    """Anything that can page out public trades (e.g. Kraken's REST ``Trades``)."""

    async def fetch_trades(
        self, symbol: str, since: datetime | None = None
    ) -> Sequence[PublicTrade]:
        """Trades at or after ``since``, oldest first (one page is fine)."""
        ...


@runtime_checkable
class QuoteSource(Protocol):
    """Anything that can give the current top of book for a symbol."""

    async def get_quote(self, symbol: str) -> Quote:
        """Return the current best bid and ask for ``symbol`` ("BTC/USD" style)."""
        ...

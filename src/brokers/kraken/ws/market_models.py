"""Typed public market-data records built from Kraken WS v2 channel data (Decimal numbers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from src.brokers.kraken.ws.book import OrderBook, level_decimal
from src.core.market_data import Candle, PublicTrade

__all__ = [
    "BookUpdate",
    "LiveBook",
    "Ticker",
    "parse_candle",
    "parse_ticker",
    "parse_time",
    "parse_trade",
]


def parse_time(value: Any) -> datetime:
    """An RFC3339 timestamp from the wire (``...Z``) as an aware UTC datetime."""
    if not isinstance(value, str):
        raise ValueError(f"timestamp: expected RFC3339 text, got {value!r}")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _num(data: dict[str, Any], key: str) -> Decimal:
    return level_decimal(data.get(key), key)


def _signed(value: Any, key: str) -> Decimal:
    if isinstance(value, int | Decimal | str) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    raise ValueError(f"{key}: expected a number, got {value!r}")


@dataclass(frozen=True, slots=True)
class Ticker:
    """Top of book and rolling 24 h statistics (WS v2 ``ticker``)."""

    symbol: str
    bid: Decimal
    bid_qty: Decimal
    ask: Decimal
    ask_qty: Decimal
    last: Decimal
    volume: Decimal
    vwap: Decimal
    low: Decimal
    high: Decimal
    change: Decimal
    change_pct: Decimal
    timestamp: datetime | None

    @property
    def mid(self) -> Decimal:
        """Midpoint of bid and ask."""
        return (self.bid + self.ask) / 2


def parse_ticker(data: dict[str, Any]) -> Ticker:
    """Build a ``Ticker`` from one ``ticker`` data object."""
    stamp = data.get("timestamp")
    return Ticker(
        symbol=str(data["symbol"]),
        bid=_num(data, "bid"),
        bid_qty=_num(data, "bid_qty"),
        ask=_num(data, "ask"),
        ask_qty=_num(data, "ask_qty"),
        last=_num(data, "last"),
        volume=_num(data, "volume"),
        vwap=_num(data, "vwap"),
        low=_num(data, "low"),
        high=_num(data, "high"),
        change=_signed(data.get("change", 0), "change"),
        change_pct=_signed(data.get("change_pct", 0), "change_pct"),
        timestamp=parse_time(stamp) if stamp is not None else None,
    )


def parse_trade(data: dict[str, Any]) -> PublicTrade:
    """Build a ``PublicTrade`` from one ``trade`` data object."""
    trade_id = data.get("trade_id")
    return PublicTrade(
        symbol=str(data["symbol"]),
        price=_num(data, "price"),
        quantity=_num(data, "qty"),
        side=str(data["side"]),
        timestamp=parse_time(data["timestamp"]),
        trade_id=None if trade_id is None else str(trade_id),
    )


def parse_candle(data: dict[str, Any]) -> Candle:
    """Build a ``Candle`` (open time = ``interval_begin``) from one ``ohlc`` data object."""
    trades = data.get("trades", 0)
    return Candle(
        symbol=str(data["symbol"]),
        interval_minutes=int(data["interval"]),
        timestamp=parse_time(data["interval_begin"]),
        open=_num(data, "open"),
        high=_num(data, "high"),
        low=_num(data, "low"),
        close=_num(data, "close"),
        volume=_num(data, "volume"),
        trades=trades if isinstance(trades, int) else 0,
        vwap=_num(data, "vwap") if "vwap" in data else None,
    )


@dataclass
class LiveBook:
    """A subscribed book: the local ``OrderBook`` plus its health and age.

    The book is **stale** from the moment it can no longer be trusted (a checksum mismatch, a
    message it could not apply, the socket dropping, or before its first snapshot) until a
    fresh snapshot with a matching checksum arrives. Readers check ``stale`` (or ``valid``) and
    ``stale_since``/``stale_reason``, or ask ``KrakenMarketData.book(..., require_valid=True)``.

    Attributes:
        received_at: ``clock.monotonic()`` of the newest book message.
        checksum_failures: messages whose checksum did not match (or could not be applied).
        resubscribes: checksum-driven resubscribes of this symbol.
        reconnects: socket reconnects that this book's recovery asked for.
        stale_since: when the book went stale (tz-aware UTC), None while valid.
        stale_reason: why it is stale, None while valid.
        valid_at: ``clock.monotonic()`` of the snapshot that last made it valid.
    """

    book: OrderBook
    received_at: float | None = None
    checksum_failures: int = 0
    resubscribes: int = 0
    reconnects: int = 0
    stale_since: datetime | None = field(default_factory=lambda: datetime.now(UTC))
    stale_reason: str | None = "waiting for the first snapshot"
    valid_at: float | None = None

    @property
    def valid(self) -> bool:
        """True while the book matches the venue's (the last checksum held)."""
        return self.stale_since is None

    @property
    def stale(self) -> bool:
        """True from a mismatch or a dropped socket until a fresh snapshot repairs the book."""
        return self.stale_since is not None

    def mark_stale(self, reason: str, now: datetime) -> None:
        """Mark the book stale; ``stale_since`` keeps the start of the current stale spell."""
        if self.stale_since is None:
            self.stale_since = now
        self.stale_reason = reason

    def mark_valid(self, monotonic: float) -> None:
        """A snapshot with a matching checksum arrived: the book is valid again."""
        self.stale_since = None
        self.stale_reason = None
        self.valid_at = monotonic

    @property
    def symbol(self) -> str:
        """WS v2 symbol."""
        return self.book.symbol

    @property
    def bids(self) -> list[tuple[Decimal, Decimal]]:
        """Bid levels ``(price, qty)``, best first."""
        return self.book.bids

    @property
    def asks(self) -> list[tuple[Decimal, Decimal]]:
        """Ask levels ``(price, qty)``, best first."""
        return self.book.asks

    def checksum(self) -> int:
        """CRC32 of the current top 10 levels."""
        return self.book.checksum()


@dataclass(frozen=True, slots=True)
class BookUpdate:
    """One applied ``book`` message: the levels it carried and whether the checksum held."""

    symbol: str
    snapshot: bool
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]
    checksum_ok: bool
    book: LiveBook

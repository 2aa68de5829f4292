"""An L2 order book for one Kraken Futures market, with the WS feed's sequence numbers (pure).

The ``book`` feed sends a ``book_snapshot`` then one delta per level change, each with the
subscription's ``seq``; a delta whose ``seq`` is not the previous one plus one means a
message was lost, and the book is not trusted again until a fresh snapshot (the stream
resubscribes). ``qty: 0`` removes a level. REST ``/orderbook`` gives a snapshot without seq.
https://docs.kraken.com/api/docs/futures-api/websocket/book
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

__all__ = ["BookGapError", "L2Book"]

Level = tuple[Decimal, Decimal]


class BookGapError(Exception):
    """A delta's sequence number skipped: ``expected`` was due, ``got`` arrived."""

    def __init__(self, symbol: str, expected: int, got: int) -> None:
        super().__init__(f"{symbol}: book seq gap, expected {expected}, got {got}")
        self.symbol, self.expected, self.got = symbol, expected, got


@dataclass
class L2Book:
    """Price -> size per side, the last applied ``seq`` and whether the book is trustworthy."""

    symbol: str
    bids_by_price: dict[Decimal, Decimal] = field(default_factory=dict)
    asks_by_price: dict[Decimal, Decimal] = field(default_factory=dict)
    seq: int | None = None
    timestamp: datetime | None = None
    valid: bool = False

    def load(
        self,
        bids: Iterable[Level],
        asks: Iterable[Level],
        seq: int | None = None,
        timestamp: datetime | None = None,
    ) -> None:
        """Replace the book with a snapshot; it is valid from here."""
        self.bids_by_price = {p: q for p, q in bids if q > 0}
        self.asks_by_price = {p: q for p, q in asks if q > 0}
        self.seq, self.timestamp, self.valid = seq, timestamp, True

    def apply(
        self, side: str, price: Decimal, qty: Decimal, seq: int, timestamp: datetime | None = None
    ) -> None:
        """Apply one delta (``side`` is ``buy`` for bids, ``sell`` for asks).

        A delta at or below the current ``seq`` is a repeat and ignored.

        Raises:
            BookGapError: ``seq`` skipped ahead; the book is marked invalid first.
        """
        if self.seq is not None and seq <= self.seq:
            return
        if self.seq is not None and seq != self.seq + 1:
            self.valid = False
            raise BookGapError(self.symbol, self.seq + 1, seq)
        levels = self.bids_by_price if side == "buy" else self.asks_by_price
        if qty <= 0:
            levels.pop(price, None)
        else:
            levels[price] = qty
        self.seq = seq
        if timestamp is not None:
            self.timestamp = timestamp

    def invalidate(self) -> None:
        """Mark the book stale (connection lost, gap): wait for the next snapshot."""
        self.valid = False

    @property
    def bids(self) -> list[Level]:
        """Bids, best (highest) first."""
        return sorted(self.bids_by_price.items(), reverse=True)

    @property
    def asks(self) -> list[Level]:
        """Asks, best (lowest) first."""
        return sorted(self.asks_by_price.items())

    @property
    def best_bid(self) -> Decimal | None:
        """Highest bid price, if any."""
        return max(self.bids_by_price) if self.bids_by_price else None

    @property
    def best_ask(self) -> Decimal | None:
        """Lowest ask price, if any."""
        return min(self.asks_by_price) if self.asks_by_price else None

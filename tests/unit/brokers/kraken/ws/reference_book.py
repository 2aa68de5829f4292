"""The book as it was before the fast path (verbatim, issue 19): the reference it must equal.

Kept only for tests/unit/brokers/kraken/ws/test_book_fast_path.py; not imported by src.
"""

from __future__ import annotations

import bisect
import zlib
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["ReferenceBook"]

CHECKSUM_LEVELS = 10
VALID_DEPTHS = (10, 25, 100, 500, 1000)


class BookError(ValueError):
    """A book message that cannot be applied (bad level, bad number)."""


def level_decimal(value: Any, field: str) -> Decimal:
    """Read one price or quantity from a decoded frame as an exact ``Decimal``.

    Accepts ``Decimal`` (from ``parse_float=Decimal``), ``int`` and decimal strings. A float
    (a frame decoded without ``parse_float``) is read through its shortest repr, never its
    binary value.
    """
    if isinstance(value, bool):
        raise BookError(f"{field}: expected a number, got {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation as exc:
            raise BookError(f"{field}: not a number: {value!r}") from exc
    elif isinstance(value, float):
        result = Decimal(repr(value))
    else:
        raise BookError(f"{field}: expected a number, got {type(value).__name__}")
    if not result.is_finite() or result < 0:
        raise BookError(f"{field}: must be a finite non-negative number, got {value!r}")
    return result


def _digits(value: Decimal, places: int) -> str:
    text = format(value, f".{places}f") if places > 0 else format(value, ".0f")
    return text.replace(".", "").lstrip("0")


def checksum_token(price: Decimal, qty: Decimal, price_precision: int, qty_precision: int) -> str:
    """One level's contribution to the checksum string (price digits then quantity digits)."""
    return _digits(price, price_precision) + _digits(qty, qty_precision)


class _Side:
    """One side of the book, keyed by ``sign * price`` so ascending order is best first."""

    def __init__(self, descending: bool) -> None:
        self._descending = descending
        self._keys: list[Decimal] = []  # sorted ascending = best first
        self._levels: dict[Decimal, tuple[Decimal, Decimal, str]] = {}  # key -> price, qty, token

    def set(self, price: Decimal, qty: Decimal, token: str) -> None:
        key = -price if self._descending else price
        if key not in self._levels:
            bisect.insort(self._keys, key)
        self._levels[key] = (price, qty, token)

    def remove(self, price: Decimal) -> None:
        key = -price if self._descending else price
        if self._levels.pop(key, None) is not None:
            del self._keys[bisect.bisect_left(self._keys, key)]

    def truncate(self, depth: int) -> None:
        if len(self._keys) > depth:
            for key in self._keys[depth:]:
                del self._levels[key]
            del self._keys[depth:]

    def clear(self) -> None:
        self._keys.clear()
        self._levels.clear()

    def top(self, count: int | None = None) -> list[tuple[Decimal, Decimal]]:
        keys = self._keys if count is None else self._keys[:count]
        levels = self._levels
        return [(levels[k][0], levels[k][1]) for k in keys]

    def tokens(self, count: int) -> str:
        levels = self._levels
        return "".join([levels[k][2] for k in self._keys[:count]])

    def __len__(self) -> int:
        return len(self._keys)


class ReferenceBook:
    """A Kraken WS v2 L2 book for one symbol, truncated to the subscribed depth.

    Args:
        symbol: WS v2 symbol, e.g. ``"BTC/USD"``.
        depth: subscribed depth (10, 25, 100, 500 or 1000).
        price_precision: the pair's price decimals (instrument ``price_precision``).
        qty_precision: the pair's quantity decimals (instrument ``qty_precision``).
    """

    def __init__(self, symbol: str, depth: int, price_precision: int, qty_precision: int) -> None:
        if depth not in VALID_DEPTHS:
            raise BookError(f"depth: must be one of {VALID_DEPTHS}, got {depth}")
        if price_precision < 0 or qty_precision < 0:
            raise BookError("precision: must be >= 0")
        self.symbol = symbol
        self.depth = depth
        self.price_precision = price_precision
        self.qty_precision = qty_precision
        self._bids = _Side(descending=True)
        self._asks = _Side(descending=False)
        self.timestamp: str | None = None

    @property
    def bids(self) -> list[tuple[Decimal, Decimal]]:
        """Bid levels as ``(price, qty)``, best (highest) first."""
        return self._bids.top()

    @property
    def asks(self) -> list[tuple[Decimal, Decimal]]:
        """Ask levels as ``(price, qty)``, best (lowest) first."""
        return self._asks.top()

    def best_bid(self) -> tuple[Decimal, Decimal] | None:
        """The highest bid, or None when the side is empty."""
        top = self._bids.top(1)
        return top[0] if top else None

    def best_ask(self) -> tuple[Decimal, Decimal] | None:
        """The lowest ask, or None when the side is empty."""
        top = self._asks.top(1)
        return top[0] if top else None

    def apply(
        self,
        bids: Iterable[Mapping[str, Any]],
        asks: Iterable[Mapping[str, Any]],
        *,
        snapshot: bool = False,
    ) -> None:
        """Apply one message's levels in order, then truncate to the subscribed depth.

        A snapshot replaces the book. ``qty`` 0 removes a level. The whole message is validated
        before anything changes, so a bad level leaves the book as it was.
        """
        parsed_bids = self._parse_levels(bids, "bids")
        parsed_asks = self._parse_levels(asks, "asks")
        if snapshot:
            self._bids.clear()
            self._asks.clear()
        for side, levels in ((self._bids, parsed_bids), (self._asks, parsed_asks)):
            for price, qty in levels:
                if qty == 0:
                    side.remove(price)
                else:
                    token = checksum_token(price, qty, self.price_precision, self.qty_precision)
                    side.set(price, qty, token)
            side.truncate(self.depth)

    def apply_message(self, data: Mapping[str, Any], *, snapshot: bool) -> bool:
        """Apply one ``book`` data object and report whether its checksum matches.

        Returns True when the message carries no checksum. A malformed checksum is refused
        before any level is applied, like a malformed level: nothing is half-applied.
        """
        expected = data.get("checksum")
        if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int)):
            raise BookError(f"checksum: expected an integer, got {expected!r}")
        self.apply(data.get("bids") or (), data.get("asks") or (), snapshot=snapshot)
        timestamp = data.get("timestamp")
        self.timestamp = timestamp if isinstance(timestamp, str) else self.timestamp
        return expected is None or self.checksum() == expected

    def checksum_string(self) -> str:
        """The exact string Kraken feeds to CRC32 for the current top 10 levels."""
        return self._asks.tokens(CHECKSUM_LEVELS) + self._bids.tokens(CHECKSUM_LEVELS)

    def checksum(self) -> int:
        """CRC32 (unsigned) of the current top 10 asks and bids."""
        return zlib.crc32(self.checksum_string().encode("ascii")) & 0xFFFFFFFF

    def _parse_levels(
        self, levels: Iterable[Mapping[str, Any]], name: str
    ) -> list[tuple[Decimal, Decimal]]:
        if isinstance(levels, str | bytes | Mapping):
            raise BookError(f"{name}: expected a list of levels")
        out: list[tuple[Decimal, Decimal]] = []
        for index, level in enumerate(levels):
            if not isinstance(level, Mapping):
                raise BookError(f"{name}[{index}]: expected an object with price and qty")
            price, qty = level.get("price"), level.get("qty")
            # fast path: the decoder already produced finite non-negative Decimals
            if not (
                type(price) is Decimal
                and type(qty) is Decimal
                and price.is_finite()
                and qty.is_finite()
                and price >= 0
                and qty >= 0
            ):
                price = level_decimal(price, f"{name}[{index}].price")
                qty = level_decimal(qty, f"{name}[{index}].qty")
            out.append((price, qty))
        return out

    def __len__(self) -> int:
        return len(self._bids) + len(self._asks)

    def __repr__(self) -> str:
        return (
            f"OrderBook({self.symbol!r}, depth={self.depth}, best_bid={self.best_bid()}, "
            f"best_ask={self.best_ask()})"
        )

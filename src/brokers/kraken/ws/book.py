"""Local level-2 order book for Kraken WebSocket v2 with its CRC32 checksum (pure, no I/O).

Kraken's checksum (docs: guides/spot-ws-book-v2) is the CRC32 of the top 10 asks (ascending)
then the top 10 bids (descending), each level written as price then quantity, formatted to the
pair's price and quantity precision, with the ``.`` removed and leading zeros stripped. A float
never touches the numbers: they are ``Decimal`` or the exact text of the JSON literal.

How it stays fast (docs/websocket.md, *Performance*): a level is keyed by its price scaled to an
exact integer (``30500.7`` at precision 1 is ``305007``; bids negated so ascending is best
first), which is also its checksum digits, and each level keeps its token (price digits + qty
digits), so a checksum joins at most 20 cached strings. The sorted key list is patched with
``bisect`` for small messages and rebuilt once for large ones. ``Decimal`` values for readers
are made on first read and kept. Frames from ``WIRE_DECODER`` (float literals as text) take
``apply_wire_message``: canonical levels are read with string operations only; anything else
is refused unapplied, so the caller sends it down the ``Decimal`` path, whose results are the
same by construction (tests/unit/brokers/kraken/ws/test_book_fast_path.py).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from src.brokers.kraken.ws.book_side import BookSide, Entry, Key, Parsed

__all__ = [
    "CHECKSUM_LEVELS",
    "WIRE_DECODER",
    "BookError",
    "OrderBook",
    "WireNumber",
    "checksum_token",
    "level_decimal",
]

CHECKSUM_LEVELS = 10
VALID_DEPTHS = (10, 25, 100, 500, 1000)


class WireNumber(str):
    """The exact text of a JSON float literal (``30500.7``), as ``WIRE_DECODER`` leaves it.

    A type of its own, so a JSON *string* (``"30500.7"``) is never mistaken for a number.
    """

    __slots__ = ()


#: Decodes a frame once, keeping each JSON float literal as a ``WireNumber`` (ints stay ints).
WIRE_DECODER = json.JSONDecoder(parse_float=WireNumber)
# scaleb under the default context rounds past 28 digits; keys must be exact.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


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


def _exact_key(price: Decimal, places: int, sign: int) -> Key:
    """``sign * price * 10**places`` exactly: an int, or a Fraction past the precision."""
    scaled = price.scaleb(places, _EXACT)
    whole = int(scaled)
    return sign * whole if whole == scaled else sign * Fraction(scaled)


class OrderBook:
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
        self._bids = BookSide(-1)
        self._asks = BookSide(1)
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
        parsed_bids = self._parse_levels(bids, "bids", -1)
        parsed_asks = self._parse_levels(asks, "asks", 1)
        self._update(parsed_bids, parsed_asks, snapshot)

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

    def apply_wire_message(self, data: dict[str, Any], *, snapshot: bool) -> bool | None:
        """``apply_message`` for a data object from ``WIRE_DECODER``, on its fast path.

        Returns:
            Whether the checksum matches (True without one), as ``apply_message``; or None,
            with nothing changed, when the message is not in canonical form (a level that is
            not ``{"price": literal, "qty": literal or 0}`` at exactly the pair's decimals, a
            checksum that is not an int): decode it with ``Decimal`` and ``apply_message`` it.
        """
        expected = data.get("checksum")
        if expected is not None and type(expected) is not int:
            return None
        bids = data.get("bids") or ()
        asks = data.get("asks") or ()
        if (type(bids) is not list and bids != ()) or (type(asks) is not list and asks != ()):
            return None
        parsed_bids = self._parse_wire(bids, -1) if bids else []
        parsed_asks = self._parse_wire(asks, 1) if asks else []
        if parsed_bids is None or parsed_asks is None:
            return None
        self._update(parsed_bids, parsed_asks, snapshot)
        timestamp = data.get("timestamp")
        if type(timestamp) is str:
            self.timestamp = timestamp
        return expected is None or self.checksum() == expected

    def checksum_string(self) -> str:
        """The exact string Kraken feeds to CRC32 for the current top 10 levels."""
        return self._asks.tokens() + self._bids.tokens()

    def checksum(self) -> int:
        """CRC32 (unsigned) of the current top 10 asks and bids."""
        return zlib.crc32((self._asks.tokens() + self._bids.tokens()).encode("ascii"))

    def _update(self, bids: list[Parsed], asks: list[Parsed], snapshot: bool) -> None:
        if snapshot:
            self._bids.clear()
            self._asks.clear()
        if bids or snapshot:
            self._bids.update(bids, self.depth)
        if asks or snapshot:
            self._asks.update(asks, self.depth)

    def _parse_wire(self, levels: Iterable[Any], sign: int) -> list[Parsed] | None:
        # Only literals already at the pair's decimals: their digits are the checksum digits.
        # A JSON float literal is -?digits.digits([eE][+-]?digits)? in ASCII, so a sign or an
        # exponent fails isdecimal and sends the message to the Decimal path, like any odd value.
        pp, qp = self.price_precision, self.qty_precision
        out: list[Parsed] = []
        for level in levels:
            if type(level) is not dict:
                return None
            price = level.get("price")
            qty = level.get("qty")
            if type(price) is not WireNumber:
                return None
            whole, _, frac = price.partition(".")
            if len(frac) != pp or not whole.isdecimal() or not frac.isdecimal():
                return None
            digits = whole + frac
            entry: Entry | None
            if type(qty) is WireNumber:
                qwhole, _, qfrac = qty.partition(".")
                if len(qfrac) != qp or not qwhole.isdecimal() or not qfrac.isdecimal():
                    return None
                qdigits = (qwhole + qfrac).lstrip("0")
                entry = [digits.lstrip("0") + qdigits, price, qty, None] if qdigits else None
            elif qty == 0 and type(qty) is int:
                entry = None
            else:
                return None
            out.append((sign * int(digits), entry))
        return out

    def _parse_levels(
        self, levels: Iterable[Mapping[str, Any]], name: str, sign: int
    ) -> list[Parsed]:
        if isinstance(levels, str | bytes | Mapping):
            raise BookError(f"{name}: expected a list of levels")
        pp, qp = self.price_precision, self.qty_precision
        out: list[Parsed] = []
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
            key = _exact_key(price, pp, sign)
            if qty == 0:
                out.append((key, None))
            else:
                out.append((key, [_digits(price, pp) + _digits(qty, qp), price, qty, None]))
        return out

    def __len__(self) -> int:
        return len(self._bids) + len(self._asks)

    def __repr__(self) -> str:
        return (
            f"OrderBook({self.symbol!r}, depth={self.depth}, best_bid={self.best_bid()}, "
            f"best_ask={self.best_ask()})"
        )

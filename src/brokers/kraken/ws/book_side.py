"""One side of a Kraken WS v2 book: levels keyed by exact scaled price, kept best first."""

from __future__ import annotations

import bisect
from decimal import Decimal
from fractions import Fraction
from typing import Any

__all__ = ["BULK_LEVELS", "BookSide", "Entry", "Key", "Parsed"]

#: ``sign * price * 10**price_precision``: an int for any price at the pair's precision.
Key = int | Fraction
#: ``[token, price, qty, decimals]``: the checksum token (price digits + qty digits), the wire
#: values (``Decimal``, or JSON literal text), and the ``(Decimal, Decimal)`` pair once read.
Entry = list[Any]
#: One parsed level: its key and entry, or None for a deletion (qty 0).
Parsed = tuple[Key, Entry | None]
#: A message with more levels than this rebuilds the key order once instead of patching it.
BULK_LEVELS = 8


def _decimal(value: Any) -> Decimal:
    # JSON literal text and ints convert exactly; a Decimal from the Decimal path stays as is.
    return value if type(value) is Decimal else Decimal(value)


class BookSide:
    """Levels of one side; ascending keys are best first (bids are keyed negated).

    Args:
        sign: 1 for asks (lowest price first), -1 for bids (highest first).
    """

    __slots__ = ("_tokens", "keys", "levels", "sign")

    def __init__(self, sign: int) -> None:
        self.sign = sign
        self.levels: dict[Key, Entry] = {}
        self.keys: list[Key] = []  # sorted ascending = best first
        self._tokens: str | None = None  # checksum part of the top 10, until the side changes

    def update(self, parsed: list[Parsed], depth: int) -> None:
        """Apply levels in order (None deletes), then truncate to ``depth``."""
        self._tokens = None
        if len(parsed) > BULK_LEVELS:
            self._bulk(parsed)
        else:
            levels, keys = self.levels, self.keys
            for key, entry in parsed:
                if entry is None:
                    if levels.pop(key, None) is not None:
                        del keys[bisect.bisect_left(keys, key)]
                else:
                    if key not in levels:
                        bisect.insort(keys, key)
                    levels[key] = entry
        keys = self.keys
        if len(keys) > depth:
            levels = self.levels
            for key in keys[depth:]:
                del levels[key]
            del keys[depth:]

    def _bulk(self, parsed: list[Parsed]) -> None:
        # Many levels at once: patch the dict, then sort the keys once (not one insort each).
        levels = self.levels
        moved = False
        for key, entry in parsed:
            if entry is None:
                moved = levels.pop(key, None) is not None or moved
            else:
                moved = moved or key not in levels
                levels[key] = entry
        if moved:
            self.keys = sorted(levels)

    def clear(self) -> None:
        """Remove every level."""
        self.levels.clear()
        self.keys.clear()
        self._tokens = None

    def tokens(self, count: int = 10) -> str:
        """The checksum string of the best ``count`` levels (cached for the default 10)."""
        if count != 10:
            return "".join([self.levels[k][0] for k in self.keys[:count]])
        if self._tokens is None:
            levels = self.levels
            self._tokens = "".join([levels[k][0] for k in self.keys[:10]])
        return self._tokens

    def top(self, count: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """``(price, qty)`` of the best ``count`` levels (all when None), best first."""
        keys = self.keys if count is None else self.keys[:count]
        levels = self.levels
        out: list[tuple[Decimal, Decimal]] = []
        for key in keys:
            entry = levels[key]
            pair = entry[3]
            if pair is None:
                pair = entry[3] = (_decimal(entry[1]), _decimal(entry[2]))
            out.append(pair)
        return out

    def __len__(self) -> int:
        return len(self.keys)

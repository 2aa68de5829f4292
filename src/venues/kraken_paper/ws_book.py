"""Per-subscriber book state for the paper exchange's WS v2 ``book`` channel, with its checksum.

Written independently of the client's book code (the two must not share a bug): levels are
scaled to integers by the pair's precision and the integers' decimal digits are concatenated,
which is what Kraken's "format, drop the dot, strip leading zeros" yields.
"""

from __future__ import annotations

import binascii
from decimal import ROUND_HALF_EVEN, Decimal

Level = tuple[Decimal, Decimal]

__all__ = ["SubscriberBook", "kraken_checksum"]


def _as_int_text(value: Decimal, decimals: int) -> str:
    scaled = (value * (Decimal(10) ** decimals)).to_integral_value(ROUND_HALF_EVEN)
    return str(int(scaled))


def kraken_checksum(
    bids: list[Level], asks: list[Level], price_decimals: int, qty_decimals: int
) -> int:
    """CRC32 over the top 10 asks (ascending) then top 10 bids (descending)."""
    parts: list[str] = []
    for price, qty in sorted(asks)[:10]:
        parts.append(_as_int_text(price, price_decimals) + _as_int_text(qty, qty_decimals))
    for price, qty in sorted(bids, reverse=True)[:10]:
        parts.append(_as_int_text(price, price_decimals) + _as_int_text(qty, qty_decimals))
    return binascii.crc32("".join(parts).encode()) & 0xFFFFFFFF


class SubscriberBook:
    """What one subscriber was last sent for one symbol, truncated to its depth."""

    def __init__(self, depth: int, price_decimals: int, qty_decimals: int) -> None:
        self.depth = depth
        self.price_decimals = price_decimals
        self.qty_decimals = qty_decimals
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}

    def _top(self, levels: list[Level], descending: bool) -> dict[Decimal, Decimal]:
        ordered = sorted((lv for lv in levels if lv[1] > 0), reverse=descending)
        return dict(ordered[: self.depth])

    def snapshot(self, bids: list[Level], asks: list[Level]) -> tuple[list[Level], list[Level]]:
        """Reset to the venue book; returns the levels to send, best first."""
        self.bids = self._top(bids, descending=True)
        self.asks = self._top(asks, descending=False)
        return list(self.bids.items()), list(self.asks.items())

    def diff(self, bids: list[Level], asks: list[Level]) -> tuple[list[Level], list[Level]]:
        """Move to the venue book; returns changed levels (qty 0 = removed).

        Levels that merely fall below the depth are not sent as deletions: the client
        truncates to its depth itself (docs: guides/spot-ws-book-v2).
        """
        new_bids = self._top(bids, descending=True)
        new_asks = self._top(asks, descending=False)
        out_bids = _changes(self.bids, new_bids, descending=True, depth=self.depth)
        out_asks = _changes(self.asks, new_asks, descending=False, depth=self.depth)
        self.bids, self.asks = new_bids, new_asks
        return out_bids, out_asks

    def checksum(self) -> int:
        """Checksum of what this subscriber now holds."""
        return kraken_checksum(
            list(self.bids.items()), list(self.asks.items()), self.price_decimals, self.qty_decimals
        )


def _changes(
    old: dict[Decimal, Decimal], new: dict[Decimal, Decimal], descending: bool, depth: int
) -> list[Level]:
    out: list[Level] = []
    worst_new = (min(new) if descending else max(new)) if len(new) >= depth else None
    for price in old:
        if price not in new:
            pushed_out = worst_new is not None and (
                price < worst_new if descending else price > worst_new
            )
            if not pushed_out:
                out.append((price, Decimal(0)))
    for price, qty in new.items():
        if old.get(price) != qty:
            out.append((price, qty))
    return out

"""Resting limit orders of one contract, price-time priority, and the aggregated public book."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from src.venues.kraken_futures_paper.state import VenueOrder

__all__ = ["OrderBook"]


class OrderBook:
    """Users' resting limit orders (triggers wait elsewhere until they fire)."""

    def __init__(self) -> None:
        self.orders: list[VenueOrder] = []

    def add(self, order: VenueOrder) -> None:
        """Rest ``order`` (its ``priority`` orders equal prices)."""
        self.orders.append(order)

    def remove(self, order: VenueOrder) -> None:
        """Take ``order`` off the book (no error if absent)."""
        if order in self.orders:
            self.orders.remove(order)

    def side(self, side: str) -> list[VenueOrder]:
        """Resting orders on ``side`` in matching order: best price first, then oldest."""
        rest = [o for o in self.orders if o.side == side and o.unfilled > 0]
        if side == "buy":
            return sorted(rest, key=lambda o: (-(o.limit_price or 0), o.priority))
        return sorted(rest, key=lambda o: (o.limit_price or 0, o.priority))

    def levels(self, side: str) -> dict[Decimal, Decimal]:
        """Aggregated size per price on ``side``."""
        out: dict[Decimal, Decimal] = defaultdict(Decimal)
        for order in self.orders:
            if order.side == side and order.limit_price is not None and order.unfilled > 0:
                out[order.limit_price] += order.unfilled
        return dict(out)

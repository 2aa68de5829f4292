"""Trailing stops: the trigger follows the best last price; firing sets a limit if there is one.

A trailing-stop sell keeps its trigger ``trail`` under the highest last price since it was
placed (a buy, over the lowest) and fires when the last price comes back to the trigger;
a trailing-stop-limit then works as a limit order at the trigger plus its (signed) limit
offset. Docs: rest-api/add-order (``price`` ``+`` offset, ``price2`` ``+``/``-`` offset).
"""

from __future__ import annotations

from decimal import Decimal

from src.venues.kraken_paper.orders import PaperOrder
from src.venues.kraken_paper.prices import Offset, on_tick, trail_trigger


def trail_to(order: PaperOrder, last: Decimal) -> None:
    """Move a trailing order's trigger after a trade at ``last`` (never backwards)."""
    assert order.trail is not None
    peak = order.peak
    if peak is not None and (last <= peak if order.side == "sell" else last >= peak):
        return
    order.peak = last
    trail = Offset(1, order.trail, order.trail_pct)
    order.price = trail_trigger(order.spec, order.side, trail, last)


def fire(order: PaperOrder) -> None:
    """Mark a triggered order; a trailing-stop-limit gets its limit price now."""
    order.triggered = True
    order.misc.append("touched" if order.ordertype.startswith("take-profit") else "stopped")
    if order.limit_offset is not None and order.price is not None:
        sign = 1 if order.limit_offset >= 0 else -1
        offset = Offset(sign, abs(order.limit_offset), order.limit_offset_pct)
        order.price2 = on_tick(order.spec, order.price + offset.of(order.price))


__all__ = ["fire", "trail_to"]

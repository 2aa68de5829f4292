"""Resting orders in the public book: their levels, their queue position, matching against them.

Every account's resting limit orders (limit, iceberg, triggered stop-limits) are in the public
book next to the market's own levels: Depth, WS ``book``, the ticker's best bid and ask. At a
price, the market's volume there when an order joined is ahead of it (``ahead``); the tape's
trades at that price use that up first, and only what trades after it fills the order. A
trade through the price (below a buy, above a sell) fills it without waiting, and a smaller
market level at that price shrinks what is ahead. Among resting orders, time decides. An
iceberg shows its ``display_qty``; once that is filled the next slice goes to the back of the
queue (``iceberg_refill``).

A taker walks the combined book: the market's volume at a price first (it was there first),
then resting orders by time, whichever account owns them. Meeting one of its own account's
orders, self-trade prevention applies (``stptype`` of the incoming order): ``cancel-newest``
cancels the incoming order's rest, ``cancel-oldest`` the resting order, ``cancel-both`` both.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from src.venues.kraken_paper.market import PairMarket
from src.venues.kraken_paper.orders import RESTING_TYPES, PaperOrder


class Engine(Protocol):
    """What the book and close-order helpers use of ``matching.Engine`` (no import cycle)."""

    @property
    def markets(self) -> Mapping[str, PairMarket]:
        """Markets by pair key."""
        ...

    @property
    def accounts(self) -> Mapping[str, Any]:
        """Accounts by id."""
        ...

    def open_orders(self, account_id: str | None = None) -> list[PaperOrder]:
        """Open orders, oldest first."""
        ...

    def fill(
        self, order: PaperOrder, price: Decimal, qty: Decimal, maker: bool, now: float
    ) -> None:
        """Execute part of an order."""
        ...

    def affordable(self, order: PaperOrder, price: Decimal) -> Decimal:
        """How much of a buy the account can pay for."""
        ...

    def close(self, order: PaperOrder, status: str, reason: str | None, now: float) -> None:
        """Finish an order."""
        ...

    def emit(self, order: PaperOrder, exec_type: str, now: float) -> None:
        """Announce an order change."""
        ...

    def add_order(self, order: PaperOrder) -> None:
        """Record an order."""
        ...

    def check_funds(self, account: Any, order: PaperOrder) -> None:
        """Raise unless the order is covered."""
        ...

    def submit(self, order: PaperOrder) -> None:
        """Accept a validated order."""
        ...


STP_REASON = "Self trade prevention"


def is_resting(o: PaperOrder) -> bool:
    """True for a live order on the book at a limit price."""
    return (
        o.status == "open" and o.limit_price is not None and o.remaining > 0
        and (o.ordertype in RESTING_TYPES or o.triggered)
    )  # fmt: skip


def resting(engine: Engine, pair_key: str, side: str) -> list[PaperOrder]:
    """A pair's resting orders on one side, best price first, then by time in the queue."""
    rows = [o for o in engine.open_orders() if o.pair_key == pair_key and o.side == side]
    rows = [o for o in rows if is_resting(o)]
    sign = -1 if side == "buy" else 1
    return sorted(rows, key=lambda o: (sign * (o.limit_price or 0), o.queued_at or o.opentm))


def shown(o: PaperOrder) -> Decimal:
    """What the book shows of an order: its remainder, or an iceberg's current slice."""
    if o.display_qty is None:
        return o.remaining
    return min(o.shown_left if o.shown_left is not None else o.display_qty, o.remaining)


def join_queue(engine: Engine, o: PaperOrder, now: float) -> None:
    """An order starts resting (or an iceberg slice refills): behind the level's volume."""
    market = engine.markets[o.pair_key]
    same = market.bids if o.side == "buy" else market.asks
    o.ahead = next((q for p, q in same if p == o.limit_price), Decimal(0))
    o.queued_at = now
    if o.display_qty is not None:
        o.shown_left = min(o.display_qty, o.remaining)


def publish(engine: Engine, pair_key: str, now: float) -> None:
    """Put a pair's resting orders into its public book and announce the book."""
    market = engine.markets[pair_key]
    for side, levels in (("buy", market.own_bids), ("sell", market.own_asks)):
        levels.clear()
        for o in resting(engine, pair_key, side):
            assert o.limit_price is not None
            levels[o.limit_price] = levels.get(o.limit_price, Decimal(0)) + shown(o)
    market.announce(now)


def shrink_ahead(engine: Engine, pair_key: str) -> None:
    """After the market rebuilt its levels: no more is ahead of an order than its level holds.

    A level gone from the rebuilt book (the market moved away from that price) leaves the
    queue as it was: only trades at the price, or through it, move an order up.
    """
    market = engine.markets[pair_key]
    for side, levels in (("buy", market.bids), ("sell", market.asks)):
        at = {p: q for p, q in levels}
        for o in resting(engine, pair_key, side):
            if o.ahead and o.limit_price in at:
                o.ahead = min(o.ahead, at[o.limit_price])


def _filled_slice(engine: Engine, o: PaperOrder, qty: Decimal, now: float) -> None:
    """Count a fill against an iceberg's slice; refill (back of the queue) when it is gone."""
    if o.display_qty is None or o.status != "open":
        return
    o.shown_left = (o.shown_left or Decimal(0)) - qty
    if o.shown_left <= 0 and o.remaining > 0:
        join_queue(engine, o, now)
        engine.emit(o, "iceberg_refill", now)


def trade_through(engine: Engine, pair_key: str, price: Decimal, qty: Decimal, now: float) -> None:
    """A market trade at ``price`` for ``qty``: fill resting orders it reached, queue first."""
    for side in ("buy", "sell"):
        left = qty
        for o in resting(engine, pair_key, side):
            limit = o.limit_price
            reached = limit is not None and (limit >= price if side == "buy" else limit <= price)
            if left <= 0 or limit is None or not reached:
                break
            if limit == price and o.ahead:  # the volume ahead trades first
                used = min(o.ahead, left)
                o.ahead -= used
                left -= used
                if left <= 0:
                    break
            fill = min(left, shown(o))
            left -= fill
            engine.fill(o, limit, fill, maker=True, now=now)
            _filled_slice(engine, o, fill, now)


def _stp(engine: Engine, taker: PaperOrder, maker: PaperOrder, now: float) -> bool:
    """Self-trade prevention; True if the taker goes on walking the book."""
    kind = taker.stptype
    if kind in ("cancel-oldest", "cancel-both"):
        engine.close(maker, "canceled", STP_REASON, now)
    if kind in ("cancel-newest", "cancel-both"):
        engine.close(taker, "canceled", STP_REASON, now)
        return False
    return True


def best_resting(engine: Engine, taker: PaperOrder) -> PaperOrder | None:
    """The first resting order a taker would meet on the other side (other than itself)."""
    other = "sell" if taker.side == "buy" else "buy"
    rows = [o for o in resting(engine, taker.pair_key, other) if o.txid != taker.txid]
    return rows[0] if rows else None


def take_resting(engine: Engine, taker: PaperOrder, maker: PaperOrder, now: float) -> bool:
    """Trade a taker against one resting order at the maker's price; True to keep walking."""
    if maker.account_id == taker.account_id:
        return _stp(engine, taker, maker, now)
    price = maker.limit_price
    assert price is not None
    qty = min(taker.remaining, shown(maker))
    if taker.side == "buy":
        qty = min(qty, engine.affordable(taker, price))
        if qty <= 0:
            engine.close(taker, "canceled", "Insufficient funds", now)
            return False
    engine.markets[taker.pair_key].record_trade(price, qty, taker.side, taker.ordertype, now)
    engine.fill(maker, price, qty, maker=True, now=now)
    _filled_slice(engine, maker, qty, now)
    engine.fill(taker, price, qty, maker=False, now=now)
    return True


__all__ = [
    "STP_REASON", "Engine", "best_resting", "is_resting", "join_queue", "publish", "resting",
    "shown", "shrink_ahead", "take_resting", "trade_through",
]  # fmt: skip

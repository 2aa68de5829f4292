"""The adapter's one registry of open orders: what the venue has reported open, nothing else.

An order enters on an ack (REST or WS), or when a reconcile or the executions stream shows
an order placed elsewhere; it leaves when a report says it is final (filled, cancelled,
expired) or when a reconcile with ``OpenOrders`` no longer lists it. The per-pair open-order
limit, client-order-id lookups and the order-age penalties of the trading counter all read
it, so a market order that filled is never counted against Kraken's limit for long.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from src.core.clock import Clock
from src.core.execution import OrderUpdate

__all__ = ["OpenOrder", "OpenOrderRegistry"]

#: Closed orders remembered (their client order id, for fills that name only the txid; and
#: their end, for a WS fill report that overtakes the add_order reply); bounded so a run of
#: days does not grow it without end.
_RECENTLY_CLOSED = 5_000


@dataclass
class OpenOrder:
    """One order the venue holds open.

    Attributes:
        order_id: Kraken's txid.
        pair: Kraken's altname ("XBTUSD"), the key of the per-pair limits.
        symbol: the normalized symbol ("BTC/USD").
        side: "buy" or "sell" (rounding an amended price away from the touch needs it).
        client_order_id: the ``cl_ord_id`` it was placed with, if any.
        opened: monotonic seconds of its creation or last amend (the trading counter's age).
    """

    order_id: str
    pair: str
    symbol: str
    side: str
    client_order_id: str | None
    opened: float


class OpenOrderRegistry:
    """Open orders by txid, with a client-order-id index; only open orders are held.

    Args:
        clock: monotonic time for order ages and reconcile staleness.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._orders: dict[str, OpenOrder] = {}
        self._by_cloid: dict[str, str] = {}
        self._closed: OrderedDict[str, str | None] = OrderedDict()
        self.reconciled_at: float | None = None
        """Monotonic time of the last full reconcile with the venue's open orders."""
        self._started = clock.monotonic()

    def __len__(self) -> int:
        return len(self._orders)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def open(
        self, order_id: str, pair: str, symbol: str, side: str, client_order_id: str | None
    ) -> OpenOrder:
        """Record an order the venue acknowledged (idempotent; an existing entry is kept).

        An order already reported final is not opened again: on WS v2 a market order's fill
        report can arrive before its ``add_order`` reply.
        """
        existing = self._orders.get(order_id)
        if existing is not None:
            return existing
        entry = OpenOrder(order_id, pair, symbol, side, client_order_id, self._clock.monotonic())
        if order_id in self._closed:
            return entry
        self._orders[order_id] = entry
        if client_order_id:
            self._by_cloid[client_order_id] = order_id
        return entry

    def close(self, order_id: str) -> OpenOrder | None:
        """Forget an order that reached a final state; returns what was held, if anything."""
        entry = self._orders.pop(order_id, None)
        cloid = None if entry is None else entry.client_order_id
        if cloid:
            self._by_cloid.pop(cloid, None)
        self._closed[order_id] = cloid or self._closed.get(order_id)
        self._closed.move_to_end(order_id)
        while len(self._closed) > _RECENTLY_CLOSED:
            self._closed.popitem(last=False)
        return entry

    def touch(self, order_id: str) -> None:
        """An amend restarts the order's age on Kraken's trading counter."""
        entry = self._orders.get(order_id)
        if entry is not None:
            entry.opened = self._clock.monotonic()

    def get(self, order_id: str | None) -> OpenOrder | None:
        """The open order with this txid, or None."""
        return self._orders.get(order_id or "")

    def by_client_id(self, client_order_id: str | None) -> OpenOrder | None:
        """The open order placed with this ``cl_ord_id``, or None."""
        order_id = self._by_cloid.get(client_order_id or "")
        return None if order_id is None else self._orders.get(order_id)

    def client_id_of(self, order_id: str) -> str | None:
        """The ``cl_ord_id`` of an open or recently closed order (fills name only the txid)."""
        entry = self._orders.get(order_id)
        if entry is not None:
            return entry.client_order_id
        return self._closed.get(order_id)

    def age(self, order_id: str | None) -> float | None:
        """Seconds since the order was opened or last amended; None when not held."""
        entry = self.get(order_id)
        return None if entry is None else self._clock.monotonic() - entry.opened

    def count(self, pair: str) -> int:
        """How many orders on ``pair`` (altname) are open."""
        return sum(1 for o in self._orders.values() if o.pair == pair)

    def orders(self) -> list[OpenOrder]:
        """Every open order, oldest first."""
        return list(self._orders.values())

    def apply(self, update: OrderUpdate, pair: str | None) -> None:
        """Follow one venue report: a final status closes, a live unknown order opens.

        Args:
            update: the venue's view of the order.
            pair: its altname when known (needed only to open an order placed elsewhere).
        """
        if update.status.is_final:
            self.close(update.order_id)
        elif update.order_id not in self._orders and pair is not None:
            self.open(
                update.order_id, pair, update.symbol, update.side.value, update.client_order_id
            )

    def reconcile(self, live: Iterable[tuple[OrderUpdate, str]], since: float) -> int:
        """Make the registry what ``OpenOrders`` says is open; returns how many were pruned.

        Args:
            live: every open order the venue listed, each with its pair altname.
            since: monotonic time just before the ``OpenOrders`` request went out: orders
                acknowledged after it may be missing from the reply and are kept.
        """
        listed: set[str] = set()
        for update, pair in live:
            listed.add(update.order_id)
            self.apply(update, pair)
        stale = [o.order_id for o in self._orders.values() if o.order_id not in listed]
        pruned = 0
        for order_id in stale:
            if self._orders[order_id].opened < since:
                self.close(order_id)
                pruned += 1
        self.reconciled_at = since
        return pruned

    def reconcile_due(self, every: float) -> bool:
        """True when orders are held and none was reconciled for ``every`` seconds."""
        last = self._started if self.reconciled_at is None else self.reconciled_at
        return bool(self._orders) and self._clock.monotonic() - last >= every

    def reconciled_within(self, seconds: float) -> bool:
        """True when a full reconcile started less than ``seconds`` ago."""
        at = self.reconciled_at
        return at is not None and self._clock.monotonic() - at < seconds

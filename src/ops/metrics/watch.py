"""What changed in a runtime's database since the last look: new and finished orders, fills.

The metrics and the alerts both need to know that an order ended REJECTED or that a fill
arrived, without a hook in the order manager. Each keeps a ``RuntimeWatch`` and asks it,
periodically, for what is new since its previous look. The first look only takes a baseline:
what earlier sessions stored is not news.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from src.core.execution import Fill
from src.core.order_state import ManagedOrder
from src.core.order_store import OrderStore
from src.core.portfolio import Portfolio


@dataclass
class Changes:
    """One look's news, oldest first."""

    submitted: list[ManagedOrder] = field(default_factory=list)
    finished: list[ManagedOrder] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)


class RuntimeWatch:
    """Diffs the store's orders and fills against what it saw before.

    Args:
        store: the runtime's database.
        portfolio: the runtime's book, whose fill count tells when the fills need reading.
    """

    def __init__(self, store: OrderStore, portfolio: Portfolio | None = None) -> None:
        self.store, self.portfolio = store, portfolio
        self._status: dict[str, bool] = {}  # client order id -> final already seen
        self._fill_ids: set[str] = set()
        self._fills_key: tuple[object, ...] | None = None
        self._started = False

    def look(self) -> Changes:
        """Return the orders submitted, the orders finished and the fills new since last time."""
        changes = Changes()
        baseline = not self._started
        self._started = True
        for order in self.store.orders():
            final = order.status.is_final
            known = self._status.get(order.client_order_id)
            if known is None:
                self._status[order.client_order_id] = final
                if not baseline:
                    changes.submitted.append(order)
                    if final:
                        changes.finished.append(order)
            elif final and not known:
                self._status[order.client_order_id] = True
                changes.finished.append(order)
        changes.fills = self._new_fills(baseline)
        return changes

    def _new_fills(self, baseline: bool) -> list[Fill]:
        # Reading every fill is the costly part: skip it while the newest fill's time and the
        # book's fill count (a late fill may be older than the newest) both stand still.
        key = self._key()
        if key == self._fills_key:
            return []
        fresh = [f for f in self.store.fills() if f.fill_id not in self._fill_ids]
        self._fill_ids.update(f.fill_id for f in fresh)
        self._fills_key = key
        return [] if baseline else fresh

    def _key(self) -> tuple[object, ...]:
        trades = None if self.portfolio is None else self.portfolio.trades
        return (self.store.newest_fill_time(), trades)

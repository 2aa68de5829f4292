"""What the adapter knows of its own orders: the last state seen, by order id and ``cliOrdId``.

Kraken Futures lists closed orders only for 5 s (``/orders/status``) and otherwise through
the history API, so the adapter remembers the final state of orders it saw end (acks,
cancel replies, the ``open_orders`` feed). Bounded: the oldest final orders are forgotten
first, open ones never.
"""

from __future__ import annotations

from collections import OrderedDict

from src.core.execution import OrderUpdate

__all__ = ["OrderMemory"]


class OrderMemory:
    """Last known ``OrderUpdate`` per order, looked up by order id or client order id.

    Args:
        max_final: how many final (filled, cancelled, rejected) orders to keep.
    """

    def __init__(self, max_final: int = 5000) -> None:
        self.max_final = max_final
        self._by_id: OrderedDict[str, OrderUpdate] = OrderedDict()
        self._id_of_client: dict[str, str] = {}

    def remember(self, update: OrderUpdate) -> None:
        """Record ``update`` as the latest state of its order (keeps a known client id)."""
        old = self._by_id.get(update.order_id)
        if update.client_order_id is None and old is not None and old.client_order_id:
            update = update.model_copy(update={"client_order_id": old.client_order_id})
        if old is not None and old.status.is_final and not update.status.is_final:
            return  # a late report of an earlier state never reopens an order
        self._by_id[update.order_id] = update
        self._by_id.move_to_end(update.order_id)
        if update.client_order_id:
            self._id_of_client[update.client_order_id] = update.order_id
        self._trim()

    def by_order_id(self, order_id: str) -> OrderUpdate | None:
        """The last state of ``order_id``, if known."""
        return self._by_id.get(order_id)

    def by_client_id(self, client_order_id: str) -> OrderUpdate | None:
        """The last state of the order sent with ``client_order_id``, if known."""
        order_id = self._id_of_client.get(client_order_id)
        return None if order_id is None else self._by_id.get(order_id)

    def open_orders(self) -> list[OrderUpdate]:
        """Orders last seen live."""
        return [u for u in self._by_id.values() if not u.status.is_final]

    def final_orders(self) -> list[OrderUpdate]:
        """Orders last seen final, oldest first."""
        return [u for u in self._by_id.values() if u.status.is_final]

    def _trim(self) -> None:
        if len(self._by_id) <= self.max_final:
            return
        finals = [k for k, u in self._by_id.items() if u.status.is_final]
        for order_id in finals[: max(0, len(finals) - self.max_final)]:
            update = self._by_id.pop(order_id)
            if update.client_order_id:
                self._id_of_client.pop(update.client_order_id, None)

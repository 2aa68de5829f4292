"""The core's ``OrderAmender`` over Kraken Futures: ``editorder`` in place, ids kept.

``quantity`` in the core's amend is the new total, filled part included; Kraken's ``size``
is the new *open* size (``qtyMode`` relative), so what has filled is taken off, read from
``/openorders`` rather than remembered (a fill may have landed since). At or below what has
filled the order is cancelled instead, as the core's protocol says a venue does. A price-only
amend (the working-order re-price) uses what the adapter remembers of the order. A lost reply
raises with ``outcome_known=False`` from the transport and is never re-sent here: the caller
asks ``find_order``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from src.brokers.kraken_futures.orders.desk import FuturesOrderDesk
from src.brokers.kraken_futures.orders.memory import OrderMemory
from src.core.errors import UnknownOrderError
from src.core.execution import OrderUpdate
from src.core.order_amend import AmendAck

__all__ = ["Amendable", "amend_in_place"]


class Amendable(Protocol):
    """What an amend uses of the adapter (which sits above this layer)."""

    orders: OrderMemory
    desk: FuturesOrderDesk

    async def get_orders(self, status: str = "open") -> list[OrderUpdate]:
        """Open orders from Kraken."""
        ...

    async def find_order(self, client_order_id: str) -> OrderUpdate | None:
        """One order by ``cliOrdId``."""
        ...


async def amend_in_place(
    adapter: Amendable,
    order_id: str,
    *,
    client_order_id: str | None = None,
    quantity: Decimal | None = None,
    limit_price: Decimal | None = None,
) -> AmendAck:
    """Edit ``order_id``'s total ``quantity`` and/or ``limit_price``; the venue's report.

    Raises:
        UnknownOrderError: the order is not open (or Kraken says ``orderForEditNotFound``).
        InvalidOrderError: Kraken refused the new values (``postWouldExecute``...).
    """
    known = adapter.orders.by_order_id(order_id)
    if quantity is not None or known is None:  # the filled part must be current
        known = next((o for o in await adapter.get_orders() if o.order_id == order_id), None)
    if known is None:
        raise UnknownOrderError(f"order {order_id} is not open", endpoint="editorder")
    cloid = client_order_id or known.client_order_id
    open_size = None if quantity is None else quantity - known.filled_quantity
    if open_size is not None and open_size <= 0:
        await adapter.desk.cancel(order_id=order_id)
        found = await adapter.find_order(cloid) if cloid else None
        return AmendAck(order_id=order_id, client_order_id=cloid, quantity=quantity, order=found)
    update = await adapter.desk.edit(
        known.symbol, known.side, order_id=order_id, quantity=open_size, limit_price=limit_price
    )
    if update is not None and update.client_order_id is None and cloid is not None:
        update = update.model_copy(update={"client_order_id": cloid})
    return AmendAck(
        order_id=order_id, client_order_id=cloid, quantity=quantity, limit_price=limit_price,
        order=update, raw=dict(update.raw) if update is not None else {},
    )  # fmt: skip

"""The optional amend capability: change a resting order's quantity or limit price in place.

Kept out of ``ExecutionEngine`` (like ``OrderUpdateStream``) so that a venue without amends is
still a complete engine: the runtime checks ``isinstance(engine, OrderAmender)`` and falls back
to cancel-and-replace (cancel confirmed by the venue, then a new order with a new client order
id) when it is absent. An amend keeps the venue's order id and client order id.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from src.core.execution import OrderUpdate

__all__ = ["AmendAck", "OrderAmender"]


class AmendAck(BaseModel):
    """The venue's answer to one accepted amend.

    Attributes:
        order_id: the venue's order id (unchanged by an amend).
        client_order_id: the order's client order id, when known.
        quantity: the new total quantity asked for (base units, filled part included), or None
            when the amend did not change it.
        limit_price: the new limit price asked for, or None when unchanged.
        amend_id: the venue's id of this amend, if it gives one.
        order: the order as the venue reports it after the amend, if it said; its quantity,
            price and status win over the values asked for (the venue may round, or the amend
            may have closed the order).
        raw: the venue's own reply.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    order_id: str
    client_order_id: str | None = None
    quantity: Decimal | None = None
    limit_price: Decimal | None = None
    amend_id: str | None = None
    order: OrderUpdate | None = None
    raw: Mapping[str, Any] = Field(default_factory=dict)


@runtime_checkable
class OrderAmender(Protocol):
    """Optional engine capability: amend an open order in place (ids kept).

    A lost reply raises a ``BrokerError`` with ``outcome_known=False``; the caller resolves it
    by asking the venue (``find_order``), never by amending again blindly.
    """

    async def amend_working_order(
        self,
        order_id: str,
        *,
        client_order_id: str | None = None,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
    ) -> AmendAck:
        """Change an open order's total ``quantity`` and/or ``limit_price``.

        Args:
            order_id: the venue's order id.
            client_order_id: the order's client order id (lets the venue report the order).
            quantity: new total quantity in base units, filled part included; at or below
                what has filled, the venue cancels the rest.
            limit_price: new limit price (already rounded to the tick by the caller; a venue
                rounds again, never more aggressively).

        Raises:
            UnknownOrderError: the order is unknown or no longer open.
            OrderRejectedError: the venue refused the amend (minimums, funds, post-only).
            BrokerError: any other failure; ``outcome_known`` says whether it may have applied.
        """

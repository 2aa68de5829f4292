"""The core's ``OrderAmender`` over Kraken: AmendOrder, then the order as Kraken reports it.

``KrakenAdapter.amend_order`` keeps returning Kraken's own reply (``{"amend_id": ...}``) for
the users who call it; ``amend_working_order`` (the ``OrderAmender`` method) calls that same
path and translates at the edge: an ``AmendAck`` whose ``order`` is what ``QueryOrders`` says
of the txid afterwards. That report is applied to the adapter's one ``OpenOrderRegistry``, so
the registry follows what the venue reports (an amend at or below the filled quantity closes
the order there). A failed report leaves ``order`` None: the amend itself was accepted.
https://docs.kraken.com/api/docs/rest-api/amend-order
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from src.brokers.kraken.orders.registry import OpenOrderRegistry
from src.brokers.kraken.rest import parse
from src.brokers.kraken.rest.replies import QueryOrdersResult
from src.brokers.kraken.symbols import SymbolMap
from src.core.errors import BrokerError
from src.core.execution import OrderUpdate
from src.core.order_amend import AmendAck
from src.utils.logging import get_logger

__all__ = ["amend_and_report"]

log = get_logger(__name__)
Amend = Callable[..., Awaitable[dict[str, Any]]]
Query = Callable[[str], Awaitable[QueryOrdersResult]]
Symbols = Callable[[], Awaitable[SymbolMap]]


async def amend_and_report(
    amend: Amend,
    query: Query,
    symbols: Symbols,
    registry: OpenOrderRegistry,
    order_id: str,
    *,
    client_order_id: str | None = None,
    quantity: Decimal | None = None,
    limit_price: Decimal | None = None,
) -> AmendAck:
    """Amend ``order_id`` through ``amend`` (the adapter's path), then report it.

    Args:
        amend: ``KrakenAdapter.amend_order`` (encoding, rounding, gate, WS or REST).
        query: ``QueryOrders`` for one txid.
        symbols: the adapter's pair map loader.
        registry: the adapter's open-order registry.
        order_id: Kraken's txid.
        client_order_id: the order's ``cl_ord_id``, echoed in the ack.
        quantity: new total quantity (Kraken's ``order_qty``, filled part included).
        limit_price: new limit price.

    Raises:
        BrokerError: as ``amend_order`` raises it (a lost reply has ``outcome_known=False``).
    """
    reply = await amend(order_id, quantity=quantity, limit_price=limit_price)
    report = await _report(query, symbols, registry, order_id)
    amend_id = reply.get("amend_id") if isinstance(reply, dict) else None
    return AmendAck(
        order_id=order_id,
        client_order_id=client_order_id or (report.client_order_id if report else None),
        quantity=quantity,
        limit_price=limit_price,
        amend_id=str(amend_id) if amend_id else None,
        order=report,
        raw=dict(reply) if isinstance(reply, dict) else {},
    )


async def _report(
    query: Query, symbols: Symbols, registry: OpenOrderRegistry, order_id: str
) -> OrderUpdate | None:
    try:
        pairs = await symbols()
        listed = parse.parse_orders(await query(order_id), pairs)
        found = next(o for o in listed if o.order_id == order_id)
    except (BrokerError, StopIteration) as exc:
        log.warning("kraken.amend_report_failed", order_id=order_id, error=str(exc))
        return None
    known = found.symbol in pairs
    registry.apply(found, pairs.resolve(found.symbol).altname if known else None)
    return found

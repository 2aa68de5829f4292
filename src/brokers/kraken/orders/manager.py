"""``KrakenOrderManager``: trading over the private WS v2 connection.

Every request carries a ``req_id`` whose reply resolves a future with a timeout. A refused
request raises the same error classes as the REST path. An ``add_order`` whose reply never
came (timeout or dropped socket) may or may not have executed: it is resolved by its
``cl_ord_id`` (``src.core.order_outcome``: the executions stream first, then REST
``find_order``), and is never sent twice. Orders are encoded by ``encoding``, the same
encoder the REST path uses. Docs: websocket-v2/add_order ... batch_cancel.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Self

from src.brokers.kraken.errors import map_error
from src.brokers.kraken.orders.encoding import encode_order
from src.brokers.kraken.rest.parse import order_ack
from src.brokers.kraken.ws.connection import WsConnection
from src.brokers.kraken.ws.private import KrakenPrivateStream
from src.brokers.kraken.ws.reports import FINAL_ORDER_STATUSES, order_update
from src.core.clock import Clock, SystemClock
from src.core.errors import BrokerError, InvalidOrderError, OrderOutcomeUnknownError
from src.core.execution import Order, OrderAck, OrderStatus, OrderUpdate
from src.core.instruments import Instrument
from src.core.order_outcome import OutcomeResolver

__all__ = ["KrakenOrderManager"]

log = logging.getLogger(__name__)

FindOrder = Callable[[str], Awaitable[OrderUpdate | None]]


class KrakenOrderManager:
    """Orders over WS v2, sharing the private connection with executions and balances.

    Args:
        stream: the private stream (its connection carries the requests and the token).
        find_order: REST lookup by client order id (``KrakenAdapter.find_order``), used to
            resolve an ``add_order`` whose reply was lost.
        timeout: seconds to wait for each reply.
        clock: sleeps between lost-reply lookups.
    """

    def __init__(
        self,
        stream: KrakenPrivateStream,
        find_order: FindOrder | None = None,
        *,
        timeout: float = 5.0,
        clock: Clock | None = None,
    ) -> None:
        self.stream = stream
        self._find_order = find_order
        self.timeout = timeout
        self._resolver = OutcomeResolver(find_order, clock or SystemClock(), seen=self._seen)
        if find_order is not None:
            stream.add_reconnect_hook(self.reconcile_orders)

    async def reconcile_orders(self) -> int:
        """Ask REST about every order not yet final (their end may have come while away).

        Runs after each reconnect: the executions snapshot lists only open orders, so an
        order filled or cancelled during the gap would otherwise never be seen to finish.
        Returns how many orders changed.
        """
        if self._find_order is None:
            return 0
        changed = 0
        for state in list(self.stream.orders.values()):
            cloid = state.get("cl_ord_id")
            if state.get("order_status") in FINAL_ORDER_STATUSES or not isinstance(cloid, str):
                continue
            try:
                found = await self._find_order(cloid)
            except BrokerError as exc:
                log.warning("order %s: reconciliation failed: %s", cloid, exc)
                continue
            if found is not None and self.stream.apply_order_update(found):
                changed += 1
        return changed

    @classmethod
    def for_adapter(cls, adapter: Any, **stream_options: Any) -> KrakenOrderManager:
        """Build a manager on a ``KrakenAdapter``'s private WS v2 stream, ``find_order`` and clock.

        The stream authenticates with the adapter's WebSocket tokens and its order reports feed
        the adapter's open-order registry.

        Args:
            adapter: the ``KrakenAdapter`` whose account the orders are placed on.
            **stream_options: passed to ``adapter.private_stream`` (timeouts, backoff).

        Returns:
            A manager whose stream is not yet started (``async with`` starts it).
        """
        options = {"name": "kraken-private/orders", **stream_options}
        stream: KrakenPrivateStream = adapter.private_stream(**options)
        return cls(stream, adapter.find_order, clock=adapter.clock)

    async def __aenter__(self) -> Self:
        await self.stream.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stream.close()

    @property
    def connection(self) -> WsConnection:
        """The private WS v2 socket that orders, executions and balances share."""
        return self.stream.connection

    async def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Send one trading request and return its ``result``.

        Raises:
            BrokerError subclass: Kraken refused it (same classes as REST).
            NetworkError (outcome unknown): no reply in time or the socket dropped.
        """
        reply = await self.connection.request(method, params or {}, timeout=self.timeout, auth=True)
        if not reply.success:
            order_call = method != "cancel_all_orders_after"
            raise map_error(reply.error or "EGeneral:Internal error", method, order_call=order_call)
        return reply.result

    async def add_order(self, order: Order, instrument: Instrument | None = None) -> OrderAck:
        """Place one order; returns its ack. A lost reply is resolved by ``cl_ord_id``.

        Raises:
            OrderRejectedError (and subclasses), RateLimitError, ...: Kraken refused it.
            OrderOutcomeUnknownError: the outcome could not be determined.
        """
        fields = encode_order(order, instrument)
        params = fields.ws()
        if params is None:
            raise InvalidOrderError("add_order: WS v2 takes no leverage; send it over REST")
        try:
            result = await self.request("add_order", params)
        except BrokerError as error:
            if error.outcome_known:
                raise
            resolution = await self._resolver.resolve(order.client_order_id, error)
            if resolution.found is None:
                raise OrderOutcomeUnknownError(
                    resolution.message, client_order_id=order.client_order_id, endpoint="add_order"
                ) from error
            return resolution.ack(order, fields.symbol)
        return _accepted(order, fields.symbol, result)

    def _seen(self, client_order_id: str) -> OrderUpdate | None:
        order_id = self.stream.order_id_for(client_order_id)
        state = None if order_id is None else self.stream.order(order_id)
        return None if state is None else order_update(state)

    async def amend_order(
        self,
        order_id: str | None = None,
        *,
        cl_ord_id: str | None = None,
        **changes: Any,
    ) -> dict[str, Any]:
        """Amend in place (``order_qty``, ``limit_price``, ``trigger_price``, ``post_only``...)."""
        if (order_id is None) == (cl_ord_id is None):
            raise ValueError("amend_order: give exactly one of order_id or cl_ord_id")
        ident = {"order_id": order_id} if order_id else {"cl_ord_id": cl_ord_id}
        result: dict[str, Any] = await self.request("amend_order", {**ident, **changes})
        return result

    async def edit_order(self, order_id: str, symbol: str, **changes: Any) -> dict[str, Any]:
        """Cancel-and-replace (new order id); returns ``{order_id, original_order_id}``."""
        params = {"order_id": order_id, "symbol": symbol, **changes}
        result: dict[str, Any] = await self.request("edit_order", params)
        return result

    async def cancel_order(
        self, order_id: str | None = None, *, cl_ord_id: str | None = None
    ) -> dict[str, Any]:
        """Cancel one order by venue id or client order id."""
        if (order_id is None) == (cl_ord_id is None):
            raise ValueError("cancel_order: give exactly one of order_id or cl_ord_id")
        params = {"order_id": [order_id]} if order_id else {"cl_ord_id": [cl_ord_id]}
        result: dict[str, Any] = await self.request("cancel_order", params)
        return result

    async def cancel_all(self) -> int:
        """Cancel every open order; returns how many."""
        result = await self.request("cancel_all")
        return int(result["count"])

    async def cancel_all_orders_after(self, timeout: int) -> dict[str, Any]:
        """Arm (``timeout`` seconds) or disarm (0) the dead man's switch."""
        if not 0 <= timeout < 86400:
            raise ValueError("timeout: must be 0 (disable) to 86399 seconds")
        result: dict[str, Any] = await self.request("cancel_all_orders_after", {"timeout": timeout})
        return result

    async def batch_add(
        self, orders: Sequence[Order], instruments: Sequence[Instrument] | None = None
    ) -> list[OrderAck]:
        """Place 2 to 15 orders on one symbol in one request; one ack per order, in order."""
        if not 2 <= len(orders) <= 15:
            raise ValueError("batch_add: 2 to 15 orders")
        specs: Sequence[Instrument | None] = instruments or [None] * len(orders)
        rows = [_ws_params(o, i) for o, i in zip(orders, specs, strict=True)]
        symbols = {row.pop("symbol") for row in rows}
        if len(symbols) != 1:
            raise ValueError("batch_add: every order must be on the same symbol")
        symbol = str(symbols.pop())
        result = await self.request("batch_add", {"symbol": symbol, "orders": rows})
        return [
            order_ack(o, symbol, str(r["order_id"]), OrderStatus.OPEN, r)
            for o, r in zip(orders, result, strict=True)
        ]

    async def batch_cancel(
        self, order_ids: Sequence[str] = (), cl_ord_ids: Sequence[str] = ()
    ) -> int:
        """Cancel 2 to 50 orders in one request; returns how many were cancelled."""
        params: dict[str, Any] = {"orders": list(order_ids)}
        if cl_ord_ids:
            params["cl_ord_id"] = list(cl_ord_ids)
        result = await self.request("batch_cancel", params)
        return int(result["count"])


def _accepted(order: Order, symbol: str, result: Any) -> OrderAck:
    """``order_ack(order, symbol, order_id, OPEN, result)`` without validating it again.

    Every field is already of its type (the Order validated its id; the symbol and the reply's
    ``order_id`` are text, the reply a dict), so this builds the same ``OrderAck``; an
    unusual reply takes ``order_ack``, which validates.
    """
    order_id = result.get("order_id") if isinstance(result, dict) else None
    if type(order_id) is not str:
        return order_ack(order, symbol, str(result["order_id"]), OrderStatus.OPEN, result)
    return OrderAck.model_construct(
        client_order_id=order.client_order_id, order_id=order_id, symbol=symbol,
        status=OrderStatus.OPEN, message=None, raw=dict(result),
    )  # fmt: skip


def _ws_params(order: Order, instrument: Instrument | None) -> dict[str, Any]:
    params = encode_order(order, instrument).ws()
    if params is None:
        raise InvalidOrderError("batch_add: WS v2 takes no leverage; send it over REST")
    return params

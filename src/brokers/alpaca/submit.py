"""Submitting a batch of orders to Alpaca: one ``OrderAck`` per order, whatever happens to another.

Alpaca has no batch endpoint, so a batch is one ``POST /v2/orders`` per order. What the
``ExecutionEngine`` protocol asks for is one outcome per order, in order:

- every order is first prepared (instrument looked up, body built, Alpaca's rules checked); one
  that cannot be sent is a ``REJECTED`` ack saying why, and is never sent;
- the others are sent one by one; a refusal by Alpaca (or any error that leaves the order
  certainly not placed: a 429, bad keys, a refused connection) is a ``REJECTED`` ack for that
  order, and the batch goes on;
- a lost reply is resolved by client order id, never by re-sending (``src.core.order_outcome``).

Nothing already placed is ever lost to an exception raised for a later order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import structlog

from src.brokers.alpaca import orders as wire_orders
from src.brokers.alpaca.config import AlpacaTimeInForce
from src.brokers.alpaca.http import AlpacaHttpClient
from src.core.errors import BrokerError, MalformedResponseError, OrderRejectedError
from src.core.execution import Order, OrderAck, OrderStatus, OrderUpdate
from src.core.instruments import Instrument
from src.core.order_outcome import OutcomeResolver

log = structlog.get_logger(__name__)

# A per-call option: one value for every order of the call, or ``{client_order_id: value}``.
TifOption = AlpacaTimeInForce | str | Mapping[str, AlpacaTimeInForce | str] | None
ExtendedHoursOption = bool | Mapping[str, bool] | None


def _tif_for(option: TifOption, order: Order) -> AlpacaTimeInForce | str | None:
    return option.get(order.client_order_id) if isinstance(option, Mapping) else option


def _extended_for(option: ExtendedHoursOption, order: Order) -> bool:
    value = option.get(order.client_order_id) if isinstance(option, Mapping) else option
    return bool(value)


def ack_of(order: Order, update: OrderUpdate) -> OrderAck:
    """The ack of an order Alpaca reported on."""
    return OrderAck(
        client_order_id=update.client_order_id or order.client_order_id,
        order_id=update.order_id,
        symbol=order.symbol,
        status=update.status,
        raw=update.raw,
    )


def refused(order: Order, error: BrokerError, *, locally: bool) -> OrderAck:
    """A ``REJECTED`` ack: the order was not placed, and ``message`` says why."""
    where = "refused before sending" if locally else "not placed"
    return OrderAck(
        client_order_id=order.client_order_id,
        order_id=None,
        symbol=order.symbol,
        status=OrderStatus.REJECTED,
        message=f"{where}: {error}",
        raw={
            "error": error.raw or error.message,
            "error_type": type(error).__name__,
            "retryable": error.retryable,  # e.g. a 429: the same order may be sent again later
            "refused_locally": locally,
        },
    )


class Submitter:
    """Sends batches for one adapter.

    Args:
        http: the adapter's endpoint client (a callable: the adapter re-creates it after close).
        instrument: the adapter's cached instrument lookup.
        resolver: the lost-reply policy.
    """

    def __init__(
        self,
        http: Callable[[], AlpacaHttpClient],
        instrument: Callable[[str], Awaitable[Instrument]],
        resolver: OutcomeResolver,
    ) -> None:
        self._http = http
        self._instrument = instrument
        self._resolver = resolver

    async def submit(
        self,
        orders: Sequence[Order],
        time_in_force: TifOption,
        extended_hours: ExtendedHoursOption,
    ) -> list[OrderAck]:
        """One ack per order, in order (see the module docstring)."""
        prepared = [
            await self._prepare(o, _tif_for(time_in_force, o), _extended_for(extended_hours, o))
            for o in orders
        ]
        acks: list[OrderAck] = []
        for order, item in zip(orders, prepared, strict=True):
            acks.append(item if isinstance(item, OrderAck) else await self._send(order, item))
        return acks

    async def _prepare(
        self, order: Order, tif: AlpacaTimeInForce | str | None, extended_hours: bool
    ) -> dict[str, Any] | OrderAck:
        try:
            instrument = await self._instrument(order.symbol)
            return wire_orders.build_order_body(order, instrument, tif, extended_hours)
        except BrokerError as exc:  # a read that failed leaves nothing placed either
            log.info("alpaca.order.refused_locally", symbol=order.symbol, error=str(exc))
            return refused(order, exc, locally=True)

    async def _send(self, order: Order, body: dict[str, Any]) -> OrderAck:
        try:
            payload = await self._http().submit_order(body)
        except OrderRejectedError as exc:
            log.info("alpaca.order.rejected", symbol=order.symbol, error=str(exc))
            return refused(order, exc, locally=False)
        except BrokerError as exc:
            if exc.outcome_known:
                log.warning("alpaca.order.not_placed", symbol=order.symbol, error=str(exc))
                return refused(order, exc, locally=False)
            log.warning("alpaca.submit.outcome_unknown", client_order_id=order.client_order_id)
            return await self._resolve(order, exc)
        try:
            if not isinstance(payload, dict):
                raise MalformedResponseError(
                    "Alpaca order reply is not an object", raw=str(payload)[:200]
                )
            return ack_of(order, wire_orders.order_update(payload))
        except MalformedResponseError as exc:
            # Alpaca answered 2xx, so the order is placed; only the reply cannot be read.
            log.warning("alpaca.submit.unreadable_reply", client_order_id=order.client_order_id)
            return await self._resolve(order, exc)

    async def _resolve(self, order: Order, cause: BrokerError) -> OrderAck:
        """Ask Alpaca what became of an order whose reply was lost; never re-send it."""
        resolution = await self._resolver.resolve(order.client_order_id, cause)
        if resolution.found is not None:
            return ack_of(order, resolution.found)
        return resolution.ack(order, order.symbol)

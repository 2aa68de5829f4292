"""The futures order path: encode once, send once, read the status, resolve lost replies.

Every order call goes through here: ``sendorder`` (one order), ``batchorder`` (several),
``editorder``, ``cancelorder``, ``cancelallorders`` and ``cancelallordersafter``. A reply
that never arrived (timeout, dropped connection, 5xx) leaves the outcome unknown: the order is
looked up by ``cliOrdId`` (``src/core/order_outcome.py``), never sent again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from src.brokers.kraken_futures.errors import status_error
from src.brokers.kraken_futures.orders.encoding import encode_edit, encode_order
from src.brokers.kraken_futures.orders.memory import OrderMemory
from src.brokers.kraken_futures.orders.wire import ack_from_send_status, update_from_event_order
from src.brokers.kraken_futures.rest.client import KrakenFuturesRestClient
from src.brokers.kraken_futures.symbols import InstrumentMap
from src.brokers.kraken_futures.timefmt import parse_time
from src.core.errors import BrokerError, MalformedResponseError
from src.core.execution import Order, OrderAck, OrderStatus, OrderUpdate, Side
from src.core.order_outcome import OutcomeResolver
from src.utils.logging import get_logger

__all__ = ["FuturesOrderDesk"]

log = get_logger(__name__)
LoadInstruments = Callable[[], Awaitable[InstrumentMap]]
#: Instructions per ``batchorder`` call. Kraken documents no maximum; its rate-limit guide's
#: example is a batch of 10, so larger requests are split into calls of 10.
BATCH_SIZE = 10


def _status_of(reply: Mapping[str, Any], key: str, endpoint: str) -> Mapping[str, Any]:
    status = reply.get(key)
    if not isinstance(status, Mapping):
        # A success envelope without the status says nothing of what happened to the order.
        raise MalformedResponseError(
            f"{endpoint}: reply without {key}", endpoint=endpoint, outcome_known=False
        )
    return status


class FuturesOrderDesk:
    """Sends order calls and turns replies into acks; owns no transport of its own.

    Args:
        rest: the raw REST client.
        instruments: returns the instrument map (loaded on first use).
        memory: the adapter's order memory (fed with every state a reply shows).
        resolver: the lost-reply resolver (looks orders up by ``cliOrdId``).
        trigger_signal: ``triggerSignal`` of stop, take-profit and trailing orders.
    """

    def __init__(
        self,
        rest: KrakenFuturesRestClient,
        instruments: LoadInstruments,
        memory: OrderMemory,
        resolver: OutcomeResolver,
        trigger_signal: str = "mark",
    ) -> None:
        self.rest = rest
        self._instruments = instruments
        self.memory = memory
        self.resolver = resolver
        self.trigger_signal = trigger_signal

    async def encode(self, order: Order) -> dict[str, Any]:
        """``sendorder`` parameters for ``order`` (rounded and checked)."""
        instrument = (await self._instruments()).get(order.symbol)
        return encode_order(order, instrument, trigger_signal=self.trigger_signal)

    async def submit(self, orders: Sequence[Order]) -> list[OrderAck]:
        """One ack per order, in order: ``sendorder`` for one, ``batchorder`` for several."""
        encoded = [await self.encode(o) for o in orders]
        if len(orders) == 1:
            return [await self._send_one(orders[0], encoded[0])]
        acks: list[OrderAck] = []
        for start in range(0, len(orders), BATCH_SIZE):
            chunk = list(
                zip(
                    orders[start : start + BATCH_SIZE],
                    encoded[start : start + BATCH_SIZE],
                    strict=True,
                )
            )
            acks.extend(await self._send_batch(chunk))
        return acks

    async def _send_one(self, order: Order, params: dict[str, Any]) -> OrderAck:
        try:
            reply = await self.rest.sendorder(params)
            status = _status_of(reply, "sendStatus", "sendorder")
        except BrokerError as exc:
            if exc.outcome_known:
                raise
            return await self._resolve(order, params["symbol"], exc)
        ack = ack_from_send_status(status, order.client_order_id, params["symbol"], params["size"])
        self._remember_ack(order, params, ack)
        return ack

    async def _send_batch(self, chunk: list[tuple[Order, dict[str, Any]]]) -> list[OrderAck]:
        instructions = [
            {"order": "send", "order_tag": str(i), **params} for i, (_, params) in enumerate(chunk)
        ]
        try:
            reply = await self.rest.batchorder(instructions)
            rows = reply.get("batchStatus")
            if not isinstance(rows, list):
                raise MalformedResponseError(
                    "batchorder: reply without batchStatus", outcome_known=False
                )
        except BrokerError as exc:
            if exc.outcome_known:
                raise
            return [await self._resolve(o, p["symbol"], exc) for o, p in chunk]
        by_tag = {str(r.get("order_tag")): r for r in rows if isinstance(r, Mapping)}
        acks = []
        for i, (order, params) in enumerate(chunk):
            row = by_tag.get(str(i))
            if row is None:  # the reply lost this row: ask the venue, as for a lost reply
                cause = MalformedResponseError("batchorder: no status for this order")
                acks.append(await self._resolve(order, params["symbol"], cause))
                continue
            ack = ack_from_send_status(row, order.client_order_id, params["symbol"], params["size"])
            self._remember_ack(order, params, ack)
            acks.append(ack)
        return acks

    async def _resolve(self, order: Order, symbol: str, cause: BrokerError) -> OrderAck:
        resolution = await self.resolver.resolve(order.client_order_id, cause)
        if resolution.found is not None:
            self.memory.remember(resolution.found)
        return resolution.ack(order, symbol)

    def _remember_ack(self, order: Order, params: Mapping[str, Any], ack: OrderAck) -> None:
        if ack.order_id is None:
            return
        filled = Decimal(0)
        for event in ack.raw.get("orderEvents") or []:
            if isinstance(event, Mapping) and event.get("type") == "EXECUTION":
                filled += Decimal(str(event.get("amount", 0)))
        self.memory.remember(
            OrderUpdate(
                order_id=ack.order_id,
                client_order_id=order.client_order_id,
                symbol=str(params["symbol"]),
                side=order.side,
                order_type=order.order_type,
                status=ack.status,
                quantity=params["size"],
                filled_quantity=min(filled, params["size"]),
                limit_price=params.get("limitPrice"),
                stop_price=params.get("stopPrice"),
                raw=dict(ack.raw),
            )
        )

    async def edit(
        self,
        symbol: str,
        side: Side,
        *,
        order_id: str | None = None,
        cli_ord_id: str | None = None,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> OrderUpdate | None:
        """Edit a resting order in place; returns its new state when the reply shows it.

        Raises:
            UnknownOrderError: ``orderForEditNotFound``.
            InvalidOrderError: the new values were refused (``postWouldExecute``...).
        """
        instrument = (await self._instruments()).get(symbol)
        params = encode_edit(
            instrument, side, order_id=order_id, cli_ord_id=cli_ord_id,
            quantity=quantity, limit_price=limit_price, stop_price=stop_price,
        )  # fmt: skip
        reply = await self.rest.editorder(params)
        status = _status_of(reply, "editStatus", "editorder")
        error = status_error(str(status.get("status")), "editorder")
        if error is not None:
            raise error
        for event in status.get("orderEvents") or []:
            if isinstance(event, Mapping) and isinstance(event.get("new"), Mapping):
                update = update_from_event_order(event["new"])
                self.memory.remember(update)
                return update
        return None

    async def cancel(
        self, order_id: str | None = None, cli_ord_id: str | None = None
    ) -> dict[str, Any]:
        """Cancel one order; returns Kraken's ``cancelStatus``.

        Raises:
            UnknownOrderError: ``notFound`` (unknown, or no longer open).
        """
        reply = await self.rest.cancelorder(order_id, cli_ord_id)
        status = dict(_status_of(reply, "cancelStatus", "cancelorder"))
        error = status_error(str(status.get("status")), "cancelorder")
        if error is not None and status.get("status") != "filled":
            raise error
        self._remember_cancels(status)
        return status

    async def cancel_all(self, symbol: str | None = None) -> int:
        """Cancel every open order (on ``symbol``); returns how many were cancelled."""
        reply = await self.rest.cancelallorders(symbol)
        status = _status_of(reply, "cancelStatus", "cancelallorders")
        self._remember_cancels(status)
        return len(status.get("cancelledOrders") or [])

    def _remember_cancels(self, status: Mapping[str, Any]) -> None:
        for event in status.get("orderEvents") or []:
            if not isinstance(event, Mapping) or event.get("type") != "CANCEL":
                continue
            order = event.get("order")
            if isinstance(order, Mapping):
                self.memory.remember(update_from_event_order(order, OrderStatus.CANCELED))

    async def cancel_all_after(self, timeout_seconds: int) -> datetime | None:
        """Arm (or with 0 disarm) the dead man's switch; returns when it would fire."""
        reply = await self.rest.cancelallordersafter(int(timeout_seconds))
        status = _status_of(reply, "status", "cancelallordersafter")
        trigger = status.get("triggerTime")
        if not trigger or str(trigger) == "0":
            return None
        return parse_time(str(trigger))

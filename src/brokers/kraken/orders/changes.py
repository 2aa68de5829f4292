"""Changing and cancelling orders: amend, edit, cancel, cancel all, the dead man's switch.

Each call is encoded once (``encoding``), charged to the pair's trading counter at the age
the open-order registry knows, and sent over WS v2 when the desk routes there, else REST.
The registry follows every change: a cancel closes, an edit replaces, an amend restarts age.
Docs: rest-api/amend-order, edit-order, cancel-order, cancel-all, cancel-all-orders-after.
"""

from __future__ import annotations

from decimal import Decimal

from src.brokers.kraken.limits.gate import NullGate
from src.brokers.kraken.orders.desk import OrderDesk
from src.brokers.kraken.orders.encoding import (
    cancel_all_after_call,
    cancel_all_call,
    cancel_call,
    encode_amend,
    encode_edit,
)
from src.brokers.kraken.rest.replies import (
    AmendOrderResult,
    CancelAllOrdersAfterResult,
    CancelAllResult,
    CancelOrderResult,
    EditOrderResult,
)
from src.core.errors import BrokerError, MalformedResponseError

Number = Decimal | float | str


class OrderChanges:
    """Amend, edit and cancel through an ``OrderDesk`` (same transport, gate and registry)."""

    def __init__(self, desk: OrderDesk) -> None:
        self._desk = desk
        self._registry = desk.registry

    async def _pair_of(self, order_id: str | None) -> tuple[str, float | None]:
        held = self._registry.get(order_id)
        if held is not None:
            return held.pair, self._registry.age(order_id)
        if order_id is None or isinstance(self._desk.gate, NullGate):
            return "", None
        # An order placed elsewhere: the per-pair trading counter needs its pair and age.
        transport = self._desk.transport
        try:
            raw = (await transport.call("QueryOrders", {"txid": order_id})).get(order_id) or {}
            opened = float(raw.get("opentm") or 0)
            age = max(0.0, transport.clock.now().timestamp() - opened) if opened else None
            return str((raw.get("descr") or {}).get("pair", "")), age
        except (BrokerError, AttributeError, TypeError, ValueError):
            return "", None

    def _order_id(self, order_id: str | None, client_order_id: str | None) -> str | None:
        if order_id is not None:
            return order_id
        held = self._registry.by_client_id(client_order_id)
        return None if held is None else held.order_id

    async def cancel(
        self, order_id: str | None = None, client_order_id: str | None = None
    ) -> CancelOrderResult:
        """CancelOrder by txid or ``cl_ord_id``; returns Kraken's ``{"count": 1, ...}``."""
        oid = self._order_id(order_id, client_order_id)
        pair, age = await self._pair_of(oid)
        call = cancel_call(order_id, None if order_id else client_order_id, pair)
        route = await self._desk.pick(call)
        await self._desk.gate.before_trade(pair, "cancel", order_age=age)
        result: CancelOrderResult = await self._desk.send(call, route)
        if oid is not None:
            self._registry.close(oid)
        return result

    async def cancel_all(self) -> int:
        """CancelAll; returns how many orders Kraken cancelled."""
        call = cancel_all_call()
        route = await self._desk.pick(call)
        if route is None:  # WS requests do not count on the REST call counter
            await self._desk.gate.before_rest("CancelAll")
        result: CancelAllResult = await self._desk.send(call, route)
        for held in self._registry.orders():
            self._registry.close(held.order_id)
        try:
            return int(result["count"])
        except (KeyError, TypeError, ValueError):
            raise MalformedResponseError(
                "CancelAll reply lacks count", endpoint="CancelAll"
            ) from None

    async def cancel_all_after(self, timeout: int) -> CancelAllOrdersAfterResult:
        """Arm (``timeout`` s) or disarm (0) the dead man's switch; counted like Kraken counts."""
        call = cancel_all_after_call(timeout)
        route = await self._desk.pick(call)
        if route is None:
            await self._desk.gate.before_rest("CancelAllOrdersAfter")
        result: CancelAllOrdersAfterResult = await self._desk.send(call, route)
        return result

    async def amend(
        self,
        order_id: str | None = None,
        *,
        client_order_id: str | None = None,
        quantity: Number | None = None,
        limit_price: Number | None = None,
        trigger_price: Number | None = None,
        post_only: bool | None = None,
        symbol: str | None = None,
    ) -> AmendOrderResult:
        """AmendOrder in place (ids and queue priority kept); returns ``{"amend_id": ...}``."""
        oid = self._order_id(order_id, client_order_id)
        held = self._registry.get(oid)
        name = symbol or (held.symbol if held is not None else None)
        inst = None if name is None else (await self._desk.pair(name)).instrument
        pair, age = await self._pair_of(oid)
        call = encode_amend(
            order_id,
            None if order_id else client_order_id,
            inst=inst,
            side=None if held is None else held.side,
            pair=pair,
            quantity=quantity,
            limit_price=limit_price,
            trigger_price=trigger_price,
            post_only=post_only,
        )
        route = await self._desk.pick(call)
        await self._desk.gate.before_trade(pair, "amend", order_age=age)
        result: AmendOrderResult = await self._desk.send(call, route)
        if oid is not None:
            self._registry.touch(oid)
        return result

    async def edit(
        self,
        order_id: str,
        symbol: str,
        *,
        quantity: Number | None = None,
        limit_price: Number | None = None,
        limit_price2: Number | None = None,
    ) -> EditOrderResult:
        """EditOrder (cancel + replace, new txid, queue position lost); returns Kraken's reply."""
        info = await self._desk.pair(symbol)
        held = self._registry.get(order_id)
        call = encode_edit(
            order_id,
            inst=info.instrument,
            pair=info.altname,
            side=None if held is None else held.side,
            quantity=quantity,
            limit_price=limit_price,
            limit_price2=limit_price2,
        )
        route = await self._desk.pick(call)
        await self._desk.gate.before_trade(
            info.altname, "edit", order_age=self._registry.age(order_id)
        )
        result: EditOrderResult = await self._desk.send(call, route)
        new_id = result.get("txid")
        old = self._registry.close(order_id)
        if isinstance(new_id, str):
            side = old.side if old else "buy"
            cloid = old.client_order_id if old else None
            self._registry.open(new_id, info.altname, info.instrument.symbol, side, cloid)
        return result

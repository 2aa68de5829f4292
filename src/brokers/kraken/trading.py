"""Order calls (add, batch, cancel, amend, edit): sent exactly once, unknown outcomes resolved.

An AddOrder whose reply was lost (timeout, dropped connection, 5xx, EService:Unavailable/Busy)
is never re-sent: its ``cl_ord_id`` is looked up in open, then closed orders, and reported as
placed (with the txid), not placed, or unknown.
https://docs.kraken.com/api/docs/rest-api/add-order
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from src.brokers.kraken.errors import map_error
from src.brokers.kraken.gate import NullGate
from src.brokers.kraken.market_minimums import CachedTicker, check_market_orders
from src.brokers.kraken.orders import add_order_params
from src.brokers.kraken.parse import order_ack
from src.brokers.kraken.symbols import PairInfo, SymbolLoader, resolve_refreshing
from src.brokers.kraken.transport import KrakenTransport
from src.brokers.kraken.ws_routing import WsOrderRoute, carries
from src.core.decimals import to_decimal, to_plain_string
from src.core.errors import (
    BrokerError,
    InvalidOrderError,
    MalformedResponseError,
    OrderOutcomeUnknownError,
    OrderRejectedError,
)
from src.core.execution import Order, OrderAck, OrderStatus, OrderUpdate
from src.utils.logging import get_logger

log = get_logger(__name__)
Finder = Callable[[str], Awaitable[OrderUpdate | None]]
RouteProvider = Callable[[], Awaitable[WsOrderRoute | None]]


@dataclass
class TrackedOrder:
    """What the adapter remembers about an order it placed (for gates and rounding)."""

    pair: str
    symbol: str
    side: str
    opened: float
    client_order_id: str | None = None


def _attach(error: BrokerError, acks: list[OrderAck]) -> BrokerError:
    error.acks = acks  # type: ignore[attr-defined]
    return error


def _txid(result: Any, method: str) -> str:
    txids = result.get("txid") if isinstance(result, dict) else None
    if isinstance(txids, str):
        return txids
    if isinstance(txids, list) and txids and isinstance(txids[0], str):
        return txids[0]
    raise MalformedResponseError(
        f"{method} reply has no txid", endpoint=method, outcome_known=False
    )


class OrderDesk:
    """Places and changes orders through a transport; the adapter delegates here.

    ``route`` (optional) returns a WebSocket route when orders should go over WS v2 right
    now, or None for REST; either way the same fields, gate calls and error handling apply.
    """

    def __init__(
        self,
        transport: KrakenTransport,
        symbols: SymbolLoader,
        finder: Finder,
        route: RouteProvider | None = None,
    ) -> None:
        self._t = transport
        self._symbols = symbols
        self._find = finder
        self._route = route
        self.tracked: dict[str, TrackedOrder] = {}
        self._ticker = CachedTicker(
            lambda pair: self._t.call("Ticker", {"pair": pair}), transport.clock
        )
        self.last_transport: str | None = None
        """"rest" or "websocket": how the latest order call was sent."""

    async def _pick(self, method: str, params: dict[str, Any]) -> WsOrderRoute | None:
        route = await self._route() if self._route is not None else None
        return route if route is not None and carries(method, params) else None

    async def send(
        self,
        method: str,
        params: dict[str, Any],
        symbol: str | None = None,
        route: WsOrderRoute | None = None,
    ) -> Any:
        """Send one order call over ``route`` (WebSocket) if given, else over REST."""
        self.last_transport = "rest" if route is None else "websocket"
        if route is None:
            return await self._t.call(method, params)
        return await route.call(method, params, symbol)

    @property
    def gate(self) -> Any:
        return self._t.gate

    async def _pair(self, name: str) -> PairInfo:
        return await resolve_refreshing(self._symbols, name)

    def _now(self) -> float:
        return self._t.clock.monotonic()

    def _age(self, order_id: str | None) -> float | None:
        tracked = self.tracked.get(order_id or "")
        return None if tracked is None else self._now() - tracked.opened

    def _opened(self, info: PairInfo, order: Order, order_id: str) -> None:
        self.tracked[order_id] = TrackedOrder(
            info.altname,
            info.instrument.symbol,
            order.side.value,
            self._now(),
            order.client_order_id,
        )
        self.gate.on_order_opened(info.altname, order_id)

    # ------------------------------------------------------------------ add
    async def prepare(
        self, orders: Sequence[Order]
    ) -> list[tuple[Order, PairInfo, dict[str, str]]]:
        """Resolve and validate every order before any is sent (a bad one sends nothing).

        A symbol missing from the cached pair map reloads AssetPairs once (a new listing).
        Market orders are checked against the minimums at the public Ticker (one GET per pair,
        reused for a few seconds).
        """
        prepared = []
        for order in orders:
            info = await self._pair(order.symbol)
            prepared.append((order, info, add_order_params(order, info.instrument, info.altname)))
        await check_market_orders(prepared, self._ticker)
        return prepared

    async def submit(
        self, orders: Sequence[Order], *, raise_on_reject: bool = True
    ) -> list[OrderAck]:
        """Send each order once; return one ack per order, in order.

        Raises:
            OrderRejectedError (or another BrokerError): when ``raise_on_reject`` and an order
                was refused; the error's ``acks`` holds every ack so nothing is lost.
            OrderOutcomeUnknownError: an order's outcome could not be determined.
        """
        prepared = await self.prepare(orders)
        acks: list[OrderAck] = []
        first_error: BrokerError | None = None
        for order, info, params in prepared:
            ack, error = await self._add_one(order, info, params)
            acks.append(ack)
            first_error = first_error or error
        if first_error is not None and raise_on_reject:
            raise _attach(first_error, acks)
        return acks

    async def _add_one(
        self, order: Order, info: PairInfo, params: dict[str, str]
    ) -> tuple[OrderAck, BrokerError | None]:
        symbol = info.instrument.symbol
        route = await self._pick("AddOrder", params)
        try:
            await self.gate.before_trade(info.altname, "add")
            result = await self.send("AddOrder", params, symbol, route)
            txid = _txid(result, "AddOrder")
        except BrokerError as error:
            if not error.outcome_known:
                return await self.resolve(order, info, error)
            log.info("kraken.order_rejected", symbol=symbol, error=str(error))
            return order_ack(order, symbol, None, OrderStatus.REJECTED, message=str(error)), error
        self._opened(info, order, txid)
        return order_ack(order, symbol, txid, OrderStatus.OPEN, result), None

    async def resolve(
        self, order: Order, info: PairInfo, cause: BrokerError
    ) -> tuple[OrderAck, BrokerError | None]:
        """Ask Kraken whether an order whose reply was lost exists (by ``cl_ord_id``)."""
        cloid, symbol = order.client_order_id, info.instrument.symbol
        log.warning("kraken.order_outcome_unknown", client_order_id=cloid, error=str(cause))
        try:
            found = await self._find(cloid)
        except BrokerError as lookup:
            msg = f"order {cloid} outcome unknown: {cause}; lookup failed: {lookup}"
            unknown = OrderOutcomeUnknownError(msg, client_order_id=cloid, endpoint="AddOrder")
            return order_ack(order, symbol, None, OrderStatus.UNKNOWN, message=msg), unknown
        if found is None:
            msg = f"order {cloid} was not placed ({cause}); not in open or closed orders"
            rejected = OrderRejectedError(msg, endpoint="AddOrder", raw=cause.raw, retryable=True)
            return order_ack(order, symbol, None, OrderStatus.REJECTED, message=msg), rejected
        if not found.status.is_final:
            self._opened(info, order, found.order_id)
        return order_ack(order, symbol, found.order_id, found.status, dict(found.raw)), None

    async def add_batch(
        self, orders: Sequence[Order], *, raise_on_reject: bool = True
    ) -> list[OrderAck]:
        """AddOrderBatch: 2–15 orders on one pair, sent once as JSON; one ack per order."""
        prepared = await self.prepare(orders)
        pairs = {info.key for _, info, _ in prepared}
        if len(pairs) != 1 or not 2 <= len(prepared) <= 15:
            raise InvalidOrderError("AddOrderBatch takes 2 to 15 orders, all on one pair")
        info = prepared[0][1]
        body = {
            "pair": info.altname,
            "orders": [{k: v for k, v in p.items() if k != "pair"} for _, _, p in prepared],
        }
        try:
            await self.gate.before_trade(info.altname, "batch_add", count=len(prepared))
            result = await self._t.call("AddOrderBatch", body)
            rows = result["orders"] if isinstance(result, dict) else None
            if not isinstance(rows, list) or len(rows) != len(prepared):
                raise MalformedResponseError(
                    "AddOrderBatch reply lacks one entry per order",
                    endpoint="AddOrderBatch",
                    outcome_known=False,
                )
        except BrokerError as error:
            if error.outcome_known:
                raise _attach(error, []) from None
            outcomes = [await self.resolve(o, i, error) for o, i, _ in prepared]
            return self._finish(outcomes, raise_on_reject)
        outcomes = [
            self._batch_row(o, i, row) for (o, i, _), row in zip(prepared, rows, strict=True)
        ]
        return self._finish(outcomes, raise_on_reject)

    def _batch_row(
        self, order: Order, info: PairInfo, row: Any
    ) -> tuple[OrderAck, BrokerError | None]:
        symbol = info.instrument.symbol
        if isinstance(row, dict) and row.get("error"):
            error = map_error(str(row["error"]), "AddOrderBatch", order_call=True)
            return order_ack(order, symbol, None, OrderStatus.REJECTED, row, str(error)), error
        txid = _txid(row, "AddOrderBatch")
        self._opened(info, order, txid)
        return order_ack(order, symbol, txid, OrderStatus.OPEN, row), None

    @staticmethod
    def _finish(
        outcomes: list[tuple[OrderAck, BrokerError | None]], raise_on_reject: bool
    ) -> list[OrderAck]:
        acks = [a for a, _ in outcomes]
        errors = [e for _, e in outcomes if e is not None]
        if errors and raise_on_reject:
            raise _attach(errors[0], acks)
        return acks

    # ------------------------------------------------------------- change/cancel
    async def _pair_of(self, order_id: str | None) -> tuple[str, float | None]:
        tracked = self.tracked.get(order_id or "")
        if tracked is not None:
            return tracked.pair, self._now() - tracked.opened
        if order_id is None or isinstance(self.gate, NullGate):
            return "", None
        # An order placed elsewhere: the per-pair trading counter needs its pair and age.
        try:
            raw = (await self._t.call("QueryOrders", {"txid": order_id})).get(order_id) or {}
            opened = float(raw.get("opentm") or 0)
            age = max(0.0, self._t.clock.now().timestamp() - opened) if opened else None
            return str((raw.get("descr") or {}).get("pair", "")), age
        except (BrokerError, AttributeError, TypeError, ValueError):
            return "", None

    async def cancel(self, order_id: str | None = None, client_order_id: str | None = None) -> Any:
        """CancelOrder by txid or ``cl_ord_id``; returns Kraken's ``{"count": 1, ...}``."""
        if (order_id is None) == (client_order_id is None):
            raise InvalidOrderError("cancel_order: give exactly one of order_id or client_order_id")
        oid = order_id or self._by_cloid(client_order_id)
        pair, age = await self._pair_of(oid)
        params = {"txid": order_id} if order_id else {"cl_ord_id": client_order_id}
        route = await self._pick("CancelOrder", params)
        await self.gate.before_trade(pair, "cancel", order_age=age)
        result = await self.send("CancelOrder", params, route=route)
        if oid is not None:
            self.tracked.pop(oid, None)
            self.gate.on_order_closed(pair, oid)
        return result

    def _by_cloid(self, cloid: str | None) -> str | None:
        return next((k for k, t in self.tracked.items() if t.client_order_id == cloid), None)

    async def cancel_all(self) -> int:
        """CancelAll; returns how many orders Kraken cancelled."""
        route = await self._pick("CancelAll", {})
        if route is None:  # WS requests do not count on the REST call counter
            await self.gate.before_rest("CancelAll")
        result = await self.send("CancelAll", {}, route=route)
        for oid, tracked in list(self.tracked.items()):
            self.gate.on_order_closed(tracked.pair, oid)
        self.tracked.clear()
        try:
            return int(result["count"])
        except (KeyError, TypeError, ValueError):
            raise MalformedResponseError(
                "CancelAll reply lacks count", endpoint="CancelAll"
            ) from None

    async def _price(self, order_id: str | None, symbol: str | None, price: Any) -> str:
        tracked = self.tracked.get(order_id or "")
        name = symbol or (tracked.symbol if tracked else None)
        value = to_decimal(price)
        if name is None:
            return to_plain_string(value)
        inst = (await self._pair(name)).instrument
        if tracked is not None:
            return to_plain_string(inst.round_price(value, tracked.side))
        steps = (value / inst.price_tick).to_integral_value(ROUND_HALF_EVEN)
        return to_plain_string(steps * inst.price_tick)

    async def _qty(self, order_id: str | None, symbol: str | None, qty: Any) -> str:
        tracked = self.tracked.get(order_id or "")
        name = symbol or (tracked.symbol if tracked else None)
        value = to_decimal(qty)
        if name is None:
            return to_plain_string(value)
        return to_plain_string((await self._pair(name)).instrument.round_quantity(value))

    async def amend(
        self,
        order_id: str | None = None,
        *,
        client_order_id: str | None = None,
        quantity: Decimal | float | str | None = None,
        limit_price: Decimal | float | str | None = None,
        trigger_price: Decimal | float | str | None = None,
        post_only: bool | None = None,
        symbol: str | None = None,
    ) -> dict[str, Any]:
        """AmendOrder in place (ids and queue priority kept); returns ``{"amend_id": ...}``."""
        if (order_id is None) == (client_order_id is None):
            raise InvalidOrderError("amend_order: give exactly one of order_id or client_order_id")
        oid = order_id or self._by_cloid(client_order_id)
        params: dict[str, Any] = {"txid": order_id} if order_id else {"cl_ord_id": client_order_id}
        if quantity is not None:
            params["order_qty"] = await self._qty(oid, symbol, quantity)
        if limit_price is not None:
            params["limit_price"] = await self._price(oid, symbol, limit_price)
        if trigger_price is not None:
            params["trigger_price"] = await self._price(oid, symbol, trigger_price)
        if post_only is not None:
            params["post_only"] = post_only
        pair, age = await self._pair_of(oid)
        route = await self._pick("AmendOrder", params)
        await self.gate.before_trade(pair, "amend", order_age=age)
        result: dict[str, Any] = await self.send("AmendOrder", params, route=route)
        if oid in self.tracked:
            self.tracked[oid].opened = self._now()
        return result

    async def edit(
        self,
        order_id: str,
        symbol: str,
        *,
        quantity: Decimal | float | str | None = None,
        limit_price: Decimal | float | str | None = None,
        limit_price2: Decimal | float | str | None = None,
    ) -> dict[str, Any]:
        """EditOrder (cancel + replace, new txid, queue position lost); returns Kraken's reply."""
        info = await self._pair(symbol)
        params: dict[str, Any] = {"txid": order_id, "pair": info.altname}
        if quantity is not None:
            params["volume"] = await self._qty(order_id, symbol, quantity)
        if limit_price is not None:
            params["price"] = await self._price(order_id, symbol, limit_price)
        if limit_price2 is not None:
            params["price2"] = await self._price(order_id, symbol, limit_price2)
        route = await self._pick("EditOrder", params)
        await self.gate.before_trade(info.altname, "edit", order_age=self._age(order_id))
        result: dict[str, Any] = await self.send("EditOrder", params, info.instrument.symbol, route)
        new_id = result.get("txid")
        old = self.tracked.pop(order_id, None)
        self.gate.on_order_closed(info.altname, order_id)
        if isinstance(new_id, str):
            side = old.side if old else "buy"
            cloid = old.client_order_id if old else None
            self.tracked[new_id] = TrackedOrder(info.altname, symbol, side, self._now(), cloid)
            self.gate.on_order_opened(info.altname, new_id)
        return result

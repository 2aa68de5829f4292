"""Order placement (add, batch): each order encoded once, sent once, a lost reply resolved.

An AddOrder whose reply was lost (timeout, dropped connection, 5xx, EService:Unavailable/Busy)
is never re-sent: ``src.core.order_outcome`` looks its ``cl_ord_id`` up and reports it placed
(with the txid) or still UNKNOWN. Every ack opens the order in the adapter's one
``OpenOrderRegistry``, whose per-pair count is what the rate-limit gate checks.
https://docs.kraken.com/api/docs/rest-api/add-order
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from src.brokers.kraken.errors import map_error
from src.brokers.kraken.limits.gate import RequestGate
from src.brokers.kraken.orders.encoding import KrakenCall, OrderFields, encode_order
from src.brokers.kraken.orders.minimums import CachedTicker, check_market_orders
from src.brokers.kraken.orders.registry import OpenOrderRegistry
from src.brokers.kraken.orders.routing import WsOrderRoute, carries
from src.brokers.kraken.rest.parse import order_ack
from src.brokers.kraken.rest.replies import AddOrderBatchResult, AddOrderResult, BatchOrderRow
from src.brokers.kraken.rest.transport import KrakenTransport
from src.brokers.kraken.symbols import PairInfo, SymbolLoader, resolve_refreshing
from src.core.errors import (
    BrokerError,
    InvalidOrderError,
    MalformedResponseError,
    OrderOutcomeUnknownError,
    OrdersLimitError,
)
from src.core.execution import Order, OrderAck, OrderStatus
from src.core.order_outcome import OutcomeResolver
from src.utils.logging import get_logger

log = get_logger(__name__)
RouteProvider = Callable[[], Awaitable[WsOrderRoute | None]]
Refresh = Callable[[], Awaitable[object]]
Prepared = tuple[Order, PairInfo, OrderFields]
Outcome = tuple[OrderAck, BrokerError | None]

#: How often, at most, an add asks ``OpenOrders`` to prune orders that closed unseen (a
#: REST-only client learns of a market order's fill from no reply of its own).
RECONCILE_EVERY_SECONDS = 60.0
#: An open-order refusal is believed without asking again only this soon after a reconcile.
RECHECK_SECONDS = 2.0


def attach_acks(error: BrokerError, acks: list[OrderAck]) -> BrokerError:
    """Give a raised error every ack of the call, so no order's outcome is lost with it."""
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
    """Places orders through a transport (REST, or WS v2 when ``route`` offers one).

    Args:
        transport: the signed REST transport (its gate and clock are the adapter's).
        symbols: loads the pair map.
        registry: the adapter's open orders.
        resolver: the lost-reply policy.
        refresh_open: reconciles ``registry`` with the venue's OpenOrders.
        route: returns a WebSocket route when orders should go over WS v2 now, else None.
    """

    def __init__(
        self,
        transport: KrakenTransport,
        symbols: SymbolLoader,
        registry: OpenOrderRegistry,
        resolver: OutcomeResolver,
        refresh_open: Refresh,
        route: RouteProvider | None = None,
    ) -> None:
        self._t = transport
        self._symbols = symbols
        self.registry = registry
        self._resolver = resolver
        self._refresh_open = refresh_open
        self._route = route
        self._ticker = CachedTicker(
            lambda pair: self._t.call("Ticker", {"pair": pair}), transport.clock
        )
        self.last_transport: str | None = None
        """"rest" or "websocket": how the latest order call was sent."""

    @property
    def transport(self) -> KrakenTransport:
        """The signed REST transport."""
        return self._t

    @property
    def gate(self) -> RequestGate:
        """The adapter's rate-limit gate."""
        return self._t.gate

    async def pair(self, name: str) -> PairInfo:
        """The pair of any of its names (reloads AssetPairs once for a new listing)."""
        return await resolve_refreshing(self._symbols, name)

    async def pick(self, call: KrakenCall) -> WsOrderRoute | None:
        """The WS route for ``call`` now, or None for REST."""
        route = await self._route() if self._route is not None else None
        return route if route is not None and carries(call) else None

    async def send(self, call: KrakenCall, route: WsOrderRoute | None = None) -> Any:
        """Send one order call over ``route`` (WebSocket) if given, else over REST."""
        self.last_transport = "rest" if route is None else "websocket"
        if route is None:
            return await self._t.call(call.rest_method, call.rest)
        return await route.call(call)

    async def admit(self, pair: str, action: str, count: int = 1) -> None:
        """Pass the gate for adding ``count`` orders on ``pair``, asking the venue if refused.

        A refusal for the open-order limit is re-checked against ``OpenOrders`` first (unless
        that was just done): orders that filled or were cancelled unseen leave the registry.
        """
        if self.registry.reconcile_due(RECONCILE_EVERY_SECONDS):
            await self._refresh_quietly()
        try:
            await self.gate.before_trade(
                pair, action, count=count, open_orders=self.registry.count(pair)
            )
        except OrdersLimitError:
            if self.registry.reconciled_within(RECHECK_SECONDS):
                raise
            await self._refresh_open()
            await self.gate.before_trade(
                pair, action, count=count, open_orders=self.registry.count(pair)
            )

    async def _refresh_quietly(self) -> None:
        try:
            await self._refresh_open()
        except BrokerError as exc:  # the routine prune may wait; the order must not
            log.warning("kraken.open_orders_reconcile_failed", error=str(exc))

    # ------------------------------------------------------------------ add
    async def prepare(self, orders: Sequence[Order]) -> list[Prepared]:
        """Resolve, encode and check every order before any is sent (a bad one sends nothing).

        Market orders are checked against the minimums at the public Ticker (one GET per pair,
        reused for a few seconds).
        """
        prepared = []
        for order in orders:
            info = await self.pair(order.symbol)
            prepared.append((order, info, encode_order(order, info.instrument, info.altname)))
        await check_market_orders(prepared, self._ticker)
        return prepared

    async def submit(
        self, orders: Sequence[Order], *, raise_on_reject: bool = True
    ) -> list[OrderAck]:
        """Send each order once; return one ack per order, in order.

        Raises:
            OrderRejectedError (or another BrokerError): when ``raise_on_reject`` and an order
                was refused; the error's ``acks`` holds every ack so nothing is lost.
            OrderOutcomeUnknownError: an order's outcome could not be determined yet.
        """
        outcomes = [await self._add_one(*item) for item in await self.prepare(orders)]
        return self.finish(outcomes, raise_on_reject)

    async def _add_one(self, order: Order, info: PairInfo, fields: OrderFields) -> Outcome:
        symbol = info.instrument.symbol
        call = fields.call()
        route = await self.pick(call)
        try:
            await self.admit(info.altname, "add")
            result: AddOrderResult = await self.send(call, route)
            txid = _txid(result, "AddOrder")
        except BrokerError as error:
            if not error.outcome_known:
                return await self.resolve(order, info, error)
            log.info("kraken.order_rejected", symbol=symbol, error=str(error))
            return order_ack(order, symbol, None, OrderStatus.REJECTED, message=str(error)), error
        self._opened(info, order, txid)
        return order_ack(order, symbol, txid, OrderStatus.OPEN, result), None

    def _opened(self, info: PairInfo, order: Order, order_id: str) -> None:
        self.registry.open(
            order_id, info.altname, info.instrument.symbol, order.side.value, order.client_order_id
        )

    async def resolve(self, order: Order, info: PairInfo, cause: BrokerError) -> Outcome:
        """What became of an order whose reply was lost (never re-sent; see order_outcome)."""
        symbol = info.instrument.symbol
        resolution = await self._resolver.resolve(order.client_order_id, cause)
        ack = resolution.ack(order, symbol)
        if resolution.found is None:
            unknown = OrderOutcomeUnknownError(
                resolution.message, client_order_id=order.client_order_id, endpoint="AddOrder"
            )
            return ack, unknown
        if not resolution.found.status.is_final:
            self._opened(info, order, resolution.found.order_id)
        return ack, None

    async def add_batch(
        self, orders: Sequence[Order], *, raise_on_reject: bool = True
    ) -> list[OrderAck]:
        """AddOrderBatch: 2–15 orders on one pair, sent once as JSON; one ack per order."""
        prepared = await self.prepare(orders)
        if len({info.key for _, info, _ in prepared}) != 1 or not 2 <= len(prepared) <= 15:
            raise InvalidOrderError("AddOrderBatch takes 2 to 15 orders, all on one pair")
        info = prepared[0][1]
        rows = [{k: v for k, v in f.rest().items() if k != "pair"} for _, _, f in prepared]
        try:
            await self.admit(info.altname, "batch_add", count=len(prepared))
            self.last_transport = "rest"
            result: AddOrderBatchResult = await self._t.call(
                "AddOrderBatch", {"pair": info.altname, "orders": rows}
            )
            replies = _batch_rows(result, len(prepared))
        except BrokerError as error:
            if error.outcome_known:
                raise attach_acks(error, []) from None
            outcomes = [await self.resolve(o, i, error) for o, i, _ in prepared]
            return self.finish(outcomes, raise_on_reject)
        outcomes = [
            self._batch_row(o, i, row) for (o, i, _), row in zip(prepared, replies, strict=True)
        ]
        return self.finish(outcomes, raise_on_reject)

    def _batch_row(self, order: Order, info: PairInfo, row: BatchOrderRow) -> Outcome:
        symbol = info.instrument.symbol
        if isinstance(row, dict) and row.get("error"):
            error = map_error(str(row["error"]), "AddOrderBatch", order_call=True)
            return order_ack(order, symbol, None, OrderStatus.REJECTED, row, str(error)), error
        txid = _txid(row, "AddOrderBatch")
        self._opened(info, order, txid)
        return order_ack(order, symbol, txid, OrderStatus.OPEN, row), None

    @staticmethod
    def finish(outcomes: list[Outcome], raise_on_reject: bool) -> list[OrderAck]:
        """The acks, or the first error carrying them all when ``raise_on_reject``."""
        acks = [a for a, _ in outcomes]
        errors = [e for _, e in outcomes if e is not None]
        if errors and raise_on_reject:
            raise attach_acks(errors[0], acks)
        return acks


def _batch_rows(result: Any, expected: int) -> list[BatchOrderRow]:
    rows = result.get("orders") if isinstance(result, dict) else None
    if not isinstance(rows, list) or len(rows) != expected:
        raise MalformedResponseError(
            "AddOrderBatch reply lacks one entry per order",
            endpoint="AddOrderBatch",
            outcome_known=False,
        )
    return rows

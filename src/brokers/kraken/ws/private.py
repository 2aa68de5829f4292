"""Private Kraken WS v2 stream: ``executions`` (orders and fills) and ``balances``.

A fresh token (REST GetWebSocketsToken) is fetched on every connect. Fills are de-duplicated
by ``exec_id`` (a reconnect's trade snapshot repeats recent fills); an order is complete only
when it reaches a final status (filled, canceled, expired), never on a ``trade`` event.

Anything after which reports may be missing opens a *gap*: a reconnect, an undecodable frame,
or an executions frame or report that does not check out (``reports.report_problem``; such a
report is logged and not merged). Every gap runs the stream's reconcile hooks over REST
(``gaps.GapReconciler``), the same path for all of them.
Docs: websocket-v2/executions, websocket-v2/balances.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

from src.brokers.kraken.errors import map_error
from src.brokers.kraken.ws.backoff import Backoff
from src.brokers.kraken.ws.connection import ReconnectHook, WsConnection
from src.brokers.kraken.ws.fanout import Fanout
from src.brokers.kraken.ws.frames import ChannelFrame
from src.brokers.kraken.ws.gaps import GapHook, GapReconciler
from src.brokers.kraken.ws.reports import (
    FINAL_ORDER_STATUSES,
    fill_from_report,
    order_update,
    report_problem,
)
from src.core.clock import Clock
from src.core.errors import BrokerError
from src.core.execution import Fill, OrderStatus, OrderUpdate

__all__ = ["KrakenPrivateStream", "token_text"]

log = logging.getLogger(__name__)

_SEEN_FILLS = 10_000  # remembered exec ids; far more than a reconnect snapshot repeats
#: Final orders whose merged state is kept (lost-reply lookups, late fills); older ones are
#: dropped so a stream that runs for days holds open orders plus this many, not every order.
_FINAL_KEPT = 2_000
OrderListener = Callable[[str, dict[str, Any]], None]


class KrakenPrivateStream:
    """Executions and balances over the private WS v2 endpoint.

    Args:
        ws_auth_url: ``wss://ws-auth.kraken.com/v2`` or the paper exchange's.
        token_provider: returns a fresh WebSocket token (called on every connect).
        snap_trades: ask for the last 50 fills on each (re)connect, so fills made while
            disconnected are recovered (duplicates are dropped by id).
        balances: also subscribe to ``balances``.
        order_status: every status transition (Kraken's default) rather than only the open and
            close ones (``new``, ``filled``, ``canceled``, ``expired``; fills still stream).
            Off by default: ``pending_new`` says nothing an order's ack does not, and it was
            one more frame to read per order (docs/websocket.md, *Performance*).
        idle_timeout, ping_interval, backoff, clock: connection care (see ``WsConnection``).
        gap_recheck: seconds after a gap opened by an unreadable frame before its reconcile
            runs once more (REST may list a fill late); None for no recheck.
        gap_backoff: retry delays of a reconcile that failed.
        name: the connection's name in logs and metrics; an account may hold several private
            sockets at once (orders, fills, order updates), so each says which it is.
    """

    def __init__(
        self,
        ws_auth_url: str,
        token_provider: Callable[[], Awaitable[str]],
        *,
        snap_trades: bool = True,
        balances: bool = True,
        order_status: bool = False,
        idle_timeout: float = 10.0,
        ping_interval: float = 5.0,
        request_timeout: float = 5.0,
        backoff: Backoff | None = None,
        clock: Clock | None = None,
        gap_recheck: float | None = 2.0,
        gap_backoff: Backoff | None = None,
        name: str = "kraken-private",
    ) -> None:
        self.connection = WsConnection(
            ws_auth_url,
            on_channel=self._on_channel,
            on_malformed=self._on_malformed,
            token_provider=token_provider,
            idle_timeout=idle_timeout,
            ping_interval=ping_interval,
            request_timeout=request_timeout,
            backoff=backoff,
            clock=clock,
            name=name,
            compression=None,  # small frames: inflating them cost more than it saved
        )
        self._snap_trades = snap_trades
        self._order_status = order_status
        self._want_balances = balances
        self.orders: dict[str, dict[str, Any]] = {}
        self.balances: dict[str, Decimal] = {}
        self.duplicate_fills = 0
        self._seen: OrderedDict[str, None] = OrderedDict()
        #: Quantity of the fills delivered per order id, to check each final report's cum_qty.
        self._filled: OrderedDict[str, Decimal] = OrderedDict()
        self._fills: Fanout[Fill] = Fanout()
        self._updates: Fanout[OrderUpdate] = Fanout()
        self._final_waiters: dict[str, list[asyncio.Future[dict[str, Any]]]] = {}
        self._by_cloid: dict[str, str] = {}
        self._finals: OrderedDict[str, None] = OrderedDict()
        self._order_listeners: list[OrderListener] = []
        self.gaps = GapReconciler(
            name, self.connection.clock, recheck=gap_recheck, backoff=gap_backoff
        )
        self.connection.add_reconnect_hook(self._reconnected)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Connect and subscribe to executions (and balances)."""
        await self.connection.start()
        params = {"channel": "executions", "snap_orders": True, "snap_trades": self._snap_trades,
                  "order_status": self._order_status}  # fmt: skip
        await self._subscribe(params)
        if self._want_balances:
            await self._subscribe({"channel": "balances", "snapshot": True})

    async def _subscribe(self, params: dict[str, Any]) -> None:
        reply = await self.connection.subscribe(params, auth=True)
        if not reply.success:
            raise map_error(reply.error or "EGeneral:Internal error", "subscribe")

    async def close(self) -> None:
        """Close the connection and end every iterator."""
        self._fills.close()
        self._updates.close()
        await self.gaps.close()
        await self.connection.close()

    def add_gap_hook(self, hook: GapHook) -> None:
        """Run ``hook`` after every gap: each reconnect and each unreadable executions frame.

        The hook reconciles over REST (fills, orders) and raises ``BrokerError`` when it could
        not: it is then retried with backoff. Hooks run one after another, one run at a time.
        """
        self.gaps.add(hook)

    def add_reconnect_hook(self, hook: ReconnectHook) -> None:
        """Run ``hook`` after every gap; the older name of ``add_gap_hook``.

        A reconnect is one kind of gap; an unreadable frame is the other, and the reconcile a
        reconnect needs (e.g. ``KrakenOrderManager.reconcile_orders``) is the one it needs too.
        """
        self.gaps.add(hook)

    async def _reconnected(self) -> None:
        self.gaps.open("reconnected")

    def _on_malformed(self, reason: str) -> None:
        # Undecodable: it may have been an executions frame, so its reports count as missed.
        self.gaps.open(reason, late=True)

    def _gap(self, problem: str, raw: Any) -> None:
        log.warning(
            "%s: %s; reconciling fills and orders over REST: %.300r",
            self.connection.name,
            problem,
            raw,
        )
        self.gaps.open(problem, late=True)

    def add_order_listener(self, listener: OrderListener) -> None:
        """Call ``listener(order_id, merged_state)`` on every order report, synchronously."""
        self._order_listeners.append(listener)

    def iter_fills(self) -> AsyncIterator[Fill]:
        """Each new fill once, from now on."""
        return self._fills.iterate()

    def iter_order_updates(self) -> AsyncIterator[OrderUpdate]:
        """Each order state change, from now on."""
        return self._updates.iterate()

    def publish_fill(self, fill: Fill) -> bool:
        """Deliver a fill found elsewhere (REST reconciliation); False if already seen."""
        if fill.fill_id in self._seen:
            self.duplicate_fills += 1
            return False
        self._seen[fill.fill_id] = None
        while len(self._seen) > _SEEN_FILLS:
            self._seen.popitem(last=False)
        self._filled[fill.order_id] = self._filled.get(fill.order_id, Decimal(0)) + fill.quantity
        self._filled.move_to_end(fill.order_id)
        while len(self._filled) > _SEEN_FILLS:
            self._filled.popitem(last=False)
        self._fills.publish(fill)
        return True

    def apply_order_update(self, update: OrderUpdate) -> bool:
        """Merge an order state learned elsewhere (REST reconciliation); True if it changed."""
        state = self.orders.setdefault(update.order_id, {"order_id": update.order_id})
        status = _WIRE_STATUS.get(update.status)
        if status is None or state.get("order_status") == status:
            return False
        state.update(
            order_status=status,
            symbol=state.get("symbol", update.symbol),
            side=state.get("side", update.side.value),
            order_type=state.get("order_type", update.order_type.value),
            order_qty=state.get("order_qty", update.quantity),
            cum_qty=update.filled_quantity,
        )
        if update.client_order_id:
            state.setdefault("cl_ord_id", update.client_order_id)
            self._by_cloid[update.client_order_id] = update.order_id
        self._order_changed(update.order_id, state)
        return True

    def order(self, order_id: str) -> dict[str, Any] | None:
        """Everything reported about an order so far (fields merged across events)."""
        return self.orders.get(order_id)

    def order_id_for(self, cl_ord_id: str) -> str | None:
        """The venue id of an order seen on executions with this client order id."""
        return self._by_cloid.get(cl_ord_id)

    async def wait_final(self, order_id: str, timeout: float) -> dict[str, Any]:
        """Wait until ``order_id`` reaches a final status; returns its merged report."""
        state = self.orders.get(order_id)
        if state is not None and state.get("order_status") in FINAL_ORDER_STATUSES:
            return state
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._final_waiters.setdefault(order_id, []).append(future)
        return await asyncio.wait_for(future, timeout)

    def _on_channel(self, frame: ChannelFrame) -> None:
        if frame.channel == "executions":
            self._on_executions(frame)
        elif frame.channel == "balances":
            if not isinstance(frame.data, list):
                log.warning("balances: data is not a list; frame skipped: %.200r", frame.raw)
                return
            for row in frame.data:
                if isinstance(row, dict):
                    self._on_balance(row, frame.type == "snapshot")
        elif frame.channel not in ("status", "heartbeat"):
            self._gap(f"frame on an unknown channel {frame.channel!r}", frame.raw)

    def _on_executions(self, frame: ChannelFrame) -> None:
        if frame.type not in ("snapshot", "update"):
            self._gap(f"executions frame of unknown type {frame.type!r}", frame.raw)
            return
        if not isinstance(frame.data, list):
            self._gap("executions frame whose data is not a list", frame.raw)
            return
        for index, report in enumerate(frame.data):
            problem = report_problem(report) if isinstance(report, dict) else "not a JSON object"
            if problem is not None:
                self._gap(f"malformed executions report {index} ({problem})", report)
            else:
                self._on_report(report)

    def _on_report(self, report: dict[str, Any]) -> None:
        order_id: str = report["order_id"]  # checked by report_problem
        state = self.orders.setdefault(order_id, {})
        # a trade's own fields (exec_id, last_qty...) describe this fill, not the order
        state.update({k: v for k, v in report.items() if k not in _FILL_ONLY})
        if isinstance(state.get("cl_ord_id"), str):
            self._by_cloid[state["cl_ord_id"]] = order_id
        if report.get("exec_type") == "trade" or "exec_id" in report:
            try:
                self.publish_fill(fill_from_report(report, state))
            except (BrokerError, ValueError, KeyError, TypeError) as exc:
                self._gap(f"executions fill that cannot be read ({exc!r})", report)
        elif report.get("order_status") in FINAL_ORDER_STATUSES:
            self._check_filled(order_id, report.get("cum_qty"), report)
        self._order_changed(order_id, state)

    def _check_filled(self, order_id: str, cum_qty: Any, report: dict[str, Any]) -> None:
        """Open a gap when a final report counts more filled than the fills delivered.

        A fill whose frame never came (lost without a trace, or a venue that streams less than
        assumed, e.g. with ``order_status`` off) is then found over REST when its order ends.
        An order that filled partly before this stream saw it reconciles once, harmlessly.
        """
        if cum_qty is None:
            return
        seen = self._filled.get(order_id, Decimal(0))
        # report_problem checked it is a finite number (a float only from a test's frame)
        if Decimal(repr(cum_qty) if isinstance(cum_qty, float) else cum_qty) > seen:
            self._gap(f"order {order_id} ended with cum_qty {cum_qty} but fills of {seen}", report)

    def _order_changed(self, order_id: str, state: dict[str, Any]) -> None:
        if self._updates.has_readers:  # an OrderUpdate (pydantic) only for someone iterating
            update = order_update(state)
            if update is not None:
                self._updates.publish(update)
        for listener in self._order_listeners:
            listener(order_id, state)
        if state.get("order_status") in FINAL_ORDER_STATUSES:
            for future in self._final_waiters.pop(order_id, []):
                if not future.done():
                    future.set_result(dict(state))
            self._retire(order_id)

    def _retire(self, order_id: str) -> None:
        self._finals[order_id] = None
        self._finals.move_to_end(order_id)
        while len(self._finals) > _FINAL_KEPT:
            old, _ = self._finals.popitem(last=False)
            gone = self.orders.pop(old, None) or {}
            self._filled.pop(old, None)
            cloid = gone.get("cl_ord_id")
            if isinstance(cloid, str) and self._by_cloid.get(cloid) == old:
                del self._by_cloid[cloid]

    def _on_balance(self, row: dict[str, Any], snapshot: bool) -> None:
        asset, balance = row.get("asset"), row.get("balance")
        if isinstance(asset, str) and isinstance(balance, Decimal | int):
            self.balances[asset] = Decimal(balance)


_WIRE_STATUS = {
    OrderStatus.PENDING: "pending_new",
    OrderStatus.OPEN: "new",
    OrderStatus.PARTIALLY_FILLED: "partially_filled",
    OrderStatus.FILLED: "filled",
    OrderStatus.CANCELED: "canceled",
    OrderStatus.EXPIRED: "expired",
}

_FILL_ONLY = frozenset(
    {"exec_id", "trade_id", "last_qty", "last_price", "cost", "liquidity_ind", "fees"}
)


def token_text(value: Any) -> str:
    """The token out of a GetWebSocketsToken answer (a string, a dict or an object)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("token"), str):
        return str(value["token"])
    token = getattr(value, "token", None)
    if isinstance(token, str):
        return token
    raise BrokerError("GetWebSocketsToken returned no token", endpoint="GetWebSocketsToken")

"""Private Kraken WS v2 stream: ``executions`` (orders and fills) and ``balances``.

A fresh token (REST GetWebSocketsToken) is fetched on every connect. Fills are de-duplicated
by ``exec_id`` (a reconnect's trade snapshot repeats recent fills); an order is complete only
when it reaches a final status (filled, canceled, expired), never on a ``trade`` event.
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
from src.brokers.kraken.ws.reports import FINAL_ORDER_STATUSES, fill_from_report, order_update
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
        idle_timeout, ping_interval, backoff, clock: connection care (see ``WsConnection``).
    """

    def __init__(
        self,
        ws_auth_url: str,
        token_provider: Callable[[], Awaitable[str]],
        *,
        snap_trades: bool = True,
        balances: bool = True,
        idle_timeout: float = 10.0,
        ping_interval: float = 5.0,
        request_timeout: float = 5.0,
        backoff: Backoff | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.connection = WsConnection(
            ws_auth_url,
            on_channel=self._on_channel,
            token_provider=token_provider,
            idle_timeout=idle_timeout,
            ping_interval=ping_interval,
            request_timeout=request_timeout,
            backoff=backoff,
            clock=clock,
            name="kraken-private",
        )
        self._snap_trades = snap_trades
        self._want_balances = balances
        self.orders: dict[str, dict[str, Any]] = {}
        self.balances: dict[str, Decimal] = {}
        self.duplicate_fills = 0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._fills: Fanout[Fill] = Fanout()
        self._updates: Fanout[OrderUpdate] = Fanout()
        self._final_waiters: dict[str, list[asyncio.Future[dict[str, Any]]]] = {}
        self._by_cloid: dict[str, str] = {}
        self._finals: OrderedDict[str, None] = OrderedDict()
        self._order_listeners: list[OrderListener] = []

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
        params = {"channel": "executions", "snap_orders": True, "snap_trades": self._snap_trades}
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
        await self.connection.close()

    def add_reconnect_hook(self, hook: ReconnectHook) -> None:
        """Run ``hook`` after each reconnect (e.g. reconcile fills over REST)."""
        self.connection.add_reconnect_hook(hook)

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
        if frame.channel == "executions" and isinstance(frame.data, list):
            for report in frame.data:
                if isinstance(report, dict):
                    self._on_report(report)
        elif frame.channel == "balances" and isinstance(frame.data, list):
            for row in frame.data:
                if isinstance(row, dict):
                    self._on_balance(row, frame.type == "snapshot")

    def _on_report(self, report: dict[str, Any]) -> None:
        order_id = report.get("order_id")
        if not isinstance(order_id, str):
            log.warning("executions: report without order_id skipped: %.200r", report)
            return
        state = self.orders.setdefault(order_id, {})
        # a trade's own fields (exec_id, last_qty...) describe this fill, not the order
        state.update({k: v for k, v in report.items() if k not in _FILL_ONLY})
        if isinstance(state.get("cl_ord_id"), str):
            self._by_cloid[state["cl_ord_id"]] = order_id
        if report.get("exec_type") == "trade" or "exec_id" in report:
            try:
                self.publish_fill(fill_from_report(report, state))
            except (BrokerError, ValueError, KeyError, TypeError) as exc:
                log.warning("executions: unreadable fill skipped (%s): %.200r", exc, report)
        self._order_changed(order_id, state)

    def _order_changed(self, order_id: str, state: dict[str, Any]) -> None:
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

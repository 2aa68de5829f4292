"""Order-update streams for ``KrakenAdapter.stream_order_updates()``: WS v2 with REST fallback.

Both sources yield each change of an order's state once, from the moment iteration starts:
the order's status, filled quantity, quantity or limit price differ from what was last
yielded for it (an amend changes only the last two). States learned over REST never move an
order backwards (lower filled quantity, or away from a final status), so a stale REST answer
racing a live WebSocket report is dropped. Orders that were already open or closed when
iteration started form the baseline and are yielded only when they change afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from src.brokers.kraken.rest import parse
from src.brokers.kraken.rest.replies import QueryOrdersResult, WebSocketsTokenResult
from src.brokers.kraken.symbols import SymbolMap
from src.brokers.kraken.ws.private import KrakenPrivateStream, token_text
from src.core.clock import Clock
from src.core.errors import AuthenticationError, BrokerError, PermissionDeniedError
from src.core.execution import OrderStatus, OrderUpdate, utc_now
from src.utils.logging import get_logger

__all__ = ["OrderStateFilter", "PollingOrderSource", "WsOrderUpdateSource", "gap_updates"]

log = get_logger(__name__)

_REMEMBERED = 10_000  # orders whose last state is kept; far more than are open at once
_QUERY_BATCH = 50  # QueryOrders takes at most 50 txids per call
_LIVE = frozenset({"pending_new", "new", "partially_filled"})  # executions statuses not final

StateKey = tuple[OrderStatus, Decimal, Decimal, Decimal | None]


class OrderSourceAdapter(Protocol):
    """What the sources need from ``KrakenAdapter``."""

    clock: Clock

    @property
    def ws_auth_url(self) -> str:
        """The private WS v2 URL."""
        ...

    async def request(self, method: str, /, **params: Any) -> Any: ...
    async def query_orders(self, txids: str | list[str]) -> QueryOrdersResult: ...
    async def load_symbols(self, *, refresh: bool = False) -> SymbolMap: ...
    async def get_websockets_token(self) -> WebSocketsTokenResult: ...


def _key(update: OrderUpdate) -> StateKey:
    return (update.status, update.filled_quantity, update.quantity, update.limit_price)


class OrderStateFilter:
    """Remembers the last state of each order and passes only real changes."""

    def __init__(self) -> None:
        self._last: OrderedDict[str, OrderUpdate] = OrderedDict()

    def seed(self, update: OrderUpdate) -> None:
        """Record a state without yielding it (the start baseline)."""
        self._remember(update)

    def accept(self, update: OrderUpdate) -> bool:
        """True (and remembered) when ``update`` is a new, not older, state of its order."""
        last = self._last.get(update.order_id)
        if last is not None and (
            _key(last) == _key(update)
            or last.status.is_final
            or update.filled_quantity < last.filled_quantity
        ):
            return False
        self._remember(update)
        return True

    def knows(self, order_id: str) -> bool:
        """True once any state of ``order_id`` was seeded or yielded."""
        return order_id in self._last

    def open_ids(self) -> list[str]:
        """Ids of the orders whose last known state is not final."""
        return [oid for oid, u in self._last.items() if not u.status.is_final]

    def _remember(self, update: OrderUpdate) -> None:
        self._last[update.order_id] = update
        self._last.move_to_end(update.order_id)
        while len(self._last) > _REMEMBERED:
            self._last.popitem(last=False)


async def gap_updates(
    adapter: OrderSourceAdapter,
    known: Iterable[str],
    since: datetime,
    *,
    open_orders: bool = False,
) -> list[OrderUpdate]:
    """States over REST of orders that may have changed unseen: oldest change first.

    ``known`` (orders not final when last seen) are asked by txid (QueryOrders, 50 a call);
    orders closed after ``since`` come from one ClosedOrders page (the newest 50), which
    catches orders opened and closed entirely within a gap. With ``open_orders``, OpenOrders
    too: an order placed inside the gap and still open is in neither of those.
    """
    symbols = await adapter.load_symbols()
    ids = list(dict.fromkeys(known))
    found: dict[str, OrderUpdate] = {}
    if open_orders:
        rows = await adapter.request("OpenOrders")
        opened = parse.parse_orders((rows or {}).get("open") or {}, symbols)
        found.update((u.order_id, u) for u in opened)
    for i in range(0, len(ids), _QUERY_BATCH):
        answer = await adapter.query_orders(ids[i : i + _QUERY_BATCH])
        found.update((u.order_id, u) for u in parse.parse_orders(answer, symbols))
    closed = await adapter.request("ClosedOrders", start=f"{since.timestamp():.6f}")
    rows = closed.get("closed") if isinstance(closed, dict) else None
    for update in parse.parse_orders(rows or {}, symbols):
        found.setdefault(update.order_id, update)
    return sorted(found.values(), key=_changed_at)


def _changed_at(update: OrderUpdate) -> datetime:
    return update.updated_at or update.created_at or utc_now()


def _existed_at_start(update: OrderUpdate, started: datetime) -> bool:
    """Baseline rule for a REST state: its last known change is before the start."""
    return _changed_at(update) < started


class WsOrderUpdateSource:
    """Order updates from WS v2 ``executions`` on its own private connection, across reconnects.

    Args:
        adapter: a ``KrakenAdapter`` (token, REST reconciliation, symbols).
        overlap: seconds before the previous (re)connect that a reconnect's ClosedOrders
            query reaches back.
        fallback: a source used when the key lacks the WebSocket-token permission.
        stream_options: passed to ``KrakenPrivateStream`` (timeouts, backoff, clock).
    """

    def __init__(
        self,
        adapter: OrderSourceAdapter,
        *,
        overlap: float = 5.0,
        fallback: PollingOrderSource | None = None,
        **stream_options: Any,
    ) -> None:
        self._adapter = adapter
        self._fallback = fallback
        self._overlap = timedelta(seconds=overlap)
        options = {
            "snap_trades": False,
            "balances": False,
            "name": "kraken-private/updates",
            **stream_options,
        }
        # The adapter's shared token cache when it has one: a refused token can be forgotten,
        # and the permission probe's token is the one the connection then uses.
        self._token = getattr(adapter, "websocket_token", None) or self._fresh_token
        self.stream = KrakenPrivateStream(adapter.ws_auth_url, self._token, **options)
        self.stream.add_gap_hook(self.reconcile)
        self._filter = OrderStateFilter()
        self._queue: asyncio.Queue[OrderUpdate] = asyncio.Queue()
        self._started = self._since = utc_now()
        self.reconciled = 0

    async def _fresh_token(self) -> str:
        return token_text(await self._adapter.get_websockets_token())

    async def reconcile(self) -> int:
        """After a gap (reconnect, unreadable frame): fetch the orders that may have changed.

        Raises:
            BrokerError: REST could not be read; the stream retries with backoff.
        """
        since, self._since = self._since, utc_now()
        known = set(self._filter.open_ids())
        known.update(oid for oid, s in self.stream.orders.items() if s.get("order_status") in _LIVE)
        try:
            found = await gap_updates(self._adapter, known, since - self._overlap, open_orders=True)
        except BrokerError as exc:
            self._since = since  # reach back as far next time
            log.warning("kraken.order_reconcile_failed", error=str(exc))
            raise
        found = [
            u
            for u in found  # closed just before start (within the overlap): baseline
            if self._filter.knows(u.order_id) or not _existed_at_start(u, self._started)
        ]
        for update in found:
            self._queue.put_nowait(update)
        self.reconciled += len(found)
        return len(found)

    async def _baseline(self, started: datetime) -> None:
        """Open orders that existed at start: their current state is not a change."""
        try:
            symbols = await self._adapter.load_symbols()
            rows = await self._adapter.request("OpenOrders")
            current = parse.parse_orders((rows or {}).get("open") or {}, symbols)
        except BrokerError as exc:
            log.warning("kraken.order_baseline_unavailable", error=str(exc))
            return  # the first snapshot's open orders will be yielded as they are
        for update in current:
            if _existed_at_start(update, started):
                self._filter.seed(update)

    async def updates(self) -> AsyncIterator[OrderUpdate]:
        """Each order state change once, from now until cancelled."""
        started = self._started = self._since = utc_now()
        if self._fallback is not None:
            try:
                await self._token()
            except (PermissionDeniedError, AuthenticationError) as exc:
                log.warning("kraken.order_updates_polling", reason=str(exc))
                async for update in self._fallback.updates(start=started):
                    yield update
                return
        pump = asyncio.create_task(self._pump(self.stream.iter_order_updates()))
        try:
            await self.stream.start()
            await self._baseline(started)
            while True:
                update = await self._queue.get()
                if self._filter.accept(update):
                    yield update
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
            await self.stream.close()

    async def _pump(self, iterator: AsyncIterator[OrderUpdate]) -> None:
        async for update in iterator:  # registered before connecting: nothing is missed
            self._queue.put_nowait(update)


class PollingOrderSource:
    """Polls OpenOrders plus recent changes (``gap_updates``) and yields each change once.

    Each poll reads OpenOrders, then QueryOrders for orders last seen open that are no
    longer listed, and the newest page of ClosedOrders closed since the previous poll.

    Args:
        adapter: a ``KrakenAdapter``.
        interval: seconds between polls (``clock.sleep``).
        overlap: how far before the previous poll each ClosedOrders query reaches.
    """

    def __init__(
        self, adapter: OrderSourceAdapter, *, interval: float = 2.0, overlap: float = 60.0
    ) -> None:
        self._adapter = adapter
        self._clock: Clock = adapter.clock
        self.interval = interval
        self._overlap = timedelta(seconds=overlap)

    async def _poll(self, state: OrderStateFilter, since: datetime) -> list[OrderUpdate] | None:
        try:
            symbols = await self._adapter.load_symbols()
            rows = await self._adapter.request("OpenOrders")
            current = parse.parse_orders((rows or {}).get("open") or {}, symbols)
            listed = {u.order_id for u in current}
            gone = [oid for oid in state.open_ids() if oid not in listed]
            return current + await gap_updates(self._adapter, gone, since - self._overlap)
        except BrokerError as error:
            if not error.retryable:
                raise
            log.warning("kraken.order_poll_failed", error=str(error))
            return None

    async def updates(self, start: datetime | None = None) -> AsyncIterator[OrderUpdate]:
        """Each order state change since ``start`` (default now) once; errors are retried."""
        state = OrderStateFilter()
        started = since = start or self._clock.now()
        first = True
        while True:
            polled_at = self._clock.now()
            batch = await self._poll(state, since)
            if batch is not None:
                for update in sorted(batch, key=_changed_at):
                    if first and _existed_at_start(update, started):
                        state.seed(update)
                    elif state.accept(update):
                        yield update
                first, since = False, polled_at
            await self._clock.sleep(self.interval)


def order_update_source(
    adapter: OrderSourceAdapter, poll_interval: float, **stream_options: Any
) -> WsOrderUpdateSource:
    """The adapter's stream: WebSocket, with polling for a key without the WS permission."""
    polling = PollingOrderSource(adapter, interval=poll_interval)
    return WsOrderUpdateSource(adapter, fallback=polling, **stream_options)

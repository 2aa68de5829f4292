"""The paper exchange's Kraken WS v2 server: ``/ws/v2`` (public) and ``/ws-auth/v2`` (private).

``mount(app, exchange)`` adds both routes to the exchange's aiohttp app. Every connection gets
``status`` on connect, ``heartbeat`` about once a second while subscribed and idle, ``pong`` for
``ping``, one ack per symbol, and channel data built from the exchange's event bus. Fault knobs
(read on every frame) can drop connections or mute the stream while the socket stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from src.venues.kraken_paper.events import (
    BalanceEvent,
    BookEvent,
    CandleEvent,
    Event,
    OrderEvent,
    PublicTradeEvent,
    StatusEvent,
    TickerEvent,
)
from src.venues.kraken_paper.ws_private_feed import PrivateFeed
from src.venues.kraken_paper.ws_public_feed import (
    aggregate_candles,
    pair_for_symbol,
    ticker_data,
    trade_data,
)
from src.venues.kraken_paper.ws_public_subs import PublicSubscriptions
from src.venues.kraken_paper.ws_session import WsSession
from src.venues.kraken_paper.ws_venue import WsVenue
from src.venues.kraken_paper.ws_wire import encode, error_reply, rfc3339

__all__ = ["WsHub", "mount"]

_TCP_CORK = getattr(socket, "TCP_CORK", None)  # Linux; elsewhere frames leave one by one

log = logging.getLogger(__name__)

HUB_KEY: web.AppKey[WsHub] = web.AppKey("paper_ws_hub")


def mount(app: web.Application, exchange: Any, *, heartbeat_interval: float = 1.0) -> WsHub:
    """Serve WS v2 on ``app`` for ``exchange``; returns the hub (also ``app[HUB_KEY]``)."""
    hub = WsHub(exchange, heartbeat_interval=heartbeat_interval)
    app.router.add_get("/ws/v2", hub.handle_public)
    app.router.add_get("/ws-auth/v2", hub.handle_private)
    app.on_shutdown.append(hub.shutdown)
    app[HUB_KEY] = hub
    return hub


class WsHub:
    """All WS sessions of one exchange, fed from its event bus."""

    def __init__(self, exchange: Any, *, heartbeat_interval: float = 1.0) -> None:
        self.venue = WsVenue(exchange)
        self.heartbeat_interval = heartbeat_interval
        self.sessions: set[WsSession] = set()
        self.public = PublicSubscriptions(self.venue)
        self.private = PrivateFeed(self.venue)
        self.connection_count = 0
        self._unsubscribe = self.venue.bus.subscribe(self._on_event)
        # A market a socket subscribes to stays built while nothing else reads it.
        exchange.markets.pins.append(self.subscribed_pairs)

    def subscribed_pairs(self) -> set[str]:
        """Pair keys some session subscribes to (book, ticker, trade or ohlc)."""
        symbols: set[str] = set()
        for session in self.sessions:
            symbols.update(session.books, session.tickers, session.trades, session.ohlc)
        specs = (pair_for_symbol(symbol) for symbol in symbols)
        return {spec.key for spec in specs if spec is not None}

    async def handle_public(self, request: web.Request) -> web.WebSocketResponse:
        """Serve a public socket: the aiohttp handler of ``/ws/v2``."""
        return await self._serve(request, private=False)

    async def handle_private(self, request: web.Request) -> web.WebSocketResponse:
        """Serve a private socket: the aiohttp handler of ``/ws-auth/v2``."""
        return await self._serve(request, private=True)

    async def drop_connections(self) -> int:
        """Close every socket abruptly (fault injection); returns how many were open."""
        sessions = list(self.sessions)
        for session in sessions:
            with contextlib.suppress(Exception):
                await session.ws.close(code=1011, message=b"dropped")
        return len(sessions)

    async def shutdown(self, app: web.Application | None = None) -> None:
        """Close every session (aiohttp ``on_shutdown``)."""
        self._unsubscribe()
        await self.drop_connections()

    async def _serve(self, request: web.Request, private: bool) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=2**20)
        await ws.prepare(request)
        session = WsSession(ws, private)
        if request.transport is not None:
            session.sock = request.transport.get_extra_info("socket")
        session.last_update = session.started = self.venue.monotonic()
        self.sessions.add(session)
        self.connection_count += 1
        writer = asyncio.create_task(self._writer(session))
        beats = asyncio.create_task(self._heartbeats(session))
        session.send(self._status_frame(self.venue.system_status()))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_text(session, msg.data)
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            self.sessions.discard(session)
            session.queue.put_nowait(None)
            beats.cancel()
            for task in (writer, beats):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        return ws

    def _status_frame(self, system: str) -> dict[str, Any]:
        return {
            "channel": "status",
            "type": "update",
            "data": [
                {
                    "api_version": "v2",
                    "connection_id": self.connection_count,
                    "system": system,
                    "version": "2.0.0",
                }
            ],
        }

    async def _writer(self, session: WsSession) -> None:
        while True:
            batch = [await session.queue.get()]
            while not session.queue.empty():  # e.g. an order's executions report and its reply
                batch.append(session.queue.get_nowait())
            # Frames queued together leave in one TCP segment: on loopback each send wakes the
            # reader, which then read a report and woke again for the reply behind it.
            with _corked(session.sock if len(batch) > 1 else None):
                for message in batch:
                    if not await self._write(session, message):
                        return

    async def _write(self, session: WsSession, message: dict[str, Any] | None) -> bool:
        """Send one queued frame (faults applied); False once the session is over."""
        if message is None or session.ws.closed:
            return False
        age = self.venue.monotonic() - session.started
        if self.venue.fault_drop(age):
            await session.ws.close(code=1011, message=b"dropped")
            return False
        channel = message.get("channel")
        if isinstance(channel, str) and self.venue.fault_silent(channel, age):
            return True  # fault: the socket stays open but the stream goes quiet
        try:
            await session.ws.send_str(encode(message))
        except (ConnectionError, RuntimeError):
            return False
        session.sent += 1
        if isinstance(channel, str):  # replies (pong, acks) are not updates: no heartbeat
            session.last_update = self.venue.monotonic()
        return True

    async def _heartbeats(self, session: WsSession) -> None:
        # Paced from the last channel update (not a fixed tick), so a client never sees more
        # than about one interval without a channel frame, however updates and pings interleave.
        interval = self.heartbeat_interval
        while not session.ws.closed:
            quiet = self.venue.monotonic() - session.last_update if session.subscribed else 0.0
            await asyncio.sleep(max(interval - quiet, interval * 0.1))
            now = self.venue.monotonic()
            if self.venue.fault_drop(now - session.started):
                await session.ws.close(code=1011, message=b"dropped")
                return
            if session.subscribed and now - session.last_update >= interval * 0.9:
                session.last_update = now  # counted at once: no second beat before it is sent
                session.send({"channel": "heartbeat"})

    async def _on_text(self, session: WsSession, text: str) -> None:
        time_in = self.venue.now()
        try:
            request = json.loads(text, parse_float=Decimal)
        except ValueError:
            session.send(error_reply("", "EGeneral:Invalid arguments", None, time_in, time_in))
            return
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            session.send(error_reply("", "EGeneral:Invalid arguments", None, time_in, time_in))
            return
        method = request["method"]
        req_id = request.get("req_id")
        raw_params = request.get("params")
        params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
        if method == "ping":
            reply: dict[str, Any] = {"method": "pong", "req_id": req_id}
            reply.update(time_in=rfc3339(time_in), time_out=rfc3339(self.venue.now()))
            if req_id is None:
                reply.pop("req_id")
            session.send(reply)
        elif method in ("subscribe", "unsubscribe") and params.get("channel") in (
            "executions",
            "balances",
        ):
            if self._require_private(session, method, req_id, time_in):
                self.private.subscription(session, method, params, req_id, time_in)
        elif method in ("subscribe", "unsubscribe"):
            self.public.handle(session, method, params, req_id, time_in)
        elif self._require_private(session, method, req_id, time_in):
            await self.private.trade(session, method, params, req_id, time_in)

    def _require_private(self, session: WsSession, method: str, req_id: Any, t: float) -> bool:
        if session.private:
            return True
        session.send(
            error_reply(
                method,
                "Private data and trading are unavailable on this endpoint. Try ws-auth.kraken.com",
                req_id,
                t,
                self.venue.now(),
            )
        )
        return False

    def _on_event(self, event: Event) -> None:
        try:
            self._route(event)
        except Exception:  # a formatting bug must not break the matching engine
            log.exception("ws: failed to publish %s", type(event).__name__)

    def _route(self, event: Event) -> None:
        if isinstance(event, BookEvent):
            self._book(event)
        elif isinstance(event, TickerEvent):
            self._broadcast("ticker", event.symbol, lambda s: event.symbol in s.tickers,
                            ticker_data(event))  # fmt: skip
        elif isinstance(event, PublicTradeEvent):
            self._broadcast("trade", event.symbol, lambda s: event.symbol in s.trades,
                            trade_data(event))  # fmt: skip
        elif isinstance(event, CandleEvent):
            self._candles(event)
        elif isinstance(event, OrderEvent | BalanceEvent):
            self._private_event(event)
        elif isinstance(event, StatusEvent):
            for session in self.sessions:
                session.send(self._status_frame(event.system))

    def _book(self, event: BookEvent) -> None:
        """Send a book change to the sessions subscribed to its symbol."""
        for session in self.sessions:
            if event.symbol in session.books:
                self.public.book_update(session, event)

    def _private_event(self, event: OrderEvent | BalanceEvent) -> None:
        """Send an order or balance change to the owning account's private sessions."""
        owner = event.order.account_id if isinstance(event, OrderEvent) else event.account_id
        for session in self.sessions:
            if session.private and session.account_id == owner:
                self.private.on_event(session, event)

    def _broadcast(self, channel: str, symbol: str, wants: Any, data: dict[str, Any]) -> None:
        frame = {"channel": channel, "type": "update", "data": [data]}
        for session in self.sessions:
            if wants(session):
                session.send(frame)

    def _candles(self, event: CandleEvent) -> None:
        market = self.venue.market(event.symbol)
        if market is None:
            return
        for session in self.sessions:
            for interval in session.ohlc.get(event.symbol, ()):
                minutes = market.window(event.timestamp, interval * 60)
                rows = aggregate_candles(event.symbol, interval, minutes)
                if rows:
                    frame = {"channel": "ohlc", "type": "update", "data": rows[-1:]}
                    frame["timestamp"] = rfc3339(event.timestamp)
                    session.send(frame)


@contextlib.contextmanager
def _corked(sock: Any) -> Iterator[None]:
    """Hold ``sock``'s output while the block writes, then send it together (no-op for None)."""
    if sock is None or _TCP_CORK is None:
        yield
        return
    try:
        sock.setsockopt(socket.IPPROTO_TCP, _TCP_CORK, 1)
    except OSError:  # not TCP (a test transport): nothing to coalesce
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, _TCP_CORK, 0)

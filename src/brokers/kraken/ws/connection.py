"""One self-healing Kraken WebSocket v2 connection: reconnect, resubscribe, idle timeout, ping.

Kraken sends a ``heartbeat`` about once a second on any connection with a subscription
(docs: websocket-v2/heartbeat), so a subscribed stream that stays silent for ``idle_timeout``
seconds is dead even if the TCP socket is open: the connection is dropped and rebuilt. Every
subscription the venue acknowledged is replayed after a reconnect, with a fresh token for
private channels. Requests are matched to replies by ``req_id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Protocol

import websockets
from websockets.asyncio.client import ClientConnection

from src.brokers.kraken.ws.backoff import Backoff
from src.brokers.kraken.ws.frames import ResponseFrame, encode_request
from src.brokers.kraken.ws.reader import ChannelHandler, FastHandler, FrameReader, MalformedHandler
from src.brokers.kraken.ws.requests import (
    ConnectionLostError,
    RequestTimeoutError,
    SubscriptionKey,
    subscription_key,
)
from src.core.clock import Clock, SystemClock
from src.core.errors import NetworkError

__all__ = [
    "ChannelHandler",
    "ConnectionLostError",
    "FastHandler",
    "MalformedHandler",
    "RequestTimeoutError",
    "SubscriptionKey",
    "WsConnection",
]

log = logging.getLogger(__name__)

TokenProvider = Callable[[], Awaitable[str]]
ReconnectHook = Callable[[], Awaitable[object]]
DisconnectListener = Callable[[], None]


class WsObserver(Protocol):
    """Watches every connection of the process (metrics); its methods must not raise."""

    def on_connect(self, connection: WsConnection) -> None:
        """Called after each (re)connect, once resubscribed."""

    def on_reply(self, connection: WsConnection, method: str, seconds: float) -> None:
        """Called with each request's round trip (send to reply)."""


class WsConnection(FrameReader):
    """A Kraken WS v2 connection that keeps itself alive while running.

    Args:
        url: ``wss://ws.kraken.com/v2`` or the paper exchange's URL.
        on_channel: called with every channel frame (book, ticker, executions, ...).
        on_malformed: called with the reason whenever a frame is skipped (not JSON, not a
            documented shape, or its handler raised), so a stream can tell it missed data.
        token_provider: for the private endpoint: returns a fresh token on every connect.
        idle_timeout: seconds without any channel frame (heartbeats included) on a subscribed
            connection before it is declared dead.
        ping_interval: seconds between application-level pings.
        request_timeout: default seconds to wait for a reply.
        backoff: reconnect delay policy.
        clock: time source for backoff sleeps and message ages.
        name: label used in logs.
        compression: ``"deflate"`` (permessage-deflate, websockets' default) or None. Deflate
            pays for big public frames; private frames are small and every one costs CPU to
            inflate here and to deflate at the venue (docs/websocket.md, *Performance*).
    """

    #: Process-wide: connections are built deep inside streams, out of a caller's reach.
    observers: ClassVar[list[WsObserver]] = []

    def __init__(
        self,
        url: str,
        *,
        on_channel: ChannelHandler,
        on_malformed: MalformedHandler | None = None,
        token_provider: TokenProvider | None = None,
        idle_timeout: float = 10.0,
        ping_interval: float = 5.0,
        request_timeout: float = 5.0,
        backoff: Backoff | None = None,
        clock: Clock | None = None,
        name: str = "kraken-ws",
        compression: str | None = "deflate",
    ) -> None:
        super().__init__(
            name=name,
            on_channel=on_channel,
            on_malformed=on_malformed,
            idle_timeout=idle_timeout,
            clock=clock or SystemClock(),
        )
        self.url = url
        self.compression = compression
        self._token_provider = token_provider
        self.ping_interval = ping_interval
        self.request_timeout = request_timeout
        self.backoff = backoff or Backoff()
        self.token: str | None = None
        self.connects = 0
        self._ids = itertools.count(1)
        self._hooks: list[ReconnectHook] = []
        self._disconnect_listeners: list[DisconnectListener] = []
        self._connect_waiters: list[asyncio.Future[None]] = []
        self._ws: ClientConnection | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def reconnects(self) -> int:
        """How many times the connection was re-established after the first connect."""
        return max(0, self.connects - 1)

    @property
    def connected(self) -> bool:
        """True while a socket is open and every subscription has been replayed."""
        return self._connected.is_set()

    @property
    def subscriptions(self) -> list[dict[str, Any]]:
        """Parameters of every acknowledged subscription (replayed on reconnect)."""
        return [dict(params) for params, _ in self._subscriptions.values()]

    def add_reconnect_hook(self, hook: ReconnectHook) -> None:
        """Run ``hook`` after every reconnect (not the first connect), once resubscribed."""
        self._hooks.append(hook)

    def add_disconnect_listener(self, listener: DisconnectListener) -> None:
        """Call ``listener()`` whenever the socket is lost or closed (data may be missed).

        Called after each session ends, also after a failed connect attempt, so it must be
        idempotent.
        """
        self._disconnect_listeners.append(listener)

    def is_subscribed(self, params: dict[str, Any]) -> bool:
        """True when this subscription is acknowledged and will be replayed on reconnect."""
        return subscription_key(params) in self._subscriptions

    async def start(self, timeout: float = 10.0) -> None:
        """Start the connection task and wait for the first connection.

        Raises:
            NetworkError: no connection within ``timeout`` (the task is stopped).
        """
        if self._task is None:
            self._closing = False
            self._task = asyncio.create_task(self._run(), name=f"{self.name}-run")
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            await self.close()
            raise NetworkError(f"{self.name}: could not connect to {self.url}") from None

    async def close(self) -> None:
        """Stop for good: close the socket and fail pending requests."""
        self._closing = True
        task, self._task = self._task, None
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._fail_pending("connection closed")
        self._disconnected()

    async def force_reconnect(self) -> None:
        """Drop the current socket; the run loop reconnects (used after a missed pong)."""
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()

    async def reconnect(self, timeout: float) -> bool:
        """Drop the socket and wait for the next connection (every subscription replayed).

        Returns:
            True once reconnected; False if not within ``timeout`` seconds (the run loop
            goes on trying in the background).
        """
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._connect_waiters.append(waiter)
        try:
            await self.force_reconnect()
            await asyncio.wait_for(waiter, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            if waiter in self._connect_waiters:
                self._connect_waiters.remove(waiter)

    async def request(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        auth: bool = False,
    ) -> ResponseFrame:
        """Send one request once connected and return the venue's reply.

        Raises:
            RequestTimeoutError: no reply in time (outcome unknown).
            ConnectionLostError: the socket dropped before the reply (outcome unknown).
        """
        wait = self.request_timeout if timeout is None else timeout
        if not self._connected.is_set():  # no timer at all on the usual, connected path
            try:
                await asyncio.wait_for(self._connected.wait(), wait)
            except TimeoutError:
                raise NetworkError(f"{self.name}: not connected", endpoint=method) from None
        if self._ws is None:
            raise ConnectionLostError(f"{self.name}: connection lost", endpoint=method)
        return await self._send(self._ws, method, params, wait, auth)

    async def subscribe(self, params: dict[str, Any], *, auth: bool = False) -> ResponseFrame:
        """Subscribe (one symbol per request); remembered for replay once acknowledged."""
        reply = await self.request("subscribe", params, auth=auth)
        if reply.success:
            self._subscriptions[subscription_key(params)] = (dict(params), auth)
        return reply

    async def unsubscribe(self, params: dict[str, Any], *, auth: bool = False) -> ResponseFrame:
        """Unsubscribe and stop replaying the subscription."""
        self._subscriptions.pop(subscription_key(params), None)
        return await self.request("unsubscribe", params, auth=auth)

    async def _send(
        self,
        ws: ClientConnection,
        method: str,
        params: dict[str, Any] | None,
        timeout: float,
        auth: bool,
    ) -> ResponseFrame:
        req_id = next(self._ids)
        if auth:
            params = {**(params or {}), "token": self.token}
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ResponseFrame] = loop.create_future()
        self._pending[req_id] = future
        timer: asyncio.TimerHandle | None = None
        try:
            sent_at = loop.time()
            await ws.send(encode_request(method, params, req_id))
            # One timer that fails the future, not asyncio.wait_for (a task per request).
            timer = loop.call_later(timeout, _expire, future)
            reply = await future
            for observer in WsConnection.observers:
                observer.on_reply(self, method, loop.time() - sent_at)
            return reply
        except TimeoutError:
            raise RequestTimeoutError(
                f"{self.name}: no reply to {method} (req_id {req_id}) within {timeout}s",
                endpoint=method,
            ) from None
        except websockets.ConnectionClosed as exc:
            raise ConnectionLostError(
                f"{self.name}: connection lost sending {method}", endpoint=method
            ) from exc
        finally:
            if timer is not None:
                timer.cancel()
            self._pending.pop(req_id, None)

    async def _run(self) -> None:
        while not self._closing:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure means: back off and reconnect
                log.warning("%s: connection failed: %s", self.name, exc)
            self._connected.clear()
            self._ws = None
            self._fail_pending("connection lost")
            self._disconnected()
            if self._closing:
                break
            delay = self.backoff.next_delay()
            log.info("%s: reconnecting in %.2fs", self.name, delay)
            await self.clock.sleep(delay)

    async def _session(self) -> None:
        async with websockets.connect(
            self.url, open_timeout=10, max_size=2**24, compression=self.compression
        ) as ws:
            self._ws = ws
            now = self.clock.monotonic()
            self._last_any_at = self._last_channel_at = now
            reader = asyncio.create_task(self._read(ws), name=f"{self.name}-read")
            try:
                if self._token_provider is not None:
                    self.token = await self._token_provider()
                await self._resubscribe(ws)
                self.connects += 1
                self.backoff.reset()
                self._connected.set()
                for observer in WsConnection.observers:
                    observer.on_connect(self)
                log.info("%s: connected (%d) to %s", self.name, self.connects, self.url)
                for waiter in self._connect_waiters:
                    if not waiter.done():
                        waiter.set_result(None)
                if self.connects > 1:
                    for hook in self._hooks:
                        asyncio.create_task(self._run_hook(hook))  # noqa: RUF006
                await self._ping_until_done(ws, reader)
            finally:
                self._connected.clear()
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await reader

    async def _resubscribe(self, ws: ClientConnection) -> None:
        for key, (params, auth) in list(self._subscriptions.items()):
            reply = await self._send(ws, "subscribe", params, self.request_timeout, auth)
            if reply.success:
                continue
            if auth and _token_refused(reply.error):
                # The token, not the subscription, was refused (expired before use, or a stale
                # shared one): staying connected would strand every later order on a dead
                # token. Keep the subscription, forget the token, reconnect with a fresh one.
                forget = getattr(self._token_provider, "invalidate", None)
                if forget is not None:
                    forget()
                raise ConnectionLostError(
                    f"{self.name}: token refused resubscribing {key} ({reply.error})"
                )
            log.error("%s: resubscribe %s refused: %s", self.name, key, reply.error)
            self._subscriptions.pop(key, None)

    async def _run_hook(self, hook: ReconnectHook) -> None:
        try:
            await hook()
        except Exception:
            log.exception("%s: reconnect hook failed", self.name)

    async def _ping_until_done(self, ws: ClientConnection, reader: asyncio.Task[None]) -> None:
        while not reader.done():
            done, _ = await asyncio.wait({reader}, timeout=self.ping_interval)
            if done:
                break
            try:
                await self._send(ws, "ping", None, self.ping_interval, False)
            except (RequestTimeoutError, ConnectionLostError) as exc:
                log.warning("%s: ping failed (%s); reconnecting", self.name, exc)
                await ws.close()
                break

    def _disconnected(self) -> None:
        self._notify(self._disconnect_listeners)

    def _fail_pending(self, why: str) -> None:
        for req_id, future in list(self._pending.items()):
            if not future.done():
                future.set_exception(ConnectionLostError(f"{self.name}: {why} (req_id {req_id})"))
        self._pending.clear()


def _expire(future: asyncio.Future[ResponseFrame]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


def _token_refused(error: str | None) -> bool:
    """True for Kraken's answers to a bad or expired WebSocket token."""
    text = (error or "").lower()
    return "session" in text or "token" in text

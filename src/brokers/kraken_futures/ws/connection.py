"""One self-healing Kraken Futures WebSocket v1 connection: challenge, subscriptions, reconnects.

On every connect the server's ``info`` is read; if private feeds are wanted a fresh challenge
is asked for and signed (``challenge`` -> ``signed_challenge``), and every subscription is
sent again. A connection silent for ``idle_timeout`` (the ``heartbeat`` feed keeps a live
one talking) is dropped and rebuilt. Kraken asks for a ping at least every 60 s; the
websockets library pings every ``ping_interval``.
https://docs.kraken.com/api/docs/guides/futures-websockets
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect

from src.brokers.kraken_futures.rest.signing import SigningKey
from src.brokers.kraken_futures.ws.backoff import Backoff
from src.brokers.kraken_futures.ws.frames import (
    MalformedFrameError,
    decode,
    encode,
    subscribe_message,
)
from src.core.clock import Clock, SystemClock
from src.core.errors import AuthenticationError, MissingCredentialError

__all__ = ["PRIVATE_FEEDS", "FuturesWsConnection"]

log = logging.getLogger(__name__)
PRIVATE_FEEDS = frozenset(
    {"open_orders", "open_orders_verbose", "open_positions", "fills", "balances", "account_log",
     "notifications_auth"}
)  # fmt: skip
Handler = Callable[[dict[str, Any]], None]
Hook = Callable[[], Awaitable[object]]
SubscriptionKey = tuple[str, str | None]
#: What ends a session and is retried: network faults, silence, garbage, protocol errors.
_LOST = (OSError, TimeoutError, MalformedFrameError, websockets.exceptions.WebSocketException)


class FuturesWsConnection:
    """A WS v1 connection that keeps itself alive while running.

    Args:
        url: ``wss://futures.kraken.com/ws/v1``, the demo host's or the paper venue's.
        on_message: called with every feed message (events are handled here).
        api_key: public key (private feeds).
        signer: the decoded secret that signs challenges (private feeds).
        idle_timeout: seconds without any frame before the connection is declared dead.
        ping_interval: seconds between protocol pings.
        backoff: reconnect delays.
        clock: sleeps between reconnects.
        name: label for logs.
    """

    def __init__(
        self,
        url: str,
        on_message: Handler,
        *,
        api_key: str | None = None,
        signer: SigningKey | None = None,
        idle_timeout: float = 30.0,
        ping_interval: float = 20.0,
        backoff: Backoff | None = None,
        clock: Clock | None = None,
        name: str = "kraken-futures-ws",
    ) -> None:
        self.url = url
        self.name = name
        self._on_message = on_message
        self._api_key = api_key
        self._signer = signer
        self.idle_timeout = idle_timeout
        self.ping_interval = ping_interval
        self.backoff = backoff or Backoff()
        self.clock: Clock = clock or SystemClock()
        self.connects = 0
        self.errors: list[str] = []
        self._subscriptions: dict[SubscriptionKey, dict[str, Any]] = {}
        self._on_connect: list[Hook] = []
        self._on_disconnect: list[Callable[[], None]] = []
        self._ws: ClientConnection | None = None
        self._auth: dict[str, str] | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def connected(self) -> bool:
        """True while a socket is open and the subscriptions were sent."""
        return self._connected.is_set()

    def on_connect(self, hook: Hook) -> None:
        """Run ``hook`` after every (re)connect, once subscriptions are sent."""
        self._on_connect.append(hook)

    def on_disconnect(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever the connection is lost."""
        self._on_disconnect.append(listener)

    def start(self) -> None:
        """Start the background connection loop (idempotent)."""
        if self._task is None or self._task.done():
            self._closing = False
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def wait_connected(self, timeout: float = 10.0) -> None:
        """Wait until connected (raises TimeoutError)."""
        async with asyncio.timeout(timeout):
            await self._connected.wait()

    async def close(self) -> None:
        """Stop reconnecting and close the socket."""
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def drop(self) -> None:
        """Close the socket now (it reconnects): a fault for tests."""
        if self._ws is not None:
            await self._ws.close()

    async def subscribe(self, feed: str, products: list[str] | None = None) -> None:
        """Subscribe (now if connected, and again after every reconnect)."""
        if feed in PRIVATE_FEEDS and (self._api_key is None or self._signer is None):
            raise MissingCredentialError(
                f"the {feed} feed is private: set KRAKEN_FUTURES_API_KEY and _API_SECRET"
            )
        for key in [(feed, p) for p in products] if products else [(feed, None)]:
            self._subscriptions[key] = {"feed": feed, "product": key[1]}
            if self.connected:
                await self._send_subscription(feed, key[1], subscribe=True)

    async def resubscribe(self, feed: str, product: str) -> None:
        """Unsubscribe and subscribe again (a fresh snapshot after a sequence gap)."""
        if self.connected:
            await self._send_subscription(feed, product, subscribe=False)
            await self._send_subscription(feed, product, subscribe=True)

    async def _send_subscription(self, feed: str, product: str | None, *, subscribe: bool) -> None:
        auth = self._auth if feed in PRIVATE_FEEDS else None
        message = subscribe_message(
            feed, [product] if product else None, subscribe=subscribe, auth=auth
        )
        if self._ws is not None:
            await self._ws.send(encode(message))

    async def _run(self) -> None:
        while not self._closing:
            try:
                await self._session()
            except _LOST as exc:
                log.info("%s: connection lost (%s)", self.name, type(exc).__name__)
            except AuthenticationError as exc:
                self.errors.append(str(exc))
                log.error("%s: %s", self.name, exc)
            finally:
                was = self.connected
                self._connected.clear()
                self._ws = None
                if was:
                    for listener in list(self._on_disconnect):
                        listener()
            if not self._closing:
                await self.clock.sleep(self.backoff.next_delay())

    async def _session(self) -> None:
        async with connect(
            self.url, ping_interval=self.ping_interval, ping_timeout=self.ping_interval,
            close_timeout=1, max_size=2**22,
        ) as ws:  # fmt: skip
            self._ws = ws
            self._auth = None
            if (
                self._api_key
                and self._signer
                and any(feed in PRIVATE_FEEDS for feed, _ in self._subscriptions)
            ):
                self._auth = await self._challenge(ws)
            await ws.send(encode(subscribe_message("heartbeat")))
            for feed, product in list(self._subscriptions):
                await self._send_subscription(feed, product, subscribe=True)
            private = {f for f, _ in self._subscriptions if f in PRIVATE_FEEDS}
            if private:
                await self._await_acks(ws, private)
            self.connects += 1
            self._connected.set()
            for hook in list(self._on_connect):
                await hook()
            while True:
                async with asyncio.timeout(self.idle_timeout):
                    text = await ws.recv()
                self._dispatch(text)
                if self.connects and self.backoff.attempt:
                    self.backoff.reset()

    async def _challenge(self, ws: ClientConnection) -> dict[str, str]:
        assert self._api_key is not None and self._signer is not None
        await ws.send(encode({"event": "challenge", "api_key": self._api_key}))
        async with asyncio.timeout(self.idle_timeout):
            while True:
                frame = decode(await ws.recv())
                event = frame.get("event")
                if event == "challenge" and isinstance(frame.get("message"), str):
                    challenge = str(frame["message"])
                    return {
                        "api_key": self._api_key,
                        "original_challenge": challenge,
                        "signed_challenge": self._signer.sign_challenge(challenge),
                    }
                if event == "error":
                    raise AuthenticationError(
                        f"Kraken Futures refused the WebSocket challenge: {frame.get('message')}"
                    )

    async def _await_acks(self, ws: ClientConnection, feeds: set[str]) -> None:
        # A signed challenge the venue rejects shows only as an error event, on a socket that
        # stays open: wait for every private ack so a bad key is a failed connect, not a
        # silent stream without fills.
        waiting = set(feeds)
        async with asyncio.timeout(self.idle_timeout):
            while waiting:
                text = await ws.recv()
                frame = decode(text)
                event = frame.get("event")
                if event == "subscribed":
                    waiting.discard(str(frame.get("feed")))
                elif event in ("error", "subscribed_failed"):
                    raise AuthenticationError(
                        f"Kraken Futures refused a private subscription: {frame.get('message')}"
                    )
                else:
                    self._dispatch(text)

    def _dispatch(self, text: str | bytes) -> None:
        try:
            frame = decode(text)
        except MalformedFrameError as exc:
            log.warning("%s: skipped a frame: %s", self.name, exc)
            return
        if "event" in frame:
            if frame["event"] == "error":
                log.warning("%s: venue error %s", self.name, frame.get("message"))
            return
        if frame.get("feed") == "heartbeat":
            return
        try:
            self._on_message(frame)
        except Exception:  # a handler bug must not kill the connection; it is logged
            log.exception("%s: handler failed on a %s frame", self.name, frame.get("feed"))

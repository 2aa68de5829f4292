"""The receiving half of a Kraken WS v2 connection: one recv loop, an idle watchdog, routing.

Kept apart from ``WsConnection`` (connect, subscribe, requests), which inherits it. The loop is
a plain ``await ws.recv()``: wrapping each recv in ``asyncio.wait_for`` cost a task and a timer
per frame (about 28 us of CPU on Python 3.11); one watchdog task catches a silent stream
instead. A hot channel may take a fast route on the raw text (``set_fast_route``) before the
generic decode-and-route.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from src.brokers.kraken.ws.frames import (
    ChannelFrame,
    MalformedFrameError,
    ResponseFrame,
    decode_frame,
)
from src.brokers.kraken.ws.requests import SubscriptionKey
from src.core.clock import Clock

__all__ = ["ChannelHandler", "FastHandler", "FrameReader", "MalformedHandler"]

log = logging.getLogger("src.brokers.kraken.ws.connection")  # the connection's log, as before

ChannelHandler = Callable[[ChannelFrame], None]
MalformedHandler = Callable[[str], None]
#: Takes a frame's raw text; True when it handled the frame as channel data, False to leave it,
#: unchanged, to the generic decode-and-route path.
FastHandler = Callable[[str], bool]


class FrameReader:
    """Reads and routes the frames of one socket at a time (see ``WsConnection``)."""

    def __init__(
        self,
        *,
        name: str,
        on_channel: ChannelHandler,
        on_malformed: MalformedHandler | None,
        idle_timeout: float,
        clock: Clock,
    ) -> None:
        self.name = name
        self._on_channel = on_channel
        self._on_malformed = on_malformed
        self.idle_timeout = idle_timeout
        self.clock = clock
        self.system_status: str | None = None
        self.malformed_frames = 0
        self.idle_timeouts = 0
        self._pending: dict[int, asyncio.Future[ResponseFrame]] = {}
        self._subscriptions: dict[SubscriptionKey, tuple[dict[str, Any], bool]] = {}
        self._last_channel_at = 0.0
        self._last_any_at = 0.0
        self._recv_channel = self._recv_any = 0.0  # loop.time() of the newest frames
        self._fast_route: tuple[str, FastHandler, str] | None = None
        self._replied = False  # the last frame resolved a request's future

    def set_fast_route(self, prefix: str, channel: str, handler: FastHandler) -> None:
        """Give frames whose text starts with ``prefix`` to ``handler`` before decoding.

        For a hot channel (``book``): the handler decodes the text once its own way and returns
        False for anything it does not fully handle, which then takes the generic path as if the
        route did not exist. A handler's exception counts as a malformed ``channel`` frame.
        """
        self._fast_route = (prefix, handler, channel)

    def message_age(self) -> float:
        """Seconds since the last channel frame (heartbeats included)."""
        return self.clock.monotonic() - self._last_channel_at

    async def _read(self, ws: ClientConnection) -> None:
        # A plain recv loop: wrapping every recv in asyncio.wait_for cost a task and a timer per
        # frame (about 28 us of CPU on 3.11); silence is caught by one watchdog task instead.
        loop = asyncio.get_running_loop()
        self._recv_any = self._recv_channel = loop.time()
        watchdog = asyncio.create_task(self._watch_idle(ws), name=f"{self.name}-idle")
        dispatch, monotonic, now = self._dispatch, self.clock.monotonic, loop.time
        try:
            while True:
                text = await ws.recv()
                self._recv_any = now()
                self._last_any_at = monotonic()
                if dispatch(text):
                    self._recv_channel = self._recv_any
                    self._last_channel_at = self._last_any_at
                elif self._replied:
                    # recv() does not yield while frames are buffered: let the request's waiter
                    # run before the frames behind its reply, the order wait_for gave (an ack is
                    # handled before the executions or snapshot that follow it).
                    self._replied = False
                    await asyncio.sleep(0)
        except websockets.ConnectionClosed:
            return
        finally:
            watchdog.cancel()

    async def _watch_idle(self, ws: ClientConnection) -> None:
        """Close ``ws`` once nothing arrived for ``idle_timeout`` s (channel frames if subscribed).

        It sleeps until the deadline the newest frame sets and looks again, so it wakes about
        once per ``idle_timeout`` while frames flow, and closes at the same moment the old
        per-recv timeout did.
        """
        loop = asyncio.get_running_loop()
        while True:
            silent_since = self._recv_channel if self._subscriptions else self._recv_any
            remaining = silent_since + self.idle_timeout - loop.time()
            if remaining <= 0:
                break
            await asyncio.sleep(remaining)
        self.idle_timeouts += 1
        log.warning("%s: no message for %.1fs; reconnecting", self.name, self.idle_timeout)
        await ws.close()

    def _dispatch(self, text: str | bytes) -> bool:
        """Handle one frame; True when it was channel data (a liveness signal)."""
        route = self._fast_route
        if route is not None and type(text) is str and text.startswith(route[0]):
            try:
                if route[1](text):
                    return True
            except Exception as exc:  # what the generic path does with a handler's error
                self.malformed_frames += 1
                log.exception("%s: skipped unhandled %s frame", self.name, route[2])
                self._malformed(f"{route[2]} frame its handler could not read ({exc!r})")
                return True
        try:
            frame = decode_frame(text)
        except MalformedFrameError as exc:
            self.malformed_frames += 1
            log.warning("%s: skipped malformed frame (%s): %.200r", self.name, exc, text)
            self._malformed(f"malformed frame ({exc})")
            return False
        if isinstance(frame, ResponseFrame):
            future = self._pending.get(frame.req_id) if frame.req_id is not None else None
            if future is not None and not future.done():
                future.set_result(frame)
                self._replied = True
            return False
        if frame.channel == "status" and isinstance(frame.data, list) and frame.data:
            first = frame.data[0]
            if isinstance(first, dict) and isinstance(first.get("system"), str):
                self.system_status = first["system"]
        try:
            self._on_channel(frame)
        except Exception as exc:
            self.malformed_frames += 1
            log.exception("%s: skipped unhandled %s frame", self.name, frame.channel)
            self._malformed(f"{frame.channel} frame its handler could not read ({exc!r})")
        return True

    def _malformed(self, reason: str) -> None:
        self._notify([self._on_malformed] if self._on_malformed else [], reason)

    def _notify(self, listeners: list[Callable[..., None]], *args: Any) -> None:
        for listener in listeners:
            try:
                listener(*args)
            except Exception:  # a listener's bug must stop neither the reader nor the run loop
                log.exception("%s: listener %r failed", self.name, listener)

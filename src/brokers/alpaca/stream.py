"""The ``trade_updates`` WebSocket client: authenticate, listen, reconnect with backoff.

Protocol (https://docs.alpaca.markets/docs/websocket-streaming): send
``{"action": "authenticate", "data": {"key_id": ..., "secret_key": ...}}`` (the message of
Alpaca's trade-stream reference and the one its official client, alpaca-py's ``TradingStream``,
sends; Alpaca also takes ``{"action": "auth", "key": ..., "secret": ...}``, its market-data
streams' form), expect
``{"stream": "authorization", "data": {"action": "authenticate", "status": "authorized"}}``; send
``{"action": "listen", "data": {"streams": ["trade_updates"]}}``, expect
``{"stream": "listening", ...}``; then ``{"stream": "trade_updates", "data": {...}}`` messages.
The paper endpoint sends binary frames, the live one text frames; both are accepted.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import SecretStr
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from src.core.clock import Clock, SystemClock
from src.core.errors import AuthenticationError, MalformedResponseError

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class StreamEvent:
    """Either a (re)connection (``kind == "connected"``) or one trade update's ``data``."""

    kind: str
    reconnected: bool = False
    data: dict[str, Any] = field(default_factory=dict)


def _decode(frame: str | bytes) -> dict[str, Any]:
    try:
        message = json.loads(frame)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise MalformedResponseError(
            "trade_updates frame is not JSON", raw=str(frame)[:200]
        ) from None
    if not isinstance(message, dict):
        raise MalformedResponseError("trade_updates frame is not an object", raw=str(frame)[:200])
    return message


def auth_message(key: SecretStr, secret: SecretStr) -> str:
    """The ``authenticate`` frame (the only place the secret leaves its ``SecretStr``)."""
    data = {"key_id": key.get_secret_value(), "secret_key": secret.get_secret_value()}
    return json.dumps({"action": "authenticate", "data": data})


class TradeUpdatesStream:
    """Yields ``StreamEvent``s forever, reconnecting with capped exponential backoff.

    Args:
        url: ``wss://paper-api.alpaca.markets/stream`` or a local simulator's ``ws://.../stream``.
        api_key: key id.
        api_secret: secret key.
        clock: sleeps between reconnect attempts (inject ``ManualClock`` in tests).
        initial_backoff: first reconnect delay in seconds; doubles per failure.
        max_backoff: the longest delay.
        handshake_timeout: seconds allowed for connect, auth and listen.
    """

    def __init__(
        self,
        url: str,
        api_key: SecretStr,
        api_secret: SecretStr,
        *,
        clock: Clock | None = None,
        initial_backoff: float = 0.5,
        max_backoff: float = 30.0,
        handshake_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self._key = api_key
        self._secret = api_secret
        self._clock = clock or SystemClock()
        self._initial = initial_backoff
        self._max = max_backoff
        self._timeout = handshake_timeout
        self.connections = 0

    def __repr__(self) -> str:
        return f"TradeUpdatesStream(url={self.url!r})"

    async def _expect(self, ws: ClientConnection, stream: str) -> dict[str, Any]:
        while True:
            message = _decode(await asyncio.wait_for(ws.recv(), self._timeout))
            if message.get("stream") == stream:
                data = message.get("data")
                return data if isinstance(data, dict) else {}

    async def _handshake(self, ws: ClientConnection) -> None:
        await ws.send(auth_message(self._key, self._secret))
        reply = await self._expect(ws, "authorization")
        if reply.get("status") != "authorized":
            raise AuthenticationError(
                "Alpaca refused the trade_updates stream credentials", endpoint=self.url
            )
        await ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
        listening = await self._expect(ws, "listening")
        if "trade_updates" not in listening.get("streams", []):
            raise MalformedResponseError("Alpaca did not confirm listening to trade_updates")

    async def events(self) -> AsyncIterator[StreamEvent]:
        """Connect and yield events until the consumer stops; never gives up on network errors."""
        failures = 0
        while True:
            try:
                async with connect(self.url, open_timeout=self._timeout, max_size=2**22) as ws:
                    await self._handshake(ws)
                    failures = 0
                    self.connections += 1
                    yield StreamEvent("connected", reconnected=self.connections > 1)
                    async for frame in ws:
                        try:
                            message = _decode(frame)
                        except MalformedResponseError as exc:
                            log.warning("alpaca.stream.malformed_frame", error=str(exc))
                            continue
                        data = message.get("data")
                        if message.get("stream") == "trade_updates" and isinstance(data, dict):
                            yield StreamEvent("trade_update", data=data)
                log.info("alpaca.stream.closed_by_server")
            except AuthenticationError:
                raise
            except (OSError, TimeoutError, WebSocketException, MalformedResponseError) as exc:
                log.warning("alpaca.stream.disconnected", error=type(exc).__name__)
            delay = min(self._max, self._initial * 2 ** min(failures, 16))
            failures += 1
            await self._clock.sleep(delay)

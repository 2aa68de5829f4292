"""One WebSocket client of the paper exchange: its subscriptions and its outgoing queue."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from src.venues.kraken_paper.ws_book import SubscriberBook

__all__ = ["WsSession"]


@dataclass(eq=False)
class WsSession:
    """Subscriptions and send queue of one connection.

    ``private`` marks the authenticated endpoint; ``account_id`` is set by the first valid
    token and never changes for the life of the connection.
    """

    ws: web.WebSocketResponse
    private: bool
    sock: Any = None  # the TCP socket under ``ws`` (frames queued together are corked)
    queue: asyncio.Queue[dict[str, Any] | None] = field(default_factory=asyncio.Queue)
    books: dict[str, SubscriberBook] = field(default_factory=dict)
    tickers: dict[str, str] = field(default_factory=dict)  # symbol -> event_trigger
    trades: set[str] = field(default_factory=set)
    ohlc: dict[str, set[int]] = field(default_factory=dict)
    instrument: bool = False
    executions: dict[str, Any] | None = None
    balances: bool = False
    account_id: str | None = None
    #: Tokens accepted on this connection: Kraken keeps them valid past their 15 minutes for
    #: as long as the authenticated connection lasts.
    tokens: set[str] = field(default_factory=set)
    sequence: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    last_update: float = 0.0  # last channel frame sent (replies excluded): paces heartbeats
    started: float = 0.0

    def send(self, message: dict[str, Any]) -> None:
        """Queue one frame for the writer task."""
        if not self.ws.closed:
            self.queue.put_nowait(message)

    def next_sequence(self, channel: str) -> int:
        """The next ``sequence`` number of a private channel on this connection."""
        self.sequence[channel] = self.sequence.get(channel, 0) + 1
        return self.sequence[channel]

    @property
    def subscribed(self) -> bool:
        """True when any channel is subscribed (heartbeats are sent only then)."""
        return bool(
            self.books
            or self.tickers
            or self.trades
            or self.ohlc
            or self.instrument
            or self.executions is not None
            or self.balances
        )

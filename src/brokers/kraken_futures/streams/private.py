"""The adapter's private WebSocket: one connection for fills, orders, positions and balances."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from src.brokers.kraken_futures.orders.memory import OrderMemory
from src.brokers.kraken_futures.rest.signing import SigningKey
from src.brokers.kraken_futures.streams.fills import FillSource, FillStream
from src.brokers.kraken_futures.ws.connection import FuturesWsConnection
from src.brokers.kraken_futures.ws.parse import ws_balances, ws_order_update, ws_positions
from src.core.derivatives import DerivativePosition, MarginSummary
from src.core.errors import MissingCredentialError
from src.core.execution import Fill, OrderStatus, OrderUpdate
from src.utils.logging import get_logger

__all__ = ["PrivateFeeds"]

log = get_logger(__name__)


class PrivateFeeds:
    """``fills``, ``open_orders`` and ``open_positions`` on one self-healing connection.

    Args:
        url: the WebSocket v1 URL.
        api_key: public key.
        signer: decoded secret (signs the challenge).
        source: REST fills for reconciles (the adapter).
        memory: the adapter's order memory, kept current from ``open_orders``.
        connection_options: keyword options for ``FuturesWsConnection`` (``idle_timeout``...).
    """

    def __init__(
        self,
        url: str,
        api_key: str | None,
        signer: SigningKey | None,
        source: FillSource,
        memory: OrderMemory,
        **connection_options: Any,
    ) -> None:
        if api_key is None or signer is None:
            raise MissingCredentialError(
                "private feeds need KRAKEN_FUTURES_API_KEY and KRAKEN_FUTURES_API_SECRET"
            )
        self.fills = FillStream(source)
        self.memory = memory
        self.positions: list[DerivativePosition] | None = None
        """Kraken's own figures from the last ``open_positions`` message."""
        self.margins: dict[str, MarginSummary] | None = None
        """Each account's figures from the last ``balances`` message."""
        self._order_queues: list[asyncio.Queue[OrderUpdate]] = []
        self.connection = FuturesWsConnection(
            url, self._on_frame, api_key=api_key, signer=signer, clock=source.clock,
            name="kraken-futures-private", **connection_options,
        )  # fmt: skip
        self.connection.on_connect(self.fills.on_connected)
        self.connection.on_disconnect(self.fills.on_disconnected)
        self._started = False

    async def start(self) -> None:
        """Subscribe the private feeds and connect (idempotent)."""
        if self._started:
            return
        self._started = True
        for feed in ("fills", "open_orders", "open_positions", "balances"):
            await self.connection.subscribe(feed)
        self.connection.start()

    async def close(self) -> None:
        """Close the connection and end the streams."""
        await self.fills.close()
        await self.connection.close()

    def _on_frame(self, frame: dict[str, Any]) -> None:
        feed = frame.get("feed")
        if feed in ("fills", "fills_snapshot"):
            self.fills.on_frame(frame)
        elif feed == "open_orders":
            update = ws_order_update(frame)
            if isinstance(update, OrderUpdate):
                self._order(update)
            elif isinstance(update, str):
                self._closed(update, str(frame.get("reason", "")))
        elif feed == "open_orders_snapshot":
            for order in frame.get("orders") or []:
                found = ws_order_update({"order": order, "is_cancel": False})
                if isinstance(found, OrderUpdate):
                    self._order(found)
        elif feed == "open_positions":
            self.positions = ws_positions(frame)
        elif feed in ("balances", "balances_snapshot"):
            self.margins = {**(self.margins or {}), **ws_balances(frame)}

    def _order(self, update: OrderUpdate) -> None:
        self.memory.remember(update)
        for queue in self._order_queues:
            queue.put_nowait(update)

    def _closed(self, order_id: str, reason: str) -> None:
        known = self.memory.by_order_id(order_id)
        if known is None:
            return
        # ``is_cancel`` without an order body: filled if the reason says so, else cancelled
        # (nautilus_trader's reading of full_fill; the fill itself comes on the fills feed).
        filled = reason == "full_fill"
        status = OrderStatus.FILLED if filled else OrderStatus.CANCELED
        done = known.model_copy(
            update={
                "status": status,
                "filled_quantity": known.quantity if filled else known.filled_quantity,
            }
        )
        self._order(done)

    async def stream_fills(self) -> AsyncIterator[Fill]:
        """Own fills exactly once (see ``FillStream``)."""
        stream = self.fills.subscribe()
        await self.start()
        async for fill in stream:
            yield fill

    async def stream_order_updates(self) -> AsyncIterator[OrderUpdate]:
        """Order state changes from the ``open_orders`` feed."""
        queue: asyncio.Queue[OrderUpdate] = asyncio.Queue()
        self._order_queues.append(queue)
        await self.start()
        try:
            while True:
                yield await queue.get()
        finally:
            self._order_queues.remove(queue)

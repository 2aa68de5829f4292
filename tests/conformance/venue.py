"""What each broker fixture provides: the engine under test and a small venue-control object.

A new broker joins the suite by writing its adapter and one fixture that yields a ``Venue``
whose ``control`` implements ``VenueControl`` (see docs/conformance.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, TypeVar, runtime_checkable

from src.core.execution import ExecutionEngine, Fill, Order
from tests.support.waiting import eventually

T = TypeVar("T")


@runtime_checkable
class VenueControl(Protocol):
    """Levers the suite pulls on the venue side; every fixture must provide all of them."""

    symbol: str  # the instrument the suite trades ("AAPL", "BTC/USD")
    base_asset: str  # balance key that grows on a buy ("AAPL", "BTC")
    quote_asset: str  # balance key that pays for it ("USD")
    reports_positions: bool  # False for spot venues whose get_positions() lists margin only
    fill_timeout: float  # seconds a fill may take to show up on stream_fills()

    def resting_buy(self, quantity: Decimal | None = None) -> Order:
        """A limit buy far enough below the market that it rests on the book."""
        ...

    def marketable_buy(self) -> Order:
        """A small buy that fills at once."""
        ...

    def oversized_buy(self) -> Order:
        """A buy that is valid locally but that the venue refuses (not enough funds)."""
        ...

    async def fill_partially(self, order_id: str, quantity: Decimal) -> None:
        """Make ``quantity`` of a resting order execute."""
        ...

    async def lose_next_submit_reply(self) -> None:
        """The next order submission takes effect but its reply never arrives."""
        ...

    async def malform_next_account_reply(self) -> None:
        """The next account-balance reply is not the documented shape."""
        ...

    async def drop_stream(self) -> None:
        """Cut the connection that feeds ``stream_fills()``."""
        ...


REQUIRED_CONTROLS: tuple[str, ...] = (
    "symbol",
    "base_asset",
    "quote_asset",
    "reports_positions",
    "fill_timeout",
    "resting_buy",
    "marketable_buy",
    "oversized_buy",
    "fill_partially",
    "lose_next_submit_reply",
    "malform_next_account_reply",
    "drop_stream",
)


@dataclass
class Venue:
    """One broker under test: its engine and the controls of the venue behind it."""

    name: str
    engine: ExecutionEngine
    control: VenueControl


@dataclass
class FillCollector:
    """Consumes ``stream_fills()`` in the background and keeps every fill it yields."""

    engine: ExecutionEngine
    fills: list[Fill] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        stream: AsyncIterator[Fill] = self.engine.stream_fills()
        async for fill in stream:
            self.fills.append(fill)

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    def for_order(self, order_id: str) -> list[Fill]:
        return [f for f in self.fills if f.order_id == order_id]

    async def wait_quantity(self, order_id: str, quantity: Decimal, timeout: float) -> list[Fill]:
        """Wait until the streamed fills of ``order_id`` add up to ``quantity``."""

        async def probe() -> list[Fill]:
            if self._task is not None and self._task.done():
                self._task.result()  # surface the stream's exception
            return self.for_order(order_id)

        return await eventually(
            probe,
            f"streamed fills of {order_id} to reach {quantity}",
            ok=lambda fills: sum((f.quantity for f in fills), Decimal(0)) >= quantity,
            timeout=timeout,
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

"""What the REST and WebSocket handlers need of the exchange: a Protocol, not the exchange."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from src.venues.kraken_futures_paper.auth import KeyRing
from src.venues.kraken_futures_paper.engine import Engine
from src.venues.kraken_futures_paper.faults import FuturesFaults
from src.venues.kraken_futures_paper.lifecycle import Lifecycle
from src.venues.kraken_futures_paper.ratelimit import VenueLimits

__all__ = ["Levels", "Venue"]

Levels = list[tuple[Decimal, Decimal]]


class Venue(Protocol):
    """The exchange as its handlers see it."""

    engine: Engine
    lifecycle: Lifecycle
    keys: KeyRing
    limits: VenueLimits
    faults: FuturesFaults
    status_window: float

    def now(self) -> datetime:
        """Venue wall time."""
        ...

    def book_levels(self, symbol: str) -> tuple[Levels, Levels]:
        """Aggregated bids and asks."""
        ...

    def chart_points(self, tick_type: str, symbol: str) -> list[tuple[datetime, Decimal, Decimal]]:
        """One chart series' points."""
        ...

    def after_orders(self) -> None:
        """Run what an order call may trigger."""
        ...

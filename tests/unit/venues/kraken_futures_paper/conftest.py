"""A futures paper venue built in-process (no server, no sockets) on a manual clock."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from src.core.clock import ManualClock
from src.venues.kraken_futures_paper import FuturesPaperExchange

START = datetime(2024, 1, 1, 0, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(wall_start=START)


@pytest.fixture
def venue(clock: ManualClock) -> FuturesPaperExchange:
    return FuturesPaperExchange(
        seed=1, clock=clock, auto_tick=False, basis_volatility=0,
        flex={"USD": Decimal(10000)}, wallets={"XBT": Decimal("0.5")},
    )  # fmt: skip

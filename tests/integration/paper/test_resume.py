"""A restarted exchange resumes its market and its clock; it does not start them over."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from src.core.clock import ManualClock, ScaledClock, SystemClock
from src.venues.kraken_paper import PaperExchange
from src.venues.kraken_paper.exchange import CLOCK_LEASE_S
from src.venues.kraken_paper.store import Store

pytestmark = pytest.mark.integration
DAY_PER_STEP = 86400 / 0.25  # ``speed`` at which one default step is a market day


def _saved_clock(db: Path) -> dict[str, Any]:
    """The clock entry committed in ``db``, read over a second connection."""
    store = Store(db)
    try:
        saved: dict[str, Any] = store.meta("clock")
        return saved
    finally:
        store.close()


@pytest.mark.parametrize("market", ["synthetic", "replay"])
async def test_market_resumes_where_it_stopped(tmp_path: Path, market: str) -> None:
    db = tmp_path / "paper.db"
    async with PaperExchange(market=market, auto_tick=False, speed=DAY_PER_STEP) as fresh:
        first = {k: m.last for k, m in fresh.markets.items()}
    async with PaperExchange(
        market=market, db_path=db, auto_tick=False, speed=DAY_PER_STEP
    ) as ex:  # fmt: skip
        for _ in range(20):
            await ex.step()
        before = {k: m.last for k, m in ex.markets.items()}
        trade_ids = {k: m.next_trade_id for k, m in ex.markets.items()}
    # The market moved well away from where a fresh one starts (seeded: the same every run).
    assert all(abs(before[k] - first[k]) / first[k] > Decimal("0.01") for k in first)
    async with PaperExchange(market=market, db_path=db, auto_tick=False, speed=60) as again:
        for key, market_ in again.markets.items():
            assert abs(market_.last - before[key]) <= market_.spec.tick_size, key
            assert market_.candles[-1].close == market_.last  # the history ends there too
            assert market_.next_trade_id > trade_ids[key]  # public trade ids never repeat
            assert market_.tape[-1].trade_id >= trade_ids[key]
        await again.step()  # 15 market seconds on: a small move, not a jump
        for key, market_ in again.markets.items():
            assert abs(market_.last - before[key]) / before[key] < Decimal("0.01"), key


async def test_a_changed_market_mode_starts_afresh(tmp_path: Path) -> None:
    db = tmp_path / "paper.db"
    async with PaperExchange(market="synthetic", db_path=db, auto_tick=False) as ex:
        await ex.step(30 * 86400.0)
    async with PaperExchange(market="replay", auto_tick=False) as fresh:
        eth = fresh.markets["XETHZUSD"].last
    async with PaperExchange(market="replay", db_path=db, auto_tick=False) as again:
        assert again.markets["XETHZUSD"].last == eth


async def test_scaled_clock_resumes_from_the_saved_time(tmp_path: Path) -> None:
    db = tmp_path / "paper.db"
    async with PaperExchange(
        market="synthetic", db_path=db, auto_tick=False, clock_speed=10_000
    ) as ex:  # fmt: skip
        start = ex.now()
        await asyncio.sleep(0.05)
        shown = ex.now()
        assert shown - start >= 400  # 10,000x real time
        # What a kill -9 leaves on disk is never before a time already shown.
        committed = _saved_clock(db)
        assert shown <= committed["resume_at"] <= shown + CLOCK_LEASE_S * 10_000
        assert committed["real"] is False
    async with PaperExchange(
        market="synthetic", db_path=db, auto_tick=False, clock_speed=10_000
    ) as again:  # fmt: skip
        assert isinstance(again.clock, ScaledClock)
        assert again.now() >= shown
    # Back at real speed, the calendar (now months ahead) is not thrown back to today.
    async with PaperExchange(market="synthetic", db_path=db, auto_tick=False) as real:
        assert isinstance(real.clock, ScaledClock) and real.clock.factor == 1
        assert real.now() >= shown


async def test_real_clock_stays_real(tmp_path: Path) -> None:
    db = tmp_path / "paper.db"
    for _ in range(2):
        async with PaperExchange(market="synthetic", db_path=db, auto_tick=False) as ex:
            assert isinstance(ex.clock, SystemClock)
            ex.now()
    assert _saved_clock(db)["real"] is True


def test_clock_and_clock_speed_are_exclusive() -> None:
    with pytest.raises(ValueError, match="clock_speed"):
        PaperExchange(market="synthetic", clock=ManualClock(), clock_speed=2)
    with pytest.raises(ValueError, match="clock_speed"):
        PaperExchange(market="synthetic", clock_speed=0)

"""While a paper session runs, its database tells ``ktrade status`` the status line and a trip."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from src.app.session import SessionSettings, paper_venue
from src.app.trading_session import SessionPlan, trade
from src.cli.status_view import BotStatus, read_status, render
from src.core.risk import RiskLimits
from src.core.runtime import TradingRuntime
from src.core.strategy import MovingAverageCross

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_status_reads_a_running_sessions_line_and_kill_switch(tmp_path: Path) -> None:
    db = tmp_path / "paper.sqlite"
    seen: dict[str, BotStatus] = {}

    @asynccontextmanager
    async def operator(runtime: TradingRuntime) -> AsyncIterator[object]:
        async def act() -> None:
            await asyncio.sleep(1.5)  # a few status lines in
            seen["running"] = read_status(db, None)  # another reader, as `ktrade status` is
            runtime.risk.kill_switch.trip("signal SIGUSR1")  # what `kill -USR1 <pid>` does
            await asyncio.sleep(1.5)
            seen["tripped"] = read_status(db, None)

        task = asyncio.create_task(act())
        try:
            yield None
        finally:
            await task

    settings = SessionSettings(
        db_path=db, limits=RiskLimits(kill_file=None), poll_seconds=0.1, status_seconds=0.5
    )
    strategy = MovingAverageCross(["BTC/USD"], fast=2, slow=4, interval_minutes=60)
    plan = SessionPlan(strategy, settings, duration=4.0, fresh_db=True, services=[operator])
    async with paper_venue(speed=3600) as venue:
        assert await trade(venue, plan) == 0

    running, tripped = seen["running"], seen["tripped"]
    assert running.kill is None and running.last_status is not None
    assert "equity=" in running.last_status["line"]
    assert "kill=off" in running.last_status["line"]
    assert running.session is not None and running.session["pid"] == os.getpid()
    assert running.session["ended"] is None
    lines = render(running)
    assert any(s.startswith(f"bot          running (paper, pid {os.getpid()})") for s in lines)
    assert tripped.kill is not None and tripped.kill["reason"] == "signal SIGUSR1"
    assert tripped.last_status is not None
    assert "kill=signal SIGUSR1" in tripped.last_status["line"]
    assert any(s.startswith("kill switch  TRIPPED: signal SIGUSR1 (at ") for s in render(tripped))
    after = read_status(db, None)  # the session has ended: the database says so, trip kept
    assert after.session is not None and after.session["ended"] is not None
    assert after.kill is not None and after.kill["reason"] == "signal SIGUSR1"

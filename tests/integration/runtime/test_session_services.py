"""``trade`` runs a plan's services around the runtime, on the paper exchange over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from src.app.session import SessionSettings, paper_venue
from src.app.trading_session import SessionPlan, trade
from src.core.risk import RiskLimits
from src.core.runtime import TradingRuntime
from src.core.strategy import MovingAverageCross

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def plan(tmp_path: Path, events: list[str], capsys: pytest.CaptureFixture[str]) -> SessionPlan:
    @asynccontextmanager
    async def service(runtime: TradingRuntime) -> AsyncIterator[object]:
        # What the runtime has printed so far tells where in the session we are.
        events.append(f"enter, status printed: {'equity=' in capsys.readouterr().out}")
        try:
            yield None
        finally:
            out = capsys.readouterr().out
            events.append(f"exit, status printed: {'equity=' in out}, summary: {'summary' in out}")

    settings = SessionSettings(
        db_path=tmp_path / "paper.sqlite", limits=RiskLimits(kill_file=None), poll_seconds=0.1
    )
    strategy = MovingAverageCross(["BTC/USD"], fast=2, slow=4, interval_minutes=60)
    return SessionPlan(strategy, settings, duration=1.0, fresh_db=True, services=[service])


async def test_services_run_after_the_key_check_and_stop_after_the_runtime(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events: list[str] = []
    async with paper_venue(speed=3600) as venue:
        assert await trade(venue, plan(tmp_path, events, capsys)) == 0
    assert events == ["enter, status printed: False", "exit, status printed: True, summary: False"]
    assert "Session summary" in capsys.readouterr().out  # printed after the services stopped


async def test_services_stop_when_the_runtime_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events: list[str] = []
    session = plan(tmp_path, events, capsys)

    async def broken_run(duration: float | None = None, *, start: bool = True) -> None:
        raise RuntimeError("the venue went away")

    def break_it(runtime: TradingRuntime) -> None:
        runtime.run = broken_run  # type: ignore[method-assign]

    session.on_runtime = break_it
    async with paper_venue(speed=3600) as venue:
        with pytest.raises(RuntimeError, match="went away"):
            await trade(venue, session)
    assert events == [
        "enter, status printed: False",
        "exit, status printed: False, summary: False",
    ]


async def test_no_service_starts_when_the_key_check_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events: list[str] = []
    async with paper_venue(speed=3600) as venue:
        assert venue.exchange is not None
        # The demo key loses every permission: the key check finds what trading needs missing.
        venue.exchange.keys.keys[venue.exchange.api_key].permissions = frozenset()
        assert await trade(venue, plan(tmp_path, events, capsys)) == 2
    assert events == []

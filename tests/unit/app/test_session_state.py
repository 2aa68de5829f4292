"""SessionState keeps a bot's status line, kill switch and lifetime in its database."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from src.app.session_state import KILL_KEY, SESSION_KEY, STATUS_KEY, SessionState
from src.core.kill_switch import KillSwitch
from src.core.order_store import OrderStore
from src.core.runtime import TradingRuntime

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class Ticking:
    """A UTC clock that moves one second per reading."""

    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


def test_each_status_line_is_shown_and_kept_with_its_time(tmp_path: Path) -> None:
    shown: list[str] = []
    store = OrderStore(tmp_path / "bot.sqlite")
    state = SessionState("paper", echo=shown.append, now=Ticking())
    state.sink("before attach")  # shown, but there is nowhere to keep it yet
    assert store.get(STATUS_KEY) is None
    state.attach(store, KillSwitch())
    state.sink("equity=1000.00 kill=off")
    state.sink("equity=1001.00 kill=off")
    assert shown == ["before attach", "equity=1000.00 kill=off", "equity=1001.00 kill=off"]
    assert store.get(STATUS_KEY) == {
        "line": "equity=1001.00 kill=off",
        "at": (T0 + timedelta(seconds=2)).isoformat(),
    }
    assert store.get(KILL_KEY) is None


def test_a_trip_is_recorded_once_with_when_it_was_first_seen(tmp_path: Path) -> None:
    store = OrderStore(tmp_path / "bot.sqlite")
    switch = KillSwitch()
    state = SessionState("live", now=Ticking())
    state.attach(store, switch)
    switch.trip("daily loss 101 USD reached the limit 100")
    state.sink("equity=899.00 kill=daily loss")
    state.sink("equity=898.00 kill=daily loss")  # same trip: the first time stays
    assert store.get(KILL_KEY) == {
        "reason": "daily loss 101 USD reached the limit 100",
        "at": (T0 + timedelta(seconds=2)).isoformat(),
    }


def test_a_restart_clears_the_last_sessions_trip(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite"
    store = OrderStore(path)
    store.put(KILL_KEY, {"reason": "signal SIGUSR1", "at": T0.isoformat()})
    SessionState("live").attach(store, KillSwitch())  # a new process: its switch is not tripped
    assert store.get(KILL_KEY) is None


async def test_the_service_records_the_session_and_a_trip_between_status_lines(
    tmp_path: Path,
) -> None:
    store = OrderStore(tmp_path / "bot.sqlite")
    switch = KillSwitch()
    runtime = cast(TradingRuntime, type("R", (), {"store": store, "risk": None})())
    state = SessionState("paper", interval=0.01, now=Ticking())
    state.attach(store, switch)
    async with state.service(runtime):
        running: dict[str, Any] = store.get(SESSION_KEY)
        assert running["pid"] == os.getpid() and running["ended"] is None
        assert running["mode"] == "paper"
        switch.trip("signal SIGUSR1")  # as a signal does: no status line comes with it
        for _ in range(100):
            await asyncio.sleep(0.01)
            if store.get(KILL_KEY):
                break
        assert store.get(KILL_KEY)["reason"] == "signal SIGUSR1"
    ended = store.get(SESSION_KEY)
    assert ended["started"] == running["started"] and ended["ended"] > running["started"]

"""The alert rules on a SimEngine session: each condition once, its recovery, nothing stale."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from src.core.clock import ManualClock
from src.core.errors import InvalidOrderError
from src.ops.alerts import AlertsConfig, Level
from src.ops.alerts.rules import AlertRules
from src.utils.logging import register_secret
from src.venues.sim_engine import SimEngine
from tests.unit.ops_metrics.sim_session import play, sim_runtime

pytestmark = pytest.mark.unit
CONFIG = AlertsConfig(connection_lost_seconds=120)


class DeadMan:
    """The shape of src.app.venue.DeadMansSwitch that the rules read."""

    def __init__(self, clock: ManualClock) -> None:
        self.failures, self.armed_at, self.timeout = 0, clock.monotonic(), 60
        self.monotonic = clock.monotonic

    async def __call__(self) -> None:
        """A heartbeat."""


async def test_fills_and_a_rejection_each_give_one_alert(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, feed = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    rules = AlertRules(runtime, CONFIG)
    await runtime.start()
    engine.fail_next_submit = InvalidOrderError("EOrder:Insufficient funds")
    await play(runtime, engine, feed, clock)
    alerts = rules.check()
    assert rules.check() == []  # nothing new since
    titles = [a.title for a in alerts]
    rejected = [a for a in alerts if a.key == "rejected:BTC/USD"]
    assert len(rejected) == 1 and rejected[0].level is Level.WARNING
    assert "EOrder:Insufficient funds" in rejected[0].body
    fills = [a for a in alerts if a.key.startswith("fill:")]
    assert len(fills) == len(engine.fills) == 2, titles
    assert fills[0].title.startswith("ktrade: fill buy ")
    assert "@ " in fills[0].title and "position now" in fills[0].body


async def test_the_kill_switch_is_announced_once(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, _ = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    rules = AlertRules(runtime, CONFIG)
    assert rules.check() == []
    runtime.risk.kill_switch.trip("daily loss 120.00 over the limit 100")
    [alert] = rules.check()
    assert alert.key == "kill_switch" and alert.level is Level.FAILURE
    assert "daily loss 120.00" in alert.body
    assert rules.check() == []


async def test_stale_data_is_a_lost_connection_until_it_flows_again(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, feed = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    rules = AlertRules(runtime, CONFIG)
    await runtime.start()
    await play(runtime, engine, feed, clock, candles=1)
    assert [a for a in rules.check() if a.key.startswith("connection")] == []
    clock.advance(121)
    [lost] = rules.check()
    assert lost.key == "connection:market data BTC/USD" and lost.level is Level.FAILURE
    assert rules.check() == []  # still lost: said once
    await play(runtime, engine, feed, clock, candles=1)
    back = [a for a in rules.check() if a.key.startswith("connection")]
    assert [a.key for a in back] == ["connection:market data BTC/USD:ok"]


async def test_a_failing_dead_mans_switch_and_its_recovery(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, _ = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    switch = DeadMan(clock)
    runtime.heartbeats.append(switch)
    rules = AlertRules(runtime, CONFIG)
    assert rules.check() == []
    clock.advance(25)
    switch.failures = 3
    [failing] = rules.check()
    assert failing.key == "dead_man:0" and "3 re-arm(s) failed" in failing.body
    assert "last armed 25 s ago (timeout 60 s)" in failing.body
    switch.failures += 1
    assert rules.check() == []
    switch.failures, switch.armed_at = 0, clock.monotonic()
    [ok] = rules.check()
    assert ok.key == "dead_man:0:ok" and ok.level is Level.SUCCESS


async def test_reconcile_differences_are_reported_when_they_change(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, _ = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    rules = AlertRules(runtime, CONFIG)
    await runtime.start()
    assert rules.check() == []
    engine.balances["USD"] += Decimal(500)  # a deposit the bot's fills do not explain
    await runtime.reconcile()
    [alert] = rules.check()
    assert alert.key == "reconcile" and "1 balance difference(s)" in alert.body
    assert rules.check() == []
    engine.balances["USD"] -= Decimal(500)
    await runtime.reconcile()
    assert [a.key for a in rules.check()] == ["reconcile:ok"]


async def test_the_daily_summary_comes_when_the_utc_day_turns(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, feed = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    rules = AlertRules(runtime, AlertsConfig(events=["daily_pnl"]))
    await runtime.start()
    start_equity = runtime.portfolio.equity
    await play(runtime, engine, feed, clock)
    assert rules.check() == []  # 14 minutes into 2024-01-01
    clock.advance(86_400)
    [daily] = rules.check()
    change = runtime.portfolio.equity - start_equity
    assert daily.title == f"ktrade: Daily PnL 2024-01-01: {change:+.2f}"
    assert "2 fill(s)" in daily.body and "Positions: flat." in daily.body
    assert rules.check() == []


async def test_switched_off_events_stay_silent_and_secrets_are_masked(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, feed = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    rules = AlertRules(runtime, AlertsConfig(events=["rejected"]))
    await runtime.start()
    register_secret("sk-live-0123456789")
    engine.fail_next_submit = InvalidOrderError("refused for key sk-live-0123456789")
    await play(runtime, engine, feed, clock)
    [alert] = rules.check()  # no fill alerts: only rejections were asked for
    assert alert.key == "rejected:BTC/USD"
    assert "sk-live-0123456789" not in alert.body and "refused for key" in alert.body

"""The periodic reconcile fits in a fixed share of the tier's REST budget."""

from __future__ import annotations

import pytest

from src.app.rest_budget import (
    RECONCILE_SHARE,
    GateMemory,
    reconcile_interval,
    reconcile_points,
)
from src.brokers.kraken.limits.counters import KrakenRateLimits
from src.brokers.kraken.limits.gate import NullGate
from src.core.clock import ManualClock
from src.core.order_store import OrderStore


def test_a_starter_reconcile_every_10_s_would_outspend_the_counter_so_it_is_spaced_out() -> None:
    gate = KrakenRateLimits("starter")
    points = reconcile_points(gate)
    assert points == 5  # OpenOrders 1, TradesHistory 2, BalanceEx 1, QueryOrders 1
    interval = reconcile_interval(10.0, gate)
    assert points / 10.0 > gate.limits.rest_decay  # what the old 10 s period spent
    assert points / interval == pytest.approx(gate.limits.rest_decay * RECONCILE_SHARE)


def test_faster_tiers_reconcile_more_often_and_a_long_period_is_kept() -> None:
    starter = reconcile_interval(10.0, KrakenRateLimits("starter"))
    pro = reconcile_interval(10.0, KrakenRateLimits("pro"))
    assert pro < starter
    assert reconcile_interval(600.0, KrakenRateLimits("pro")) == 600.0


def test_a_dearer_history_call_lengthens_the_period() -> None:
    cheap = reconcile_interval(1.0, KrakenRateLimits("pro"))
    dear = reconcile_interval(1.0, KrakenRateLimits("pro", costs={"TradesHistory": 4}))
    assert dear > cheap


def test_a_scaled_exchange_clock_or_a_gate_that_counts_nothing_leaves_the_period() -> None:
    assert reconcile_interval(10.0, KrakenRateLimits("starter"), clock_factor=3600) == 10.0
    assert reconcile_interval(10.0, NullGate()) == 10.0


def _store() -> OrderStore:
    return OrderStore(":memory:")


def test_a_restarted_gate_resumes_what_the_exchange_still_counts() -> None:
    clock = ManualClock()
    store = _store()
    before = KrakenRateLimits("starter", clock=clock)
    before.rest_counter.add(12)
    before.trading_counter("XBTUSD").add(40)
    GateMemory(before, store, unseen_seconds=0).save()
    clock.advance(6)  # the crash and the restart took 6 s: 2 points of REST decay
    after = KrakenRateLimits("starter", clock=clock)
    assert GateMemory(after, store, unseen_seconds=0).restore()
    assert after.rest_counter.value == pytest.approx(12 - 6 * 0.33)
    assert after.trading_counter("XBTUSD").value == pytest.approx(40 - 6 * 1.0)
    # A fresh gate would have let 13 points through at once; this one makes the call wait.
    assert after.rest_counter.cost_wait(5) > 0


def test_spending_after_the_last_save_is_assumed_and_levels_never_go_down() -> None:
    clock = ManualClock()
    store = _store()
    before = KrakenRateLimits("starter", clock=clock)
    before.rest_counter.add(10)
    GateMemory(before, store, unseen_seconds=20).save()
    clock.advance(15)
    after = KrakenRateLimits("starter", clock=clock)
    after.rest_counter.add(12)  # already spent by this process: kept
    GateMemory(after, store, unseen_seconds=20).restore()
    assert after.rest_counter.value == pytest.approx(12)
    fresh = KrakenRateLimits("starter", clock=clock)
    GateMemory(fresh, store, unseen_seconds=20).restore()
    assert fresh.rest_counter.value == pytest.approx(10)  # 15 s < 20 s unseen: no decay


def test_a_foreign_or_missing_snapshot_changes_nothing() -> None:
    store = _store()
    gate = KrakenRateLimits("starter", clock=ManualClock())
    assert not GateMemory(gate, store, 20).restore()
    store.put(GateMemory.KEY, {"rest": "lots"})
    assert not GateMemory(gate, store, 20).restore()
    assert gate.rest_counter.value == 0
    assert not GateMemory(NullGate(), store, 20).restore()


async def test_every_counted_call_is_saved_before_it_is_sent() -> None:
    clock = ManualClock()
    store = _store()
    gate = KrakenRateLimits("starter", clock=clock)
    GateMemory(gate, store, unseen_seconds=0)
    await gate.before_rest("TradesHistory")
    await gate.before_rest("Balance")
    assert store.get(GateMemory.KEY)["rest"] == pytest.approx(3)
    # The crash comes now, before any heartbeat: the next session still knows both calls.
    fresh = KrakenRateLimits("starter", clock=clock)
    assert GateMemory(fresh, store, unseen_seconds=0).restore()
    assert fresh.rest_counter.value == pytest.approx(3)

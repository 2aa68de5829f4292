"""The dashboard's read of a runtime, and the HTML made of it (escaped, every panel present)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from src.core.execution import Side
from src.core.sizing import OrderIntent
from src.ops.dashboard.log_tail import LogTail
from src.ops.dashboard.monitor import Monitor
from src.ops.dashboard.render import PANELS, login_page, page, panels
from src.ops.dashboard.snapshot import FillReader, View, mode_of, snapshot
from tests.unit.ops.conftest import PRICE, Rig

D = Decimal


class DeadMan:
    """Looks like src.app.venue.DeadMansSwitch to the dashboard."""

    def __init__(self, now: float, armed_at: float | None, failures: int = 0) -> None:
        self.timeout, self.armed_at, self.failures = 60, armed_at, failures
        self.trigger_time: str | None = "2026-12-03T10:00:00Z"
        self._now = now

    def monotonic(self) -> float:
        return self._now

    async def __call__(self) -> None:
        return None


def _view(rig: Rig, monitor: Monitor | None = None) -> View:
    monitor = monitor or Monitor(rig.runtime)
    return View(rig.runtime, monitor, rig.audit, LogTail(), "PAPER", "SimEngine")


def _gauge(state: dict[str, Any], name: str) -> dict[str, Any]:
    return next(g for g in state["risk"] if g["name"] == name)


def _health(state: dict[str, Any], name: str) -> dict[str, Any]:
    return next(h for h in state["health"] if h["name"] == name)


async def test_snapshot_shows_positions_orders_fills_and_limit_use(rig: Rig) -> None:
    await rig.buy("0.005")  # 200 USD of BTC
    await rig.buy("0.002", limit=D(30_000))  # rests
    state = snapshot(_view(rig), FillReader(str(rig.db)))
    (position,) = state["positions"]
    assert (position["symbol"], D(position["quantity"]), D(position["value"])) == (
        "BTC/USD",
        D("0.005"),
        D(200),
    )
    (order,) = state["orders"]
    assert (order["side"], order["type"], D(order["limit_price"])) == ("buy", "limit", D(30_000))
    (fill,) = state["fills"]
    assert (fill["side"], D(fill["price"])) == ("buy", PRICE)
    gross = _gauge(state, "gross exposure")
    assert (D(gross["used"]), gross["percent"], gross["level"]) == (D(200), 10.0, "ok")
    order_gauge = _gauge(state, "order notional")
    assert D(order_gauge["used"]) == D(60)  # 0.002 * 30,000: the largest live order
    assert state["kill_switch"] == {"tripped": False, "reason": None, "file": None}
    assert state["dead_man"]["level"] == "off"
    assert state["mode"] == "PAPER"
    assert "equity=" in state["status_line"]


async def test_gauges_turn_bad_at_the_limit_and_the_rate_is_counted(rig: Rig) -> None:
    monitor = Monitor(rig.runtime)
    rig.runtime.risk.add_listener(monitor.on_decision)
    intent = OrderIntent("BTC/USD", Side.BUY, D("0.001"), PRICE)
    ctx = rig.context()
    for _ in range(3):
        rig.runtime.risk.check(intent, ctx)
    state = snapshot(_view(rig, monitor), FillReader(str(rig.db)))
    assert D(_gauge(state, "orders per minute")["used"]) == 3
    rig.clock.advance(61)
    assert monitor.orders_last_minute() == 0
    # A loss of the whole daily limit: the gauge says so before the kill switch acts.
    rig.runtime.risk.day_start_equity = rig.runtime.portfolio.equity + D(100)
    state = snapshot(_view(rig, monitor), FillReader(str(rig.db)))
    loss = _gauge(state, "daily loss")
    assert (D(loss["used"]), loss["percent"], loss["level"]) == (D(100), 100.0, "bad")


async def test_dead_mans_switch_and_connections_are_read(rig: Rig) -> None:
    rig.runtime.heartbeats.append(DeadMan(now=100.0, armed_at=95.0))
    monitor = Monitor(rig.runtime)
    state = snapshot(_view(rig, monitor), FillReader(str(rig.db)))
    assert state["dead_man"]["level"] == "ok"
    assert "armed 5 s ago" in state["dead_man"]["detail"]
    rig.runtime.heartbeats[-1] = DeadMan(now=200.0, armed_at=95.0, failures=3)
    assert snapshot(_view(rig, monitor), FillReader(str(rig.db)))["dead_man"]["level"] == "bad"
    # REST: the start's reconcile is the baseline; the next one completed counts.
    assert _health(state, "REST")["level"] == "warn"
    await rig.runtime.reconcile()
    state = snapshot(_view(rig, monitor), FillReader(str(rig.db)))
    assert _health(state, "REST")["level"] == "ok"
    assert _health(state, "stream fills")["level"] in ("ok", "warn")
    assert _health(state, "data BTC/USD")["level"] == "ok"
    rig.clock.advance(1000)
    state = snapshot(_view(rig, monitor), FillReader(str(rig.db)))
    assert _health(state, "data BTC/USD")["level"] == "bad"
    assert _health(state, "REST")["level"] == "bad"


async def test_panels_escape_what_they_show_and_the_chart_draws_the_samples(rig: Rig) -> None:
    await rig.buy("0.005")
    monitor = Monitor(rig.runtime)
    monitor.sample()
    rig.clock.advance(5)
    rig.runtime.portfolio.mark("BTC/USD", D(41_000))
    monitor.sample()
    rig.runtime.risk.kill_switch.trip("<script>alert(1)</script>")
    state = snapshot(_view(rig, monitor), FillReader(str(rig.db)))
    html = panels(state)
    assert set(html) == set(PANELS)
    assert "<script>" not in html["header"] and "&lt;script&gt;" in html["header"]
    assert 'id="kill-banner"' in html["header"]
    assert "<polyline" in html["account"] and len(state["history"]) == 2
    assert 'data-action="close_position" data-symbol="BTC/USD"' in html["positions"]
    full = page(state, csrf="c5rf", actor="alice", refresh_ms=2000, reload_file=None)
    for action in ("pause", "resume", "cancel_all", "close_all", "trip_kill", "reset_kill",
                   "reload_risk"):  # fmt: skip
        assert f'data-action="{action}"' in full
    assert '<meta name="csrf" content="c5rf">' in full
    assert "<script>alert" not in full
    assert 'name="secret"' in login_page() and "&lt;b&gt;" in login_page("<b>")


def test_mode_is_told_from_the_endpoint_unless_given() -> None:
    assert mode_of("http://127.0.0.1:5555", None) == "PAPER"
    assert mode_of("https://api.kraken.com", None) == "LIVE"
    assert mode_of("SimEngine", None) == "PAPER"
    assert mode_of("https://api.kraken.com", "mirror") == "MIRROR"

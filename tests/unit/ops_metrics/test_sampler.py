"""The exporter's metrics follow a SimEngine session: orders, fills, book, risk, health."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from src.core.clock import ManualClock
from src.core.errors import InvalidOrderError
from src.core.risk import RiskLimits
from src.ops.metrics import MetricsConfig, RuntimeExporter
from src.ops.metrics.sampler import drawdown_pct
from src.venues.sim_engine import SimEngine
from tests.unit.ops_metrics.sim_session import play, samples, sim_runtime, value

pytestmark = pytest.mark.unit
OFF = MetricsConfig(enabled=False)


async def test_a_round_trip_shows_in_orders_fills_fees_and_equity(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, feed = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    async with RuntimeExporter(runtime, OFF) as exporter:
        await runtime.start()
        before = samples(exporter.render())
        await play(runtime, engine, feed, clock)
        found = samples(exporter.render())
        await runtime.shutdown()

    assert value(before, "ktrade_orders_total", outcome="submitted") == 0
    assert value(found, "ktrade_orders_total", outcome="submitted") == 2
    assert value(found, "ktrade_orders_total", outcome="filled") == 2
    assert value(found, "ktrade_orders_total", outcome="rejected") == 0
    assert value(found, "ktrade_fills_total", symbol="BTC/USD") == len(engine.fills) == 2
    p = runtime.portfolio
    assert value(found, "ktrade_fees_paid", symbol="BTC/USD") == pytest.approx(float(p.fees))
    assert p.fees > 0
    assert value(found, "ktrade_equity") == pytest.approx(float(p.equity))
    assert value(found, "ktrade_pnl", kind="realized") == pytest.approx(float(p.realized_pnl))
    assert value(found, "ktrade_pnl", kind="net") == pytest.approx(float(p.net_pnl))
    assert value(found, "ktrade_position", symbol="BTC/USD") == 0
    assert value(found, "ktrade_candles_total") == runtime.stats.candles > 0
    assert value(found, "ktrade_kill_switch") == 0
    assert value(found, "ktrade_info", engine="SimEngine", mode="") == 1
    assert value(found, "ktrade_open_orders") == 0


async def test_an_open_position_is_valued_at_the_mark(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, feed = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    async with RuntimeExporter(runtime, OFF) as exporter:
        await runtime.start()
        await play(runtime, engine, feed, clock, candles=8)  # bought on the way up
        found = samples(exporter.render())
    position = runtime.portfolio.position("BTC/USD")
    assert position.quantity > 0
    mark = runtime.portfolio.marks["BTC/USD"]
    assert value(found, "ktrade_position", symbol="BTC/USD") == pytest.approx(
        float(position.quantity)
    )
    assert value(found, "ktrade_position_value", symbol="BTC/USD") == pytest.approx(
        float(position.quantity * mark)
    )
    assert value(found, "ktrade_gross_exposure") == pytest.approx(float(position.quantity * mark))


async def test_a_rejected_order_and_risk_refusals_are_counted(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, feed = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    async with RuntimeExporter(runtime, OFF) as exporter:
        await runtime.start()
        engine.fail_next_submit = InvalidOrderError("EOrder:Insufficient funds")
        await play(runtime, engine, feed, clock, candles=8)
        found = samples(exporter.render())
    assert value(found, "ktrade_orders_total", outcome="rejected") == 1
    # the other pair's limit: the same session with a tiny order cap is refused, not rejected
    runtime2, feed2 = sim_runtime(
        engine, clock, tmp_path / "rt2.sqlite", RiskLimits(kill_file=None, max_order_notional=1)
    )
    async with RuntimeExporter(runtime2, OFF) as exporter2:
        await runtime2.start()
        await play(runtime2, engine, feed2, clock, candles=8)
        found2 = samples(exporter2.render())
    refused = sum(runtime2.risk.refusals.values())
    assert refused > 0
    codes = {k for (name, labels), _ in found2.items() if name == "ktrade_risk_refusals_total"
             for k in labels}  # fmt: skip
    total = sum(v for (name, _), v in found2.items() if name == "ktrade_risk_refusals_total")
    assert total == refused and codes
    assert value(found2, "ktrade_orders_total", outcome="submitted") == 0


async def test_orders_of_an_earlier_session_are_not_counted_again(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    db = tmp_path / "rt.sqlite"
    runtime, feed = sim_runtime(engine, clock, db)
    await runtime.start()
    await play(runtime, engine, feed, clock)
    await runtime.shutdown()
    runtime.store.close()
    again, _ = sim_runtime(engine, clock, db)
    async with RuntimeExporter(again, OFF) as exporter:
        found = samples(exporter.render())
    assert value(found, "ktrade_orders_total", outcome="submitted") == 0
    assert value(found, "ktrade_fills_total", symbol="BTC/USD") is None
    assert value(found, "ktrade_fees_paid", symbol="BTC/USD") == pytest.approx(
        float(again.portfolio.fees)  # the book's fees are the database's, not the session's
    )


async def test_data_age_grows_with_the_clock_and_the_kill_switch_shows(
    engine: SimEngine, clock: ManualClock, tmp_path: Path
) -> None:
    runtime, feed = sim_runtime(engine, clock, tmp_path / "rt.sqlite")
    async with RuntimeExporter(runtime, OFF) as exporter:
        await runtime.start()
        await play(runtime, engine, feed, clock, candles=2)
        first = value(samples(exporter.render()), "ktrade_data_age_seconds", symbol="BTC/USD")
        clock.advance(90)
        runtime.risk.kill_switch.trip("test")
        found = samples(exporter.render())
    assert first is not None
    assert value(found, "ktrade_data_age_seconds", symbol="BTC/USD") == pytest.approx(first + 90)
    assert value(found, "ktrade_kill_switch") == 1
    assert value(found, "ktrade_stream_up", stream="fills") == 1


def test_drawdown_is_the_percent_below_the_peak() -> None:
    assert drawdown_pct(Decimal(90), Decimal(100)) == 10
    assert drawdown_pct(Decimal(110), Decimal(100)) == 0
    assert drawdown_pct(Decimal(90), None) == 0

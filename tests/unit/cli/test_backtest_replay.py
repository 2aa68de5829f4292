"""The backtest's replay through the runtime, and the report figures computed from it."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from src.cli.metrics import build_report, round_trips
from src.cli.replay import BuyAndHold, ReplayResult, ReplaySetup, replay
from src.core.execution import Fill, Side
from src.core.instruments import Instrument
from src.core.market_data import Candle
from src.core.risk import RiskLimits
from src.core.strategy import MovingAverageCross

T0 = datetime(2024, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
BTC = Instrument(
    symbol="BTC/USD",
    base="BTC",
    quote="USD",
    price_tick=Decimal("0.1"),
    lot_step=Decimal("0.00000001"),
    min_quantity=Decimal("0.0001"),
)
OPEN_LIMITS = RiskLimits(
    max_order_notional=Decimal(10_000),
    max_position_notional=Decimal(10_000),
    max_gross_exposure=Decimal(10_000),
    price_band_bps=Decimal(5000),
    daily_loss_limit=Decimal(0),
    max_drawdown_pct=Decimal(0),
    kill_file=None,
)


def _bars(closes: list[float], gap: float = 5.0) -> list[Candle]:
    """Hourly bars whose open sits ``gap`` below the close (so next-open fills are visible)."""
    out = []
    for i, close in enumerate(closes):
        c = Decimal(str(close))
        o = c - Decimal(str(gap))
        out.append(
            Candle(
                symbol="BTC/USD",
                interval_minutes=60,
                timestamp=T0 + i * HOUR,
                open=o,
                high=max(o, c),
                low=min(o, c),
                close=c,
                volume=Decimal(1),
            )
        )
    return out


def _setup(
    tmp_path: Path, bars: list[Candle], limits: RiskLimits = OPEN_LIMITS, start_bar: int = 8
) -> ReplaySetup:
    return ReplaySetup(
        candles={"BTC/USD": bars},
        instruments={"BTC/USD": BTC},
        interval_minutes=60,
        start=bars[start_bar].timestamp,
        end=None,
        capital_per_pair=Decimal(1000),
        limits=limits,
        taker_fee=Decimal("0.004"),
        spread_bps=Decimal(0),
        db_path=tmp_path / "replay.sqlite",
    )


WAVE = [100 + 20 * math.sin(i / 6) for i in range(160)]


async def test_decisions_at_a_close_fill_at_the_next_open(tmp_path: Path) -> None:
    bars = _bars(WAVE)
    result = await replay(_setup(tmp_path, bars), MovingAverageCross(["BTC/USD"], 3, 8, 60), "s")
    opens = {b.timestamp: b.open for b in bars}
    assert len(result.fills) >= 6
    for fill in result.fills:
        # The fill happens when the decision bar closes, i.e. at the next bar's open time.
        assert fill.price == opens[fill.timestamp]
        assert fill.fee == (fill.quantity * fill.price * Decimal("0.004")).quantize(Decimal("1e-8"))
    assert len(result.equity) == len(bars) - 8 == len(result.times)
    assert result.times[0] == bars[8].timestamp + HOUR


async def test_risk_limits_apply_as_live(tmp_path: Path) -> None:
    limits = OPEN_LIMITS.model_copy(update={"allowed_pairs": frozenset({"ETH/USD"})})
    result = await replay(
        _setup(tmp_path, _bars(WAVE), limits), MovingAverageCross(["BTC/USD"], 3, 8, 60), "s"
    )
    assert result.fills == []
    assert result.refusals.get("pair_not_allowed", 0) >= 3


async def test_drawdown_kill_switch_stops_trading(tmp_path: Path) -> None:
    crash = [100.0] * 10 + [100 - 3 * i for i in range(1, 25)] + [30.0] * 20
    limits = OPEN_LIMITS.model_copy(update={"max_drawdown_pct": Decimal(5)})
    result = await replay(
        _setup(tmp_path, _bars(crash, gap=0.0), limits, start_bar=1),
        BuyAndHold(["BTC/USD"], 60),
        "hold",
    )
    assert result.kill_reason is not None and "drawdown" in result.kill_reason
    assert result.kill_time is not None
    assert all(f.timestamp <= result.kill_time for f in result.fills)
    assert result.refusals.get("kill_switch", 0) > 0


def _fill(n: int, side: Side, qty: str, price: str, fee: str = "1") -> Fill:
    return Fill(
        fill_id=f"F{n}",
        order_id=f"O{n}",
        client_order_id=None,
        symbol="BTC/USD",
        side=side,
        quantity=Decimal(qty),
        price=Decimal(price),
        fee=Decimal(fee),
        fee_currency="USD",
        timestamp=T0 + n * HOUR,
    )


def test_round_trips_group_fills_flat_to_flat() -> None:
    fills = [
        _fill(0, Side.BUY, "1", "100"),
        _fill(1, Side.BUY, "1", "110"),
        _fill(2, Side.SELL, "2", "120"),  # closes: +20 + 10 - 3 fees
        _fill(5, Side.BUY, "1", "100"),
        _fill(6, Side.SELL, "0.5", "90"),  # still open
    ]
    closed, still_open = round_trips(fills, {"BTC/USD": Decimal(80)})
    assert (closed.entry, closed.exit) == (T0, T0 + 2 * HOUR)
    assert closed.pnl == pytest.approx(27.0) and closed.cost == pytest.approx(210.0)
    assert closed.ret == pytest.approx(27 / 210) and closed.fees == pytest.approx(3.0)
    assert still_open.exit is None
    # -100 - 1 + 45 - 1, plus 0.5 BTC left at the 80 mark
    assert still_open.pnl == pytest.approx(-17.0)


def test_report_figures_from_a_known_equity_curve() -> None:
    times = [T0 + i * HOUR for i in range(1, 6)]
    result = ReplayResult(
        "s",
        Decimal(100),
        times=times,
        equity=[110.0, 99.0, 121.0, 108.9, 130.0],
        exposure=[{"BTC/USD": 1.0}, {}, {"BTC/USD": 1.0}, {}, {}],
    )
    report = build_report(result, 60)
    assert report.total_return == pytest.approx(0.30)
    assert report.max_drawdown == pytest.approx(-0.10)  # 110 -> 99 and 121 -> 108.9
    assert report.max_drawdown_duration == 2 * HOUR  # from 110 at 1h to the new peak at 3h
    assert report.exposure == pytest.approx(0.4)
    assert report.sharpe > 0 and report.sortino > report.sharpe
    flat = build_report(
        ReplayResult("f", Decimal(100), times=times, equity=[100.0] * 5, exposure=[{}] * 5), 60
    )
    assert math.isnan(flat.sharpe) and flat.total_return == 0 and flat.max_drawdown == 0
    assert math.isnan(flat.win_rate) and flat.trades == []


def test_cagr_annualises() -> None:
    times = [T0 + timedelta(days=365.25 * i / 4) for i in range(1, 5)]
    result = ReplayResult(
        "s",
        Decimal(100),
        times=[T0, *times],
        equity=[100.0, 120.0, 140.0, 170.0, 200.0],
        exposure=[{}] * 5,
    )
    assert build_report(result, 60).cagr == pytest.approx(1.0)

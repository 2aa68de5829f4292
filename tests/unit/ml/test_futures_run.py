"""The pieces around the futures backtest: rule, frame assembly, summary, against hand cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest

from src.core.derivatives import DerivativeInstrument, MarginTier, Settlement, TierBasis
from src.ml.backtest.futures import FuturesCosts, run_futures_backtest
from src.ml.backtest.futures_run import (
    compare_with_buy_and_hold,
    contract_max_leverage,
    format_comparison,
    regular_bars,
    slice_candles,
    sma_cross_target,
    summarize,
    with_funding_history,
    with_stated_mark_and_funding,
)

D = Decimal
T0 = datetime(2024, 1, 1, tzinfo=UTC)
H = timedelta(hours=1)
TIERS = (MarginTier(floor=0, initial_rate="0.02", maintenance_rate="0.01"),)
PF = DerivativeInstrument(symbol="PF_XBTUSD", base="BTC", quote="USD", price_tick=D(1),
                          lot_step=D("0.0001"), margin_tiers=TIERS, funding_interval=H)  # fmt: skip
PI = DerivativeInstrument(symbol="PI_XBTUSD", base="BTC", quote="USD", price_tick=D("0.5"),
                          lot_step=D(1), settlement=Settlement.INVERSE, settlement_currency="BTC",
                          tier_basis=TierBasis.CONTRACTS, margin_tiers=TIERS,
                          funding_interval=H)  # fmt: skip


def candles(closes: list[float], hours: list[int] | None = None) -> pl.DataFrame:
    hours = hours if hours is not None else list(range(len(closes)))
    return pl.DataFrame({
        "timestamp": [T0 + h * H for h in hours], "open": closes, "high": closes,
        "low": closes, "close": closes, "volume": [1.0] * len(closes),
    })  # fmt: skip


def test_sma_cross_is_flat_until_warm_then_two_sided() -> None:
    close = pl.Series([1.0, 2.0, 3.0, 4.0, 3.0, 1.0, 0.5])
    target = sma_cross_target(close, 2, 3, 1.5).to_list()
    # slow mean needs 3 closes; at bar 2 fast 2.5 > slow 2; at bar 5 fast 2 < slow 2.67
    assert target == [0.0, 0.0, 1.5, 1.5, 1.5, -1.5, -1.5]
    with pytest.raises(ValueError, match="fast < slow"):
        sma_cross_target(close, 3, 3, 1.0)


def test_missing_hours_are_filled_flat_at_the_last_close() -> None:
    frame, filled = regular_bars(candles([10.0, 11.0, 12.0], [0, 1, 4]), H)
    assert filled == 2
    assert frame["timestamp"].to_list() == [T0 + h * H for h in range(5)]
    assert frame["close"].to_list() == [10.0, 11.0, 11.0, 11.0, 12.0]
    assert frame["high"].to_list()[2:4] == [11.0, 11.0] and frame["volume"][2] == 0


def test_slice_refuses_an_empty_range_naming_the_data() -> None:
    with pytest.raises(ValueError, match="the data covers 2024-01-01"):
        slice_candles(candles([1.0, 2.0, 3.0]), T0 + 10 * H, None)
    assert slice_candles(candles([1.0, 2.0, 3.0]), T0 + H, None).height == 2


def test_stated_mark_and_funding_columns() -> None:
    frame = with_stated_mark_and_funding(candles([100.0, 200.0]), 0.01, 0.0002)
    assert frame["mark"].to_list() == pytest.approx([101.0, 202.0])
    assert frame["funding_rate"].to_list() == [0.0002, 0.0002]


def test_funding_history_is_the_rate_in_force_at_each_bar_start() -> None:
    rates = pl.DataFrame({"timestamp": [T0 + H, T0 + 3 * H], "relative_rate": [0.001, -0.002]})
    frame = with_funding_history(candles([1.0] * 5), rates)
    assert frame["funding_rate"].to_list() == [0.0, 0.001, 0.001, -0.002, -0.002]


def test_summary_recomputes_final_equity_from_fills_fees_and_funding() -> None:
    closes = [50_000.0, 50_000.0, 51_000.0, 49_000.0, 52_000.0, 50_500.0]
    frame = with_stated_mark_and_funding(candles(closes), 0.0, 0.0001).with_columns(
        pl.Series("target", [1.0, 1.0, -1.0, -1.0, 1.0, 1.0])
    )
    result = run_futures_backtest(frame, PF, costs=FuturesCosts(slippage_bps=0))
    s = summarize(result, PF)
    assert s.fills == 3 and s.fees > 0 and s.funding != 0
    assert s.final_equity == pytest.approx(10_000 + s.trading_pnl - s.fees + s.funding)
    # hand case for the first leg: 0.2 BTC bought at 50,000 (bar 1), sold at 51,000 (bar 3)
    first = result.trades.row(0, named=True)
    assert first["quantity"] == pytest.approx(0.2) and first["price"] == 50_000.0
    assert s.max_drawdown < 0 and s.total_return == pytest.approx(s.final_equity / 10_000 - 1)


def test_inverse_pnl_is_in_the_base_currency() -> None:
    # long 50,000 one-dollar contracts from 50,000 to 40,000: 50,000 * (1/50,000 - 1/40,000)
    frame = candles([50_000.0, 50_000.0, 40_000.0]).with_columns(pl.lit(1.0).alias("target"))
    result = run_futures_backtest(
        frame, PI, costs=FuturesCosts(taker_fee=0, slippage_bps=0), initial_equity=1.0
    )
    s = summarize(result, PI)
    assert s.trading_pnl == pytest.approx(50_000 * (1 / 50_000 - 1 / 40_000))
    assert s.final_equity == pytest.approx(1.0 + s.trading_pnl)


def test_buy_and_hold_trades_once_with_the_same_costs() -> None:
    frame = with_stated_mark_and_funding(candles([100.0, 101.0, 99.0, 103.0]), 0.0, 0.001)
    frame = frame.with_columns(pl.Series("target", [1.0, -1.0, 1.0, -1.0]))
    rule, hold = compare_with_buy_and_hold(frame, PF, FuturesCosts(), 10_000.0)
    assert hold.trades.height == 1 and rule.trades.height == 3
    assert hold.totals["funding"] < 0  # a long pays a positive rate
    text = format_comparison(summarize(rule, PF), summarize(hold, PF), "USD", "rule")
    assert "buy-and-hold 1x" in text and "fees paid" in text


def test_max_leverage_comes_from_the_first_tier() -> None:
    assert contract_max_leverage(PF) == pytest.approx(50.0)

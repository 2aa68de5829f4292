"""The optimized backtest gives the reference engine's trades and equity on random inputs.

The reference (``backtest_reference.py``) is the straightforward engine: a polars filter per
pair, the rounding helpers per order, joins to merge sleeves. Inputs cover what the fast path
does differently: pairs interleaved or in blocks, bars missing per pair, null and NaN
weights, shorts, fractional weights, ticks, lots and minimums, a spread column with nulls,
maker and taker costs, and timestamps of other units.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from src.core.instruments import Instrument
from src.ml.backtest import CostModel, run_backtest
from tests.unit.ml.backtest_reference import reference_backtest

PAIRS = ["BTC/USD", "ETH/USD", "SOL/USD", "DOT/EUR"]
INSTRUMENTS = {
    "BTC/USD": Instrument(symbol="BTC/USD", base="BTC", quote="USD", price_tick=Decimal("0.1"),
                          lot_step=Decimal("0.00001"), min_quantity=Decimal("0.0001"),
                          min_cost=Decimal("0.5")),
    "ETH/USD": Instrument(symbol="ETH/USD", base="ETH", quote="USD", price_tick=Decimal("0.01"),
                          lot_step=Decimal("0.001"), min_quantity=Decimal("0.01"),
                          min_cost=Decimal("5")),
}  # fmt: skip


def _frame(seed: int, n_pairs: int, bars: int, interleave: bool, spread: bool) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    start = datetime(2024, 1, 1)
    parts = []
    for i, pair in enumerate(PAIRS[:n_pairs]):
        keep = np.sort(
            rng.choice(bars, size=max(2, int(bars * rng.uniform(0.6, 1.0))), replace=False)
        )
        close = 100.0 * (i + 1) * np.exp(np.cumsum(rng.normal(0, 0.01, bars)))[keep]
        opened = close * np.exp(rng.normal(0, 0.002, keep.size))
        # Targets hold for a while, then move: long, flat, short or a fraction; some unknown.
        levels = rng.choice([1.0, 0.0, -1.0, 0.5, -0.3, 0.25], size=keep.size)
        hold = rng.random(keep.size) < 0.8
        held = pl.Series(np.where(hold, np.nan, levels)).fill_nan(None).forward_fill()
        target = held.to_numpy().copy()
        target[rng.random(keep.size) < 0.03] = np.nan
        columns = {
            "timestamp": [start + timedelta(minutes=int(k)) for k in keep],
            "pair": [pair] * keep.size,
            "open": opened,
            "close": close,
            "target": target,
        }
        if spread:
            spreads = rng.uniform(0, 0.002, keep.size).tolist()
            gaps = (rng.random(keep.size) < 0.1).tolist()
            columns["spread"] = [None if gap else x for gap, x in zip(gaps, spreads, strict=True)]
        parts.append(pl.DataFrame(columns, strict=False))
    frame = pl.concat(parts, how="diagonal_relaxed").with_columns(
        pl.col("timestamp").dt.replace_time_zone("UTC"),
        pl.col("target").fill_nan(None).fill_null(strategy="zero")
        if seed % 5 == 0
        else pl.col("target"),
    )
    if interleave:
        frame = frame.sort("timestamp", maintain_order=True)
    return frame


def _assert_same(frame: pl.DataFrame, **kwargs: object) -> None:
    fast = run_backtest(frame, **kwargs)  # type: ignore[arg-type]
    slow = reference_backtest(frame, **kwargs)  # type: ignore[arg-type]
    assert fast.skipped_orders == slow.skipped_orders
    assert_frame_equal(fast.trades, slow.trades, check_exact=False, rel_tol=1e-12, abs_tol=1e-9)
    assert_frame_equal(fast.equity, slow.equity, check_exact=False, rel_tol=1e-12, abs_tol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_pairs=st.integers(1, 4),
    bars=st.integers(2, 400),
    interleave=st.booleans(),
    spread=st.booleans(),
    maker=st.booleans(),
    rounded=st.booleans(),
)
def test_fast_engine_equals_the_reference(
    seed: int, n_pairs: int, bars: int, interleave: bool, spread: bool, maker: bool, rounded: bool
) -> None:
    frame = _frame(seed, n_pairs, bars, interleave, spread)
    costs = CostModel(liquidity="maker" if maker else "taker", spread_bps=3.0, slippage_bps=2.0)
    _assert_same(frame, costs=costs, instruments=INSTRUMENTS if rounded else None,
                 initial_cash=1_000.0 + seed)  # fmt: skip


@pytest.mark.parametrize("unit", ["ms", "us", "ns"])
def test_other_timestamp_units_and_no_pair_column(unit: str) -> None:
    frame = _frame(3, 1, 300, False, False).drop("pair")
    frame = frame.with_columns(pl.col("timestamp").dt.cast_time_unit(unit))  # type: ignore[arg-type]
    _assert_same(frame, costs=CostModel())
    assert run_backtest(frame).equity["timestamp"].dtype == pl.Datetime(unit, "UTC")  # type: ignore[arg-type]


def test_a_pair_without_a_bar_keeps_its_last_value() -> None:
    frame = _frame(11, 3, 200, True, True)
    thinned = frame.filter(~((pl.col("pair") == "ETH/USD") & (pl.int_range(pl.len()) % 3 == 0)))
    _assert_same(thinned, costs=CostModel(), instruments=INSTRUMENTS)
    result = run_backtest(thinned, costs=CostModel(), instruments=INSTRUMENTS)
    # Equity is on every timestamp any pair has, each pair's column carried forward.
    assert result.equity["timestamp"].to_list() == sorted(set(thinned["timestamp"].to_list()))
    assert result.equity.null_count().sum_horizontal().item() == 0

"""A sleeve whose equity is gone: orders that would trade nothing are not fills.

A short that the price runs over leaves the sleeve's equity at or below zero; every later
target then sizes to zero units, and those orders must not appear as trades, in the unrounded
walk (constant impact and a spread column) as in the rounded one, as in the reference engine.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from src.core.instruments import Instrument
from src.ml.backtest import CostModel, run_backtest
from tests.unit.ml.backtest_reference import reference_backtest

LOT = Instrument(symbol="X/USD", base="X", quote="USD", price_tick=Decimal("0.01"),
                 lot_step=Decimal("0.0001"), min_quantity=Decimal("0"),
                 min_cost=Decimal("0"))  # fmt: skip


def _wiped(spread: bool) -> pl.DataFrame:
    # Short from the first order; the price then triples, so the short's equity is negative
    # when the target turns long, and every order after closing the short sizes to nothing.
    close = np.concatenate((np.full(5, 100.0), np.linspace(100.0, 300.0, 10), np.full(10, 300.0)))
    target = np.concatenate((np.full(12, -1.0), np.full(4, 1.0), np.full(4, 0.5), np.full(5, 1.0)))
    frame = pl.DataFrame({
        "timestamp": [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=k) for k in range(25)],
        "pair": ["X/USD"] * 25,
        "open": close,
        "close": close,
        "target": target,
    })  # fmt: skip
    return frame.with_columns(pl.lit(0.001).alias("spread")) if spread else frame


@pytest.mark.parametrize("spread", [False, True])
@pytest.mark.parametrize("rounded", [False, True])
def test_orders_of_a_wiped_sleeve_are_not_fills(spread: bool, rounded: bool) -> None:
    frame = _wiped(spread)
    kwargs = {"costs": CostModel(), "instruments": {"X/USD": LOT} if rounded else None}
    fast = run_backtest(frame, **kwargs)  # type: ignore[arg-type]
    slow = reference_backtest(frame, **kwargs)  # type: ignore[arg-type]
    assert_frame_equal(fast.trades, slow.trades, check_exact=False, rel_tol=1e-12, abs_tol=1e-9)
    assert_frame_equal(fast.equity, slow.equity, check_exact=False, rel_tol=1e-12, abs_tol=1e-9)
    assert fast.skipped_orders == slow.skipped_orders
    # The short is opened and closed; the long targets after it trade nothing.
    assert fast.trades["side"].to_list() == ["sell", "buy"]
    assert fast.equity["equity"][-1] < 0.0
    assert (fast.trades["quantity"] > 0).all()

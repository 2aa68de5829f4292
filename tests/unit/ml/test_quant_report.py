"""Qlib-style IC figures and the quant report, against values worked out by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from src.ml.evaluation import Evaluation, format_report, quant_report
from src.ml.metrics import ic_by_period, ic_periods, ic_summary


def _hours(n: int, start: datetime = datetime(2024, 1, 1, tzinfo=UTC)) -> pl.Series:
    return pl.Series("timestamp", [start + timedelta(hours=i) for i in range(n)])


def test_ic_per_day_and_icir_by_hand() -> None:
    # Day 1: score 1,2,3 vs return 1,2,4 -> Pearson r = 0.9820, Spearman 1.
    # Day 2: score 1,2,3 vs return 3,2,1 -> Pearson -1, Spearman -1.
    # Day 3: score 1,2,3 vs return 1,3,2 -> Pearson 0.5, Spearman 0.5.
    stamps = pl.Series(
        "timestamp",
        [datetime(2024, 1, d, h, tzinfo=UTC) for d in (1, 2, 3) for h in (0, 8, 16)],
    )
    score = np.array([1, 2, 3, 1, 2, 3, 1, 2, 3], float)
    fwd = np.array([1, 2, 4, 3, 2, 1, 1, 3, 2], float)
    table = ic_by_period(score, fwd, ic_periods(stamps))
    # Pearson of (1,2,3) and (1,2,4): cov = 1.5, sd = 1 and 1.5275 -> 0.98198.
    assert table["ic"].to_list() == pytest.approx([0.9819805, -1.0, 0.5], abs=1e-6)
    assert table["rank_ic"].to_list() == pytest.approx([1.0, -1.0, 0.5])
    assert table["n"].to_list() == [3, 3, 3]
    summary = ic_summary(score, fwd, ic_periods(stamps))
    ics = np.array([0.9819805, -1.0, 0.5])
    assert summary["ic"] == pytest.approx(ics.mean(), abs=1e-6)
    assert summary["icir"] == pytest.approx(ics.mean() / ics.std(ddof=1), abs=1e-6)
    ranks = np.array([1.0, -1.0, 0.5])
    assert summary["rank_ic_mean"] == pytest.approx(ranks.mean())
    assert summary["rank_icir"] == pytest.approx(ranks.mean() / ranks.std(ddof=1))
    assert summary["ic_periods"] == 3.0


def test_cross_sectional_grouping_is_per_timestamp_as_qlib() -> None:
    # Three pairs at two timestamps: at t0 the score ranks them right, at t1 exactly wrong.
    t0, t1 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, 1, tzinfo=UTC)
    stamps = pl.Series("timestamp", [t0, t0, t0, t1, t1, t1])
    score = np.array([0.1, 0.2, 0.3, 0.1, 0.2, 0.3])
    fwd = np.array([-1.0, 0.0, 1.0, 1.0, 0.0, -1.0])
    summary = ic_summary(score, fwd, ic_periods(stamps, "timestamp"))
    assert summary["ic"] == pytest.approx(0.0)
    assert summary["icir"] == pytest.approx(0.0)  # mean 0 over a std of sqrt(2)
    assert summary["ic_periods"] == 2.0
    # The same rows as one day: a single period, correlation 0, no ICIR (one period).
    daily = ic_summary(score, fwd, ic_periods(stamps, "day"))
    assert daily["ic_periods"] == 1.0 and math.isnan(daily["icir"])
    with pytest.raises(ValueError, match="group"):
        ic_periods(stamps, "week")


def test_undefined_periods_are_skipped_not_zero() -> None:
    stamps = _hours(48)  # two days of 24 rows
    score = np.r_[np.full(24, 0.5), np.arange(24, dtype=float)]  # day 1 constant: no IC
    fwd = np.r_[np.arange(24, dtype=float), np.arange(24, dtype=float)]
    table = ic_by_period(score, fwd, ic_periods(stamps))
    assert math.isnan(table["ic"][0]) and table["ic"][1] == pytest.approx(1.0)
    summary = ic_summary(score, fwd, ic_periods(stamps))
    assert summary["ic"] == pytest.approx(1.0) and summary["ic_periods"] == 1.0
    fwd_nan = fwd.copy()
    fwd_nan[30] = np.nan  # a missing return drops its row only
    assert ic_by_period(score, fwd_nan, ic_periods(stamps))["n"].to_list() == [24, 23]


def test_report_rows_per_fold_then_pooled_and_formatting() -> None:
    ev = Evaluation(
        metrics={"oos_rows": 200.0, "oos_ic": 0.05, "oos_sharpe": -1.25, "bh_sharpe": 0.5},
        fold_metrics=[
            {"fold": 0.0, "test_rows": 100.0, "ic": 0.1, "oos_sharpe": -2.0, "bh_sharpe": 1.0},
            {"fold": 1.0, "test_rows": 100.0, "ic": 0.0, "oos_sharpe": -0.5, "bh_sharpe": 0.0},
        ],
    )
    report = quant_report(ev)
    assert report["fold"].to_list() == ["0", "1", "pooled"]
    assert report["IC"].to_list() == [0.1, 0.0, 0.05]
    assert report["Sharpe"].to_list() == [-2.0, -0.5, -1.25]
    assert report["B&H Sharpe"].to_list() == [1.0, 0.0, 0.5]
    assert math.isnan(report["Sortino"][0])  # absent figures are NaN, not zero
    text = format_report(report).splitlines()
    assert text[0].split()[:3] == ["fold", "rows", "IC"]
    assert text[-1].split()[:4] == ["pooled", "200", "0.050", "nan"]

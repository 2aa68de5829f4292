"""Walk-forward training: fit per fold, score out of sample, backtest after costs, track it all."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from tqdm import tqdm

from src.core.instruments import Instrument
from src.ml.backtest import BacktestResult, CostModel, run_backtest, signals_to_positions
from src.ml.config import ExperimentConfig
from src.ml.dataset import Dataset
from src.ml.labels import FWD_RETURN, LABEL, classification_target
from src.ml.metrics import (
    classification_metrics,
    hit_rate,
    rank_ic,
    regression_metrics,
    trading_metrics,
)
from src.ml.models import make_model
from src.ml.splits import Fold, fold_masks, from_config

log = logging.getLogger(__name__)


@dataclass
class WalkForwardOutput:
    """Out-of-sample scores of the model and of its shuffled-label twin, plus fold metrics."""

    scores: np.ndarray
    shuffled_scores: np.ndarray
    test_mask: np.ndarray
    fold_metrics: list[dict[str, float]] = field(default_factory=list)


def target(ds: Dataset, config: ExperimentConfig) -> np.ndarray:
    """Model target per row: the label (regression) or 1 for a positive label (classification)."""
    label = ds.frame[LABEL].fill_null(np.nan).to_numpy().astype(float)
    return label if config.label.kind == "forward_return" else classification_target(label)


def prediction_metrics(
    config: ExperimentConfig, y: np.ndarray, score: np.ndarray, fwd: np.ndarray
) -> dict[str, float]:
    """AUC and log-loss (or RMSE), rank IC and hit rate on labeled rows."""
    regression = config.label.kind == "forward_return"
    out = regression_metrics(y, score) if regression else classification_metrics(y, score)
    out["rank_ic"] = rank_ic(score, fwd)
    out["hit_rate"] = hit_rate(score, fwd, 0.0 if regression else 0.5)
    return out


def _fit_score(
    config: ExperimentConfig, x: np.ndarray, y: np.ndarray, x_test: np.ndarray
) -> np.ndarray:
    model = make_model(config.model.kind, config.model.params, config.seed)
    return model.fit(x, y).score(x_test)


def walk_forward(
    ds: Dataset, config: ExperimentConfig, folds: list[Fold], *, progress: bool = True
) -> WalkForwardOutput:
    """Fit on each fold's purged training rows and score its test rows (and the control)."""
    y = target(ds, config)
    labeled = ds.labeled
    fwd = ds.frame[FWD_RETURN].fill_null(np.nan).to_numpy().astype(float)
    rng = np.random.default_rng(config.seed)
    out = WalkForwardOutput(
        np.full(ds.frame.height, np.nan),
        np.full(ds.frame.height, np.nan),
        np.zeros(ds.frame.height, dtype=bool),
    )
    for fold in tqdm(folds, desc="walk-forward folds", unit="fold", disable=not progress):
        train, test = fold_masks(ds.bar_index, ds.label_end_index, fold, config.splits.embargo)
        train &= labeled
        if train.sum() < 10:
            raise ValueError(f"fold {fold.index}: only {int(train.sum())} labeled training rows")
        out.scores[test] = _fit_score(config, ds.x[train], y[train], ds.x[test])
        # Control: identical model and folds, labels permuted inside the training slice.
        out.shuffled_scores[test] = _fit_score(
            config, ds.x[train], rng.permutation(y[train]), ds.x[test]
        )
        out.test_mask |= test
        scored = test & labeled
        metrics = prediction_metrics(config, y[scored], out.scores[scored], fwd[scored])
        metrics.update(train_rows=float(train.sum()), test_rows=float(test.sum()))
        out.fold_metrics.append(metrics)
    return out


def _weights(frame: pl.DataFrame, score: np.ndarray, config: ExperimentConfig) -> pl.DataFrame:
    strat = config.strategy
    parts = []
    for pair in frame["pair"].unique(maintain_order=True).to_list():
        rows = (frame["pair"] == pair).to_numpy()
        weight = signals_to_positions(
            score[rows],
            strat.long_threshold,
            strat.short_threshold,
            allow_short=strat.allow_short,
        )
        parts.append(frame.filter(rows).with_columns(pl.Series("target", weight)))
    return pl.concat(parts)


def backtests(
    ds: Dataset,
    wf: WalkForwardOutput,
    config: ExperimentConfig,
    instruments: dict[str, Instrument] | None = None,
    mask: np.ndarray | None = None,
) -> dict[str, BacktestResult]:
    """Backtest the model, buy-and-hold and the shuffled control on the out-of-sample rows.

    ``mask`` narrows the rows (e.g. to one fold's test window); default all test rows.
    """
    mask = wf.test_mask if mask is None else mask
    oos = (
        ds.frame.filter(mask).select("timestamp", "pair", "open", "close").sort("pair", "timestamp")
    )
    order = ds.frame.with_row_index("_i").filter(mask).sort("pair", "timestamp")["_i"].to_numpy()
    costs = CostModel.from_config(config.costs)
    kwargs: dict[str, Any] = {
        "costs": costs,
        "instruments": instruments,
        "initial_cash": config.strategy.initial_cash,
    }
    hold = oos.with_columns(pl.lit(1.0).alias("target"))
    return {
        "oos": run_backtest(_weights(oos, wf.scores[order], config), **kwargs),
        "bh": run_backtest(hold, **kwargs),
        "shuffled": run_backtest(_weights(oos, wf.shuffled_scores[order], config), **kwargs),
    }


def overall_metrics(
    ds: Dataset, wf: WalkForwardOutput, config: ExperimentConfig, bts: dict[str, BacktestResult]
) -> dict[str, float]:
    """Flat metric dict: ``oos_*`` (model), ``bh_*`` (buy-and-hold), ``shuffled_*`` (control)."""
    y = target(ds, config)
    fwd = ds.frame[FWD_RETURN].fill_null(np.nan).to_numpy().astype(float)
    scored = wf.test_mask & ds.labeled
    out: dict[str, float] = {}
    for prefix, score in (("oos", wf.scores), ("shuffled", wf.shuffled_scores)):
        for key, value in prediction_metrics(config, y[scored], score[scored], fwd[scored]).items():
            out[f"{prefix}_{key}"] = value
    for prefix, result in bts.items():
        result.metrics = trading_metrics(result, config.data.interval_minutes)
        for key, value in result.metrics.items():
            out[f"{prefix}_{key}"] = value
    out["oos_rows"] = float(wf.test_mask.sum())
    return out


def fold_trading_metrics(
    ds: Dataset,
    wf: WalkForwardOutput,
    config: ExperimentConfig,
    folds: list[Fold],
    instruments: dict[str, Instrument] | None = None,
) -> list[dict[str, float]]:
    """Per-fold backtest figures (each test window traded from fresh capital)."""
    out = []
    for fold in folds:
        mask = (ds.bar_index >= fold.test_start) & (ds.bar_index < fold.test_end)
        bts = backtests(ds, wf, config, instruments, mask)
        row: dict[str, float] = {}
        for prefix, result in bts.items():
            metrics = trading_metrics(result, config.data.interval_minutes)
            for key in ("total_return", "sharpe", "max_drawdown", "n_trades"):
                row[f"{prefix}_{key}"] = metrics[key]
        out.append(row)
    return out


def shuffled_warnings(metrics: dict[str, float], config: ExperimentConfig) -> list[str]:
    """Reasons why the shuffled-label control looks too good (a sign of leakage), if any."""
    reasons = []
    # Overlapping label windows make neighbouring rows near-duplicates: count independent ones.
    n = max(metrics.get("oos_rows", 0.0) / config.label.horizon, 1.0)
    auc = metrics.get("shuffled_auc", math.nan)
    if math.isfinite(auc) and auc > 0.5 + 3.0 * math.sqrt(1.0 / (3.0 * n)):
        reasons.append(f"shuffled-label AUC {auc:.3f} is well above 0.5")
    ic = metrics.get("shuffled_rank_ic", math.nan)
    if math.isfinite(ic) and ic > 3.0 / math.sqrt(n):
        reasons.append(
            f"shuffled-label rank IC {ic:.3f} exceeds 3/sqrt(n_eff)={3.0 / math.sqrt(n):.3f}"
        )
    sharpe = metrics.get("shuffled_sharpe", math.nan)
    bh = metrics.get("bh_sharpe", math.nan)
    if math.isfinite(sharpe) and sharpe > 1.0 and (not math.isfinite(bh) or sharpe > bh):
        reasons.append(f"shuffled-label Sharpe after costs {sharpe:.2f} > 1 and beats buy-and-hold")
    return reasons


def plan_folds(ds: Dataset, config: ExperimentConfig) -> list[Fold]:
    """Walk-forward folds over the dataset's unique timestamps."""
    return from_config(ds.n_bars, config.splits, config.label.horizon)

"""Fit a fold's score -> edge calibrators on its training rows only (no test row is read).

Like scikit-learn's ``CalibratedClassifierCV(ensemble=False)``, the calibrator learns from
scores the model did not see its labels for: the last ``calibration_fraction`` of the fold's
training bars are scored by an inner model fitted on the training rows before them (purged by
the label horizon and the embargo), and the isotonic map is fitted on those scores against the
forward return (for a meta-labeled model, the return of taking the primary rule's side). The
fold's own model, fitted on the whole training window, is the one whose test scores the map
turns into edges. The null draws get the same treatment on misaligned targets, so the null is
the whole procedure (model and calibrator) fitted on labels that carry no alignment.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from src.ml.config import ExperimentConfig
from src.ml.dataset import Dataset
from src.ml.labels import FWD_RETURN
from src.ml.nulls import misaligned_labels
from src.ml.policy.calibration import EdgeCalibrator
from src.ml.policy.inputs import rolling_side, rolling_vol
from src.ml.splits import Fold

#: fit_score(seed, x_train, y_train, x_score) -> scores
FitScore = Callable[[int, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def per_pair(ds: Dataset, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``fn`` applied to each pair's closes in time order, scattered back to the rows."""
    close = ds.frame["close"].to_numpy().astype(float)
    pairs = ds.frame["pair"].to_numpy()
    out = np.full(len(close), np.nan)
    for pair in dict.fromkeys(pairs.tolist()):
        idx = np.flatnonzero(pairs == pair)
        out[idx] = fn(close[idx])
    return out


def row_vol(ds: Dataset, config: ExperimentConfig) -> np.ndarray:
    """Trailing volatility per row (the policy's ``vol`` input)."""
    return per_pair(ds, lambda c: rolling_vol(c, config.policy.vol_window))


def row_side(ds: Dataset, config: ExperimentConfig) -> np.ndarray:
    """The meta-labeling primary rule's side per row."""
    return per_pair(ds, lambda c: rolling_side(c, config.label.primary_window))


def calibration_rows(
    ds: Dataset, config: ExperimentConfig, start: int, end: int
) -> tuple[np.ndarray, np.ndarray]:
    """(inner training mask, calibration mask) for a training window ``[start, end)`` of bars.

    Raises:
        ValueError: Too few rows on either side to fit.
    """
    embargo = config.splits.embargo
    cal_start = end - math.ceil(config.policy.calibration_fraction * (end - start))
    labeled = ds.labeled
    ends = ds.label_end_index
    inner = labeled & (ds.bar_index >= start) & (ends >= 0) & (ends < cal_start - embargo)
    fwd = ds.frame[FWD_RETURN].fill_null(np.nan).to_numpy().astype(float)
    cal = (ds.bar_index >= cal_start) & (ds.bar_index < end) & np.isfinite(fwd)
    if config.label.kind == "meta":
        side = row_side(ds, config)
        cal &= np.isfinite(side) & (side != 0)
    if inner.sum() < 10 or cal.sum() < 10:
        raise ValueError(
            f"calibration of bars {start}..{end}: {int(inner.sum())} inner training and "
            f"{int(cal.sum())} calibration rows; raise policy.calibration_fraction or train_size"
        )
    return inner, cal


def calibration_target(ds: Dataset, config: ExperimentConfig, rows: np.ndarray) -> np.ndarray:
    """What the edge estimates on ``rows``: the forward return, or the primary side's."""
    fwd: np.ndarray = ds.frame[FWD_RETURN].fill_null(np.nan).to_numpy().astype(float)[rows]
    if config.label.kind == "meta":
        return np.asarray(fwd * row_side(ds, config)[rows], dtype=float)
    return fwd


def fold_calibrators(
    ds: Dataset,
    config: ExperimentConfig,
    y: np.ndarray,
    fold: Fold,
    fit_score: FitScore,
) -> tuple[list[EdgeCalibrator], list[EdgeCalibrator]]:
    """Calibrators of the fold's seeded models and of its null draws.

    Args:
        ds: The dataset.
        config: The run's config.
        y: The model target per row.
        fold: Its training window ``[train_start, train_end)`` is all that is read.
        fit_score: Fits a model and scores rows.
    """
    inner, cal = calibration_rows(ds, config, fold.train_start, fold.train_end)
    x, y_in, x_cal = ds.x[inner], y[inner], ds.x[cal]
    target = calibration_target(ds, config, cal)
    bins = config.policy.calibration_bins
    seeds = [config.seed + k for k in range(config.null.model_seeds)]
    models = [EdgeCalibrator.fit(fit_score(s, x, y_in, x_cal), target, bins) for s in seeds]
    # Its own stream: the fold's null labels (and so the null scores) stay what they were.
    rng = np.random.default_rng([config.seed, fold.index, 1])
    pairs = ds.frame["pair"].to_numpy()
    horizon = config.label.horizon
    nulls = []
    for j in range(config.null.draws):
        y_null = misaligned_labels(y_in, pairs[inner], rng, config.null, horizon)
        t_null = misaligned_labels(target, pairs[cal], rng, config.null, horizon)
        scores = fit_score(config.seed + j, x, y_null, x_cal)
        nulls.append(EdgeCalibrator.fit(scores, t_null, bins))
    return models, nulls


def final_calibrator(
    ds: Dataset, config: ExperimentConfig, y: np.ndarray, fit_score: FitScore
) -> EdgeCalibrator:
    """The deployable model's calibrator: the same procedure over every bar."""
    inner, cal = calibration_rows(ds, config, 0, ds.n_bars)
    scores = fit_score(config.seed, ds.x[inner], y[inner], ds.x[cal])
    target = calibration_target(ds, config, cal)
    return EdgeCalibrator.fit(scores, target, config.policy.calibration_bins)


__all__ = [
    "calibration_rows",
    "calibration_target",
    "final_calibrator",
    "fold_calibrators",
    "per_pair",
    "row_side",
    "row_vol",
]

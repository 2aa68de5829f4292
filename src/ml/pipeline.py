"""Walk-forward and holdout scoring: fit per fold, score out of sample, against a strong null.

The time axis is cut in two: the walk-forward region, whose folds every selection (the champion
gate, anyone comparing runs) reads, and after a purge gap a final holdout that only reports.
Every fold and the holdout fit the model with ``null.model_seeds`` seeds (error bars) and
``null.draws`` times on misaligned labels (the null, :mod:`src.ml.nulls`). All scores land in
one predictions table, logged with the run, from which :mod:`src.ml.evaluation` computes every
figure, so a run can be re-scored from its record alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl
from tqdm import tqdm

from src.ml.config import ExperimentConfig
from src.ml.dataset import Dataset
from src.ml.distributed import Executor
from src.ml.labels import FWD_RETURN, LABEL, classification_target
from src.ml.metrics import classification_metrics, hit_rate, rank_ic, regression_metrics
from src.ml.models import make_model
from src.ml.nulls import misaligned_labels
from src.ml.policy import SIDE, VOL, DecisionPolicy, edge_column
from src.ml.policy.fitting import final_calibrator, fold_calibrators, row_side, row_vol
from src.ml.splits import Fold, fold_masks, from_config

OOS, HOLDOUT = "oos", "holdout"
SCORE = "score"


def seed_column(k: int) -> str:
    """Column of the model fitted with the ``k``-th extra seed (``k >= 1``)."""
    return f"score_seed{k}"


def null_column(j: int) -> str:
    """Column of the ``j``-th null draw."""
    return f"null{j}"


def target(ds: Dataset, config: ExperimentConfig) -> np.ndarray:
    """Model target per row: the label (regression) or 1 for a positive label (classification)."""
    return target_of(ds.frame[LABEL].fill_null(np.nan).to_numpy().astype(float), config)


def target_of(label: np.ndarray, config: ExperimentConfig) -> np.ndarray:
    """The model target for raw label values (see :func:`target`)."""
    return label if config.label.regression else classification_target(label)


def prediction_metrics(
    config: ExperimentConfig, y: np.ndarray, score: np.ndarray, fwd: np.ndarray
) -> dict[str, float]:
    """AUC and log-loss (or RMSE), rank IC and hit rate on labeled rows."""
    regression = config.label.regression
    out = regression_metrics(y, score) if regression else classification_metrics(y, score)
    out["rank_ic"] = rank_ic(score, fwd)
    out["hit_rate"] = hit_rate(score, fwd, 0.0 if regression else 0.5)
    return out


@dataclass(frozen=True)
class Layout:
    """Where the walk-forward folds and the holdout sit on the bar axis.

    Attributes:
        folds: Walk-forward folds, all inside ``[0, selection_bars)``.
        holdout: The holdout as a fold (trained on the walk-forward region), or None.
        selection_bars: Bars the walk-forward (and so every selection) may read.
    """

    folds: list[Fold]
    holdout: Fold | None
    selection_bars: int


def plan(ds: Dataset, config: ExperimentConfig) -> Layout:
    """Lay out the holdout at the end and the walk-forward folds before its purge gap.

    Raises:
        ValueError: Too few bars for the holdout, its gap and the folds.
    """
    splits = config.splits
    n_hold = math.ceil(ds.n_bars * splits.holdout_fraction) if splits.holdout_fraction else 0
    if not n_hold:
        return Layout(from_config(ds.n_bars, splits, config.label.horizon), None, ds.n_bars)
    gap = splits.holdout_gap
    gap = config.label.horizon + splits.embargo if gap is None else gap
    start = ds.n_bars - n_hold
    selection = start - gap
    try:
        folds = from_config(selection, splits, config.label.horizon)
    except ValueError as exc:
        raise ValueError(
            f"{exc} (the walk-forward region is the {ds.n_bars} bars minus the holdout's "
            f"{n_hold} and its {gap}-bar gap; lower splits.holdout_fraction or use more data)"
        ) from exc
    first = 0 if splits.scheme == "expanding" else selection - splits.train_size
    holdout = Fold(len(folds), first, selection, start, ds.n_bars)
    return Layout(folds, holdout, selection)


def _fit_score(
    config: ExperimentConfig, seed: int, x: np.ndarray, y: np.ndarray, x_test: np.ndarray
) -> np.ndarray:
    model = make_model(config.model.kind, config.model.params, seed)
    return model.fit(x, y).score(x_test)


def _score_fold(
    ds: Dataset, config: ExperimentConfig, y: np.ndarray, fold: Fold
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Test-row mask and the score columns of its rows (seeds, null draws, their edges)."""
    train, test = fold_masks(ds.bar_index, ds.label_end_index, fold, config.splits.embargo)
    train &= ds.labeled
    if train.sum() < 10:
        raise ValueError(f"fold {fold.index}: only {int(train.sum())} labeled training rows")
    x, x_test, y_train = ds.x[train], ds.x[test], y[train]
    seeds = [config.seed + k for k in range(config.null.model_seeds)]
    models = [_fit_score(config, s, x, y_train, x_test) for s in seeds]
    pairs = ds.frame["pair"].to_numpy()[train]
    rng = np.random.default_rng([config.seed, fold.index])
    nulls = [
        _fit_score(
            config,
            config.seed + j,
            x,
            misaligned_labels(y_train, pairs, rng, config.null, config.label.horizon),
            x_test,
        )
        for j in range(config.null.draws)
    ]
    columns = {SCORE: models[0]}
    columns.update({seed_column(k): models[k] for k in range(1, len(models))})
    columns.update({null_column(j): nulls[j] for j in range(len(nulls))})
    if config.policy.kind == "cost_aware":
        cal_models, cal_nulls = fold_calibrators(
            ds, config, y, fold, lambda seed, a, b, c: _fit_score(config, seed, a, b, c)
        )
        names = list(columns)
        for name, cal in zip(names, cal_models + cal_nulls, strict=True):
            columns[edge_column(name)] = cal.edge(columns[name])
    return test, columns


def _fold_job(
    shared: tuple[Dataset, ExperimentConfig, np.ndarray], fold: Fold
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    # Top-level, so a process pool or Ray can pickle it; the dataset comes once per worker.
    ds, config, y = shared
    return _score_fold(ds, config, y, fold)


def walk_forward(
    ds: Dataset,
    config: ExperimentConfig,
    layout: Layout,
    *,
    progress: bool = True,
    executor: Executor | None = None,
) -> pl.DataFrame:
    """Score every fold's test rows and the holdout; return the predictions table.

    Returns:
        One row per scored row: ``timestamp, pair, open, close, fwd_return, label``, ``fold``
        (the holdout's index is ``len(folds)``), ``split`` (``oos`` or ``holdout``),
        ``score`` (the model with ``config.seed``), ``score_seed1..`` and ``null0..``;
        ``vol`` (the policy's trailing volatility), ``side`` (meta labels: the primary rule)
        and, for a cost-aware policy, each score column's calibrated edge (``edge``,
        ``edge_seed1..``, ``edge_null0..``). The same table whether the folds are fitted here
        or on ``executor`` (every fold is a pure function of its data and seeds).
    """
    y = target(ds, config)
    fits = [(f, OOS) for f in layout.folds]
    if layout.holdout is not None:
        fits.append((layout.holdout, HOLDOUT))
    parts = []
    keep = ds.frame.select("timestamp", "pair", "open", "close", FWD_RETURN, LABEL)
    keep = keep.with_columns(pl.Series(VOL, row_vol(ds, config)))
    if config.label.kind == "meta":
        keep = keep.with_columns(pl.Series(SIDE, row_side(ds, config)))
    if executor is None:
        bar = tqdm(fits, desc="walk-forward folds", unit="fold", disable=not progress)
        scored = [_score_fold(ds, config, y, fold) for fold, _ in bar]
    else:
        scored = executor.map(_fold_job, (ds, config, y), [fold for fold, _ in fits])
    for (fold, split), (test, columns) in zip(fits, scored, strict=True):
        part = keep.filter(test).with_columns(
            pl.lit(fold.index, pl.Int32).alias("fold"), pl.lit(split).alias("split")
        )
        parts.append(part.with_columns(**{k: pl.Series(k, v) for k, v in columns.items()}))
    return pl.concat(parts)


def deployed_policy(ds: Dataset, config: ExperimentConfig) -> DecisionPolicy:
    """The decision policy shipped with the final model (its calibrator fitted on all bars)."""
    if config.policy.kind != "cost_aware":
        return DecisionPolicy.from_config(config)
    y = target(ds, config)
    cal = final_calibrator(ds, config, y, lambda seed, a, b, c: _fit_score(config, seed, a, b, c))
    return DecisionPolicy.from_config(config, cal)


def plan_folds(ds: Dataset, config: ExperimentConfig) -> list[Fold]:
    """Walk-forward folds (inside the region before the holdout)."""
    return plan(ds, config).folds


__all__ = [
    "HOLDOUT",
    "OOS",
    "SCORE",
    "Layout",
    "deployed_policy",
    "null_column",
    "plan",
    "plan_folds",
    "prediction_metrics",
    "seed_column",
    "target",
    "target_of",
    "walk_forward",
]

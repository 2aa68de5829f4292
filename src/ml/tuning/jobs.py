"""The unit of work a search hands to the executor: score one fold with one set of parameters.

A job goes through the training pipeline's own :func:`src.ml.pipeline.walk_forward` on a layout
of that single fold, so a trial's scores (and the policy's calibrated edges, volatility and
side columns) are computed exactly as a training run computes them. Jobs are pure functions of
the dataset, the base config, the overrides and the fold: the same job gives the same table on
any worker and any backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from src.ml.config import ExperimentConfig
from src.ml.dataset import Dataset
from src.ml.pipeline import Layout, walk_forward
from src.ml.splits import Fold
from src.ml.tuning.config import apply_overrides

#: Overrides as a hashable, ordered tuple of (dotted path, value).
Overrides = tuple[tuple[str, Any], ...]

#: Parameters that only turn scores into positions: a trial changing only these reuses the
#: scores of an earlier trial with the same model (the edges are the calibrator's, which these
#: do not touch).
DECISION_ONLY = (
    "strategy.",
    "policy.entry_cost_multiple",
    "policy.exit_edge",
    "policy.min_hold",
    "policy.sizing",
    "policy.max_weight",
    "policy.min_weight",
    "policy.target_vol",
    "policy.kelly_fraction",
)


@dataclass(frozen=True)
class Shared:
    """What every job reads and the executor ships once per worker."""

    ds: Dataset
    config: ExperimentConfig


@dataclass(frozen=True)
class FoldJob:
    """Score ``fold``'s test rows with the base config plus ``overrides``.

    Attributes:
        overrides: Dotted config path -> value.
        fold: The fold (training and test bar ranges).
        full: Fit every seed and null draw of the config (an outer fold, reported); else
            the model once (an inner fold, where only the model's figures are read).
    """

    overrides: Overrides
    fold: Fold
    full: bool = False


def as_overrides(params: dict[str, Any]) -> Overrides:
    """Sorted, hashable overrides."""
    return tuple(sorted(params.items()))


def model_key(overrides: Overrides) -> Overrides:
    """The overrides that change the fitted model (decision-only parameters removed)."""
    return tuple((k, v) for k, v in overrides if not k.startswith(DECISION_ONLY))


def job_config(base: ExperimentConfig, job: FoldJob) -> ExperimentConfig:
    """The config a job runs with."""
    config = apply_overrides(base, dict(job.overrides))
    if job.full:
        return config
    # The pipeline fits the null at least once; an inner fold's objective reads the model
    # only, so fit one seed and one (unused) draw rather than the configured error bars.
    null = config.null.model_copy(update={"draws": 1, "model_seeds": 1})
    return config.model_copy(update={"null": null})


def run_fold(shared: Shared, job: FoldJob) -> pl.DataFrame:
    """The predictions table of one fold (see :func:`src.ml.pipeline.walk_forward`)."""
    config = job_config(shared.config, job)
    layout = Layout([job.fold], None, job.fold.test_end)
    return walk_forward(shared.ds, config, layout, progress=False)


def unsafe_rows(ds: Dataset, limit: int, embargo: int) -> pl.DataFrame:
    """``timestamp, pair`` of rows whose label ends at or after bar ``limit - embargo``.

    An inner test row's label normally ends well before the outer test window (the outer
    fold's purge gap), but across a data gap it can reach into it: such rows are dropped from
    the objective, so no outer test bar ever informs a choice.
    """
    reach = (ds.label_end_index >= limit - embargo) & (ds.bar_index < limit)
    return ds.frame.select("timestamp", "pair").filter(pl.Series(reach))


def score_only(table: pl.DataFrame) -> pl.DataFrame:
    """The table without the seed and null columns (what an objective reads)."""
    drop = [c for c in table.columns if c.startswith(("score_seed", "null", "edge_"))]
    return table.drop(drop)


def sharpe_per_bar(metrics: dict[str, float], bars_per_year: float) -> float:
    """Annualized Sharpe back to per bar (what the deflated Sharpe ratio compares)."""
    return float(metrics.get("sharpe", np.nan)) / float(np.sqrt(bars_per_year))


__all__ = [
    "DECISION_ONLY",
    "FoldJob",
    "Overrides",
    "Shared",
    "as_overrides",
    "job_config",
    "model_key",
    "run_fold",
    "score_only",
    "sharpe_per_bar",
    "unsafe_rows",
]

"""The final holdout: after the walk-forward, behind a purge gap, reported on its own."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from src.ml.config import ExperimentConfig
from src.ml.dataset import Dataset, build_dataset, load_candles, resolve_spec
from src.ml.evaluation import evaluate
from src.ml.pipeline import HOLDOUT, OOS, plan, walk_forward
from src.ml.splits import fold_masks

ConfigFactory = Callable[..., ExperimentConfig]


@pytest.fixture(scope="module")
def dataset(small_config: ConfigFactory) -> tuple[ExperimentConfig, Dataset]:
    config = small_config("sqlite://")
    candles = load_candles(config.data)
    return config, build_dataset(candles, config, resolve_spec(config))


def test_holdout_sits_at_the_end_behind_a_gap_no_walk_forward_label_crosses(
    dataset: tuple[ExperimentConfig, Dataset],
) -> None:
    config, ds = dataset
    layout = plan(ds, config)
    assert layout.holdout is not None
    start = layout.holdout.test_start
    assert ds.n_bars - start == math.ceil(0.15 * ds.n_bars)
    gap = config.label.horizon + config.splits.embargo
    assert layout.selection_bars == start - gap
    reach = []
    for fold in layout.folds:
        train, test = fold_masks(ds.bar_index, ds.label_end_index, fold, config.splits.embargo)
        train &= ds.labeled
        assert ds.bar_index[test].max() < layout.selection_bars
        # Every label the walk-forward trains or scores on ends before the holdout starts.
        ends = ds.label_end_index[(train | test) & ds.labeled]
        reach.append(int(ends.max()))
    assert max(reach) < start
    train, test = fold_masks(
        ds.bar_index, ds.label_end_index, layout.holdout, config.splits.embargo
    )
    assert ds.bar_index[test].min() == start and ds.bar_index[test].max() == ds.n_bars - 1
    assert ds.label_end_index[train & ds.labeled].max() < start - config.splits.embargo


def test_no_holdout_when_the_fraction_is_zero(small_config: ConfigFactory) -> None:
    splits = {"n_folds": 2, "train_size": 600, "test_size": 250, "holdout_fraction": 0.0}
    config = small_config("sqlite://", splits=splits)
    ds = build_dataset(load_candles(config.data), config, resolve_spec(config))
    layout = plan(ds, config)
    assert layout.holdout is None and layout.folds[-1].test_end == ds.n_bars


def test_a_holdout_that_leaves_too_little_says_what_to_change(small_config: ConfigFactory) -> None:
    splits = {"n_folds": 2, "train_size": 600, "test_size": 250, "holdout_fraction": 0.5}
    config = small_config("sqlite://", splits=splits)
    ds = build_dataset(load_candles(config.data), config, resolve_spec(config))
    with pytest.raises(ValueError, match=r"lower splits\.holdout_fraction"):
        plan(ds, config)


def test_holdout_rows_are_scored_and_reported_apart(
    dataset: tuple[ExperimentConfig, Dataset],
) -> None:
    config, ds = dataset
    layout = plan(ds, config)
    table = walk_forward(ds, config, layout, progress=False)
    assert layout.holdout is not None
    held = table.filter(table["split"] == HOLDOUT)
    start = ds.frame["timestamp"].unique().sort()[layout.holdout.test_start]
    assert held["timestamp"].min() == start
    assert table.filter(table["split"] == OOS)["timestamp"].max() < start
    assert set(table.columns) >= {"score", "score_seed1", "null0", "null2", "fold"}
    metrics = evaluate(table, config, None).metrics
    for key in ("sharpe", "auc", "rank_ic"):
        assert math.isfinite(metrics[f"holdout_{key}"])
        assert f"holdout_shuffled_{key}_std" in metrics and f"holdout_{key}_z" in metrics
    assert metrics["holdout_rows"] == held.height
    assert metrics["oos_rows"] == table.height - held.height
    # The OOS figures are those of the walk-forward rows only.
    only_oos = evaluate(table.filter(table["split"] == OOS), config, None).metrics
    assert only_oos["oos_sharpe"] == metrics["oos_sharpe"]
    assert "holdout_sharpe" not in only_oos
    assert np.isfinite(metrics["oos_auc_fold_std"])

"""Nested tuning: outer test rows never reach a choice, trials nest in MLflow, runs repeat."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from mlflow.tracking import MlflowClient

from src.ml.config import ExperimentConfig
from src.ml.dataset import Dataset, build_dataset, load_candles, resolve_spec
from src.ml.distributed import ProcessPool
from src.ml.labels import FWD_RETURN, LABEL
from src.ml.pipeline import plan
from src.ml.tracking import MLflowTracker, NullTracker
from src.ml.tuning import TuneConfig, apply_overrides, nested_search, tune
from src.ml.tuning.rebuild import rebuild
from tests.unit.ml.conftest import ConfigFactory

SEARCH = TuneConfig.model_validate(
    {
        "n_trials": 3,
        "inner_folds": 2,
        "inner_train_size": 200,
        "inner_test_size": 100,
        "batch": 2,
        "final_search": False,
        "space": {
            "model.params.num_leaves": {"kind": "int", "low": 4, "high": 31},
            "strategy.long_threshold": {"low": 0.5, "high": 0.6},
        },
    }
)


def _dataset(config: ExperimentConfig) -> Dataset:
    candles = load_candles(config.data)
    return build_dataset(candles, config, resolve_spec(config))


def _poison_from(ds: Dataset, bar: int, seed: int = 0) -> Dataset:
    """The dataset with every row at or after ``bar`` replaced by noise (prices, labels, x)."""
    rng = np.random.default_rng(seed)
    late = ds.bar_index >= bar
    x = ds.x.copy()
    x[late] = rng.normal(size=x[late].shape)
    mask = pl.Series(late)
    noise = pl.Series(rng.normal(0, 0.05, ds.frame.height))
    flip = pl.Series(rng.integers(0, 2, ds.frame.height).astype(float))
    frame = ds.frame.with_columns(
        pl.when(mask).then(pl.col("close") * (1 + noise)).otherwise(pl.col("close")).alias("close"),
        pl.when(mask).then(noise).otherwise(pl.col(FWD_RETURN)).alias(FWD_RETURN),
        pl.when(mask & pl.col(LABEL).is_not_null())
        .then(flip)
        .otherwise(pl.col(LABEL))
        .alias(LABEL),
    )
    return replace(ds, frame=frame, x=x)


def test_outer_test_rows_and_the_holdout_never_reach_the_objective(
    small_config: ConfigFactory,
) -> None:
    config = small_config("sqlite:///unused.db")
    ds = _dataset(config)
    layout = plan(ds, config)
    assert layout.holdout is not None
    base = nested_search(ds, config, SEARCH, ProcessPool(1))
    first = layout.folds[0]
    # Noise from the first outer test window on: the first study's trials are unchanged...
    poisoned = nested_search(_poison_from(ds, first.test_start), config, SEARCH, ProcessPool(1))
    before = [(t.params, t.value) for t in base.studies[0].trials]
    assert [(t.params, t.value) for t in poisoned.studies[0].trials] == before
    # ...while what those rows feed (the later studies and the outer report) does change.
    assert base.evaluation.metrics["oos_sharpe"] != poisoned.evaluation.metrics["oos_sharpe"]
    # Noise over the holdout changes nothing at all: no trial and no reported figure.
    hidden = nested_search(
        _poison_from(ds, layout.holdout.test_start), config, SEARCH, ProcessPool(1)
    )
    assert [t.value for t in hidden.trials] == [t.value for t in base.trials]
    assert hidden.evaluation.metrics == base.evaluation.metrics


def test_each_outer_fold_is_scored_with_its_own_choice(small_config: ConfigFactory) -> None:
    config = small_config("sqlite:///unused.db")
    found = nested_search(_dataset(config), config, SEARCH, ProcessPool(1))
    assert [s.outer for s in found.studies] == [0, 1]
    for study in found.studies:
        assert len(study.trials) == SEARCH.n_trials
        assert study.best.value == max(t.value for t in study.trials)
        chosen = found.fold_configs[study.outer]
        assert chosen == apply_overrides(config, study.best.params)
        # The inner folds lie inside the outer fold's training window.
        outer = found.outer_folds[study.outer]
        assert all(f.test_end <= outer.train_end for f in study.folds)
    assert set(found.table["fold"].unique().to_list()) == {0, 1}
    assert "null0" in found.table.columns  # the outer folds carry the null draws


def test_trials_are_child_runs_and_a_repeat_gives_the_same_figures(
    small_config: ConfigFactory, tracking_uri: str
) -> None:
    config = small_config(tracking_uri)
    first = tune(config, SEARCH, MLflowTracker(tracking_uri), executor=ProcessPool(1))
    client = MlflowClient(tracking_uri)
    parent = client.get_run(first.run_id)
    children = client.search_runs(
        [parent.info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{first.run_id}'",
    )
    assert len(children) == 2 * SEARCH.n_trials
    assert {c.data.tags["study"] for c in children} == {"outer0", "outer1"}
    assert all("oos_sharpe_per_bar" in c.data.metrics for c in children)
    assert parent.data.params["data_hash"] and parent.data.params["git_commit"]
    assert parent.data.metrics["n_trials"] == 2 * SEARCH.n_trials + 1
    names = {a.path for a in client.list_artifacts(first.run_id, "report")}
    assert names == {"report/quant_report.csv", "report/quant_report.json"}
    assert first.report["fold"].to_list() == ["0", "1", "pooled"]
    rebuilt = rebuild(first.run_id, tracking_uri)
    assert rebuilt.tune == SEARCH and rebuilt.config == config and rebuilt.data_matches
    second = tune(config, SEARCH, NullTracker(), executor=ProcessPool(1))
    assert [t.value for t in second.search.trials] == [t.value for t in first.search.trials]
    keep = {k: v for k, v in first.metrics.items() if "trial" not in k and "deflated" not in k}
    assert {k: second.metrics[k] for k in keep if "expected_max" not in k} == {
        k: v for k, v in keep.items() if "expected_max" not in k
    }


def test_a_search_may_not_change_the_rows_it_compares_on() -> None:
    with pytest.raises(ValueError, match="change the dataset"):
        TuneConfig.model_validate(
            {"space": {"label.horizon": {"kind": "int", "low": 2, "high": 8}}}
        )
    with pytest.raises(ValueError, match="not a config field"):
        apply_overrides(ExperimentConfig(), {"strategy.nope": 1})

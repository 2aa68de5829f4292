"""The calibrators read their fold's training rows only, and a run records its policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from src.ml.config import ExperimentConfig
from src.ml.dataset import Dataset, build_dataset, load_candles, resolve_spec
from src.ml.evaluation import evaluate
from src.ml.labels import FWD_RETURN
from src.ml.models import make_model
from src.ml.pipeline import SCORE, deployed_policy, plan, target, walk_forward
from src.ml.policy import DecisionPolicy
from src.ml.policy.fitting import calibration_rows, fold_calibrators
from src.ml.train import train
from tests.unit.ml.test_pipeline import RecordingTracker

ConfigFactory = Callable[..., ExperimentConfig]
COST_AWARE = {"kind": "cost_aware", "calibration_fraction": 0.4}


@pytest.fixture(scope="module")
def setup(small_config: ConfigFactory) -> tuple[ExperimentConfig, Dataset]:
    config = small_config("sqlite://", policy=COST_AWARE)
    candles = load_candles(config.data)
    return config, build_dataset(candles, config, resolve_spec(config))


def _fit(config: ExperimentConfig) -> Callable[..., np.ndarray]:
    def fit_score(seed: int, x: np.ndarray, y: np.ndarray, x_score: np.ndarray) -> np.ndarray:
        return make_model(config.model.kind, config.model.params, seed).fit(x, y).score(x_score)

    return fit_score


def test_calibration_rows_sit_inside_the_training_window_purged(
    setup: tuple[ExperimentConfig, Dataset],
) -> None:
    config, ds = setup
    fold = plan(ds, config).folds[1]
    inner, cal = calibration_rows(ds, config, fold.train_start, fold.train_end)
    cal_start = fold.train_end - int(np.ceil(0.4 * (fold.train_end - fold.train_start)))
    assert ds.bar_index[cal].min() == cal_start and ds.bar_index[cal].max() < fold.train_end
    # The inner model's labels end before the calibration rows start (minus the embargo).
    assert ds.label_end_index[inner].max() < cal_start - config.splits.embargo
    assert not (inner & cal).any()


def test_the_calibrators_do_not_read_the_test_rows(
    setup: tuple[ExperimentConfig, Dataset],
) -> None:
    config, ds = setup
    fold = plan(ds, config).folds[1]
    y = target(ds, config)
    before = fold_calibrators(ds, config, y, fold, _fit(config))
    # Scramble everything from the fold's test window on: features, returns, labels.
    later = ds.bar_index >= fold.train_end
    rng = np.random.default_rng(5)
    x = ds.x.copy()
    x[later] = rng.normal(size=x[later].shape)
    fwd = ds.frame[FWD_RETURN].to_numpy().copy()
    fwd[later] = rng.normal(size=int(later.sum()))
    frame = ds.frame.with_columns(pl.Series(FWD_RETURN, fwd))
    after = fold_calibrators(replace(ds, frame=frame, x=x), config, y, fold, _fit(config))
    assert before == after
    assert len(before[0]) == config.null.model_seeds and len(before[1]) == config.null.draws
    assert before[0][0] != before[1][0]  # the null's calibrator learns from misaligned rows


def test_walk_forward_writes_edges_that_the_backtest_trades(
    setup: tuple[ExperimentConfig, Dataset],
) -> None:
    config, ds = setup
    table = walk_forward(ds, config, plan(ds, config), progress=False)
    assert {"vol", "edge", "edge_seed1", "edge_null0", "edge_null2"} <= set(table.columns)
    # Each fold's edges are its own calibrator of its own scores: monotone in the score.
    for fold in table["fold"].unique().to_list():
        rows = table.filter(pl.col("fold") == fold).sort(SCORE)
        assert np.all(np.diff(rows["edge"].to_numpy()) >= -1e-15)
    ev = evaluate(table, config, None)
    threshold = config.model_copy(update={"policy": config.policy.model_copy(
        update={"kind": "threshold"})})  # fmt: skip
    old = evaluate(table, threshold, None)
    # Same scores, other decisions: prediction figures equal, trading figures not.
    assert ev.metrics["oos_auc"] == old.metrics["oos_auc"]
    assert ev.metrics["oos_n_trades"] != old.metrics["oos_n_trades"]


def test_a_run_records_its_policy_and_ships_it_with_the_model(
    small_config: ConfigFactory,
) -> None:
    config = small_config("sqlite://", policy=COST_AWARE)
    tracker = PolicyTracker()
    result = train(config, tracker, progress=False)
    assert tracker.params["policy.kind"] == "cost_aware"
    assert tracker.params["policy.entry_cost_multiple"] == 1.0
    doc = tracker.spec_doc["policy"]
    assert isinstance(doc, dict)
    shipped = DecisionPolicy.from_dict(doc)
    assert shipped == tracker.policy_json
    assert shipped.cost_aware and shipped.calibrator is not None
    assert shipped.round_trip == pytest.approx(0.0084)
    candles = load_candles(config.data)
    ds = build_dataset(candles, config, resolve_spec(config))
    assert deployed_policy(ds, config) == shipped  # rebuilt from the same data: the same
    assert result.metrics["oos_n_trades"] >= 0


class PolicyTracker(RecordingTracker):
    """Also keeps the model's spec document and the logged policy artifact."""

    def __init__(self) -> None:
        super().__init__()
        self.spec_doc: dict[str, object] = {}
        self.policy_json: DecisionPolicy | None = None

    def log_model(self, model: object, feature_spec: dict[str, object], example: object) -> str:
        self.spec_doc = feature_spec
        return "memory://model"

    def log_artifact(self, path: object, artifact_path: str | None = None) -> None:
        import json
        from pathlib import Path

        if Path(str(path)).name == "policy.json":
            doc = json.loads(Path(str(path)).read_text("utf-8"))
            self.policy_json = DecisionPolicy.from_dict(doc)

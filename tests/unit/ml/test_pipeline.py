"""Pipeline behaviour with an injected tracker: shuffled-label alarm, regression runs, configs."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import src.ml.runner as runner_module
from src.core.errors import ConfigurationError
from src.ml.config import DEFAULT_CONFIG_PATH, ExperimentConfig, load_config
from src.ml.evaluation import shuffled_warnings
from src.ml.models import Model
from src.ml.tracking import NullTracker, Tracker
from src.ml.train import summary_table, train

ConfigFactory = Callable[..., ExperimentConfig]


class RecordingTracker(NullTracker):
    """Keeps what a run logged, in memory."""

    def __init__(self) -> None:
        self.tags: dict[str, str] = {}
        self.metrics: dict[str, float] = {}
        self.params: dict[str, Any] = {}
        self.registered: list[str] = []
        self.status = ""

    def log_params(self, params: dict[str, Any]) -> None:
        self.params.update(params)

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.metrics.update(metrics)

    def set_tags(self, tags: dict[str, str]) -> None:
        self.tags.update(tags)

    def log_model(self, model: Model, feature_spec: dict[str, Any], input_example: Any) -> str:
        return "memory://model"

    def register_champion(self, model_uri: str, name: str) -> str:
        self.registered.append(model_uri)
        return "1"

    def end_run(self, status: str = "FINISHED") -> None:
        self.status = status


def test_tracker_protocol_is_met_by_both_trackers() -> None:
    assert isinstance(NullTracker(), Tracker)
    assert isinstance(RecordingTracker(), Tracker)


def test_shuffled_control_alarm_conditions(small_config: ConfigFactory) -> None:
    calm = {
        "oos_rows": 16000.0,
        "shuffled_auc": 0.505,
        "shuffled_rank_ic": 0.01,
        "shuffled_sharpe": -1.0,
        "bh_sharpe": 0.5,
    }
    assert shuffled_warnings(calm, small_config("sqlite://")) == []
    leaky = calm | {"shuffled_auc": 0.62, "shuffled_rank_ic": 0.2, "shuffled_sharpe": 2.5}
    reasons = shuffled_warnings(leaky, small_config("sqlite://"))
    assert len(reasons) == 3
    assert any("AUC 0.620" in r for r in reasons)


def test_suspicious_control_tags_the_run_warns_and_blocks_registration(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    small_config: ConfigFactory,
) -> None:
    monkeypatch.setattr(runner_module, "shuffled_warnings", lambda m, c: ["planted for the test"])
    tracker = RecordingTracker()
    result = train(small_config("sqlite://"), tracker, progress=False)
    assert result.warnings == ["planted for the test"]
    assert tracker.tags["shuffled_control"] == "SUSPICIOUS"
    assert "planted" in tracker.tags["warning"]
    assert not result.registered and tracker.registered == []
    assert "SHUFFLED-LABEL CONTROL LOOKS GOOD" in caplog.text


def test_clean_run_with_injected_tracker_registers_and_finishes(
    small_config: ConfigFactory,
) -> None:
    tracker = RecordingTracker()
    result = train(small_config("sqlite://"), tracker, progress=False)
    assert tracker.status == "FINISHED"
    assert tracker.tags["shuffled_control"] == "ok"
    assert result.registered and tracker.registered == ["memory://model"]
    assert tracker.params["data_rows"] == 3000
    assert set(result.metrics) == set(tracker.metrics) - {
        k for k in tracker.metrics if k.startswith("fold_")
    }


def test_regression_run_reports_rmse(small_config: ConfigFactory) -> None:
    config = small_config(
        "sqlite://",
        label={"kind": "forward_return", "horizon": 4},
        model={"kind": "lgbm_regressor", "params": {"n_estimators": 10}},
        strategy={"long_threshold": 0.0, "short_threshold": 0.0},
    )
    result = train(config, RecordingTracker(), progress=False)
    assert math.isfinite(result.metrics["oos_rmse"])
    assert "oos_auc" not in result.metrics
    assert "rmse" in summary_table(result.metrics)


def test_failed_run_is_marked_failed(small_config: ConfigFactory) -> None:
    tracker = RecordingTracker()
    config = small_config("sqlite://", splits={"n_folds": 9, "train_size": 600, "test_size": 250})
    with pytest.raises(ValueError, match="walk-forward needs at least"):
        train(config, tracker, progress=False)
    assert tracker.status == "FAILED"


def test_config_validation_errors_are_specific(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs a regressor"):
        ExperimentConfig.model_validate({"label": {"kind": "forward_return"}})
    with pytest.raises(ConfigurationError, match="not found"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nkind = 'xgboost'\n")
    with pytest.raises(ConfigurationError, match="invalid config"):
        load_config(bad)


def test_default_config_ships_btc_and_eth_hourly() -> None:
    config = load_config(DEFAULT_CONFIG_PATH)
    assert config.data.pairs == ["BTC/USD", "ETH/USD"]
    assert config.data.interval_minutes == 60
    assert config.costs.taker_fee == 0.004 and config.costs.maker_fee == 0.0025


def test_triple_barrier_run_uses_fee_aware_labels(small_config: ConfigFactory) -> None:
    config = small_config(
        "sqlite://",
        label={"kind": "triple_barrier", "horizon": 12, "profit_take": 0.01, "stop_loss": 0.01},
        model={"kind": "random_forest", "params": {"n_estimators": 10}},
    )
    result = train(config, RecordingTracker(), progress=False)
    assert 0.0 <= result.metrics["oos_auc"] <= 1.0
    assert [f["test_rows"] for f in result.fold_metrics] == [500.0, 500.0]  # 250 bars x 2 pairs

"""Real training runs into a temp MLflow store: artifacts, metrics, champion, repeatability."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from src.ml.config import ExperimentConfig
from src.ml.dataset import build_dataset, load_candles, resolve_spec
from src.ml.registry import load_champion
from tests.support.paths import MARKET_DATA
from tests.unit.ml.conftest import Store

PREFIXES = ("oos_", "bh_", "shuffled_")
TRADING = (
    "total_return",
    "annualized_return",
    "sharpe",
    "sortino",
    "max_drawdown",
    "turnover",
    "n_trades",
)


def _artifacts(client: MlflowClient, run_id: str, path: str = "") -> set[str]:
    out: set[str] = set()
    for item in client.list_artifacts(run_id, path or None):
        out |= _artifacts(client, run_id, item.path) if item.is_dir else {item.path}
    return out


def test_run_logs_params_data_range_hash_and_every_artifact(store: Store) -> None:
    uri, first, _ = store
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(first.run_id)
    params = run.data.params
    assert len(params["data_hash"]) == 64
    assert params["data_start"].startswith("2022") and params["data_end"].startswith("2023")
    assert params["model.kind"] == "lgbm_classifier"
    assert params["label.horizon"] == "4"
    files = _artifacts(client, first.run_id)
    for needed in (
        "plots/feature_importance.png",
        "plots/equity_curve.png",
        "backtest/oos_trades.csv",
        "model/MLmodel",
        "model/artifacts/feature_spec.json",
        "model/artifacts/native/model.lgb.txt",
        "model/artifacts/native/model_meta.json",
        "plots/holdout_equity.png",
        "config.json",
        "predictions/predictions.parquet",
        "predictions/schema.json",
        "lineage/code.json",
        "lineage/data.json",
        "environment/requirements.txt",
        "environment/environment.json",
        "checks/causality.json",
        "gate/decision.json",
    ):
        assert needed in files, needed
    local = Path(client.download_artifacts(first.run_id, "model"))
    mlmodel = (local / "MLmodel").read_text()
    assert "signature:" in mlmodel and "inputs:" in mlmodel
    assert "saved_input_example_info" in mlmodel


def test_metrics_out_of_sample_next_to_buy_and_hold_and_shuffled(store: Store) -> None:
    uri, first, _ = store
    logged = MlflowClient(tracking_uri=uri).get_run(first.run_id).data.metrics
    for prefix in PREFIXES:
        for key in TRADING:
            assert f"{prefix}{key}" in first.metrics
            assert logged[f"{prefix}{key}"] == pytest.approx(first.metrics[f"{prefix}{key}"])
    for key in ("auc", "log_loss", "rank_ic", "hit_rate"):
        assert math.isfinite(first.metrics[f"oos_{key}"])
        assert f"shuffled_{key}" in first.metrics
    assert first.metrics["bh_n_trades"] == 2  # one entry per pair
    # The shuffled control must look like noise on real data (~1000 overlapping 4-bar labels).
    assert abs(first.metrics["shuffled_auc"] - 0.5) < 0.1
    client = MlflowClient(tracking_uri=uri)
    for name in ("fold_auc", "fold_oos_sharpe", "fold_bh_total_return", "fold_oos_n_trades"):
        history = client.get_metric_history(first.run_id, name)
        assert sorted(m.step for m in history) == [0, 1], name
    assert len(first.fold_metrics) == 2


def test_same_seed_and_data_give_the_same_metrics(store: Store) -> None:
    _, first, second = store
    assert first.run_id != second.run_id
    assert first.metrics.keys() == second.metrics.keys()
    # The trial correction depends on how many runs the experiment holds: the second run is
    # the second trial, so its expected-best-of-noise Sharpe is higher and its DSR lower.
    trials = {"n_trials", "oos_expected_max_sharpe_per_bar", "oos_deflated_sharpe"}
    assert (first.metrics["n_trials"], second.metrics["n_trials"]) == (1.0, 2.0)
    assert second.metrics["oos_expected_max_sharpe_per_bar"] > 0.0
    assert second.metrics["oos_deflated_sharpe"] < first.metrics["oos_deflated_sharpe"]
    for key, value in first.metrics.items():
        other = second.metrics[key]
        if key not in trials:
            assert (math.isnan(value) and math.isnan(other)) or value == other, key


def test_champion_only_on_a_strict_out_of_sample_win(store: Store) -> None:
    uri, first, second = store
    client = MlflowClient(tracking_uri=uri)
    assert first.registered
    assert not second.registered  # equal, not better
    version = client.get_model_version_by_alias("test-signal", "champion")
    assert version.run_id == first.run_id
    assert client.get_run(second.run_id).data.tags["champion"] == "no"
    assert client.get_run(first.run_id).data.tags["shuffled_control"] == "ok"


def test_load_champion_returns_the_model_and_its_exact_feature_spec(
    store: Store, tmp_path: Path, small_config: Callable[..., ExperimentConfig]
) -> None:
    uri, first, _ = store
    champion = load_champion("test-signal", uri)
    config = small_config(uri)
    spec = resolve_spec(config)
    assert champion.feature_spec == spec
    ds = build_dataset(load_candles(config.data), config, champion.feature_spec)
    assert champion.feature_names == ds.feature_names
    scores = champion.model.score(ds.x[-50:])
    assert ((scores >= 0) & (scores <= 1)).all()
    import mlflow.pyfunc

    # The pyfunc flavour (what MLflow serving would use) agrees with the native model.
    local = MlflowClient(tracking_uri=uri).download_artifacts(first.run_id, "model", str(tmp_path))
    served = mlflow.pyfunc.load_model(local)
    frame = ds.frame.select(ds.feature_names).tail(50).to_pandas()
    np.testing.assert_allclose(served.predict(frame), scores)


def test_load_champion_without_one_is_a_clear_error(tracking_uri: str) -> None:
    with pytest.raises(LookupError, match="no model aliased 'champion'"):
        load_champion("nothing-here", tracking_uri)


def test_cli_trains_from_toml_and_prints_summary_and_run_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from src.ml.train import main

    data_dir = MARKET_DATA / "kraken-ohlcvt-60m"
    config = tmp_path / "run.toml"
    config.write_text(
        f"""
name = "cli"
[data]
pairs = ["BTC/USD", "ETH/USD"]
data_dir = "{data_dir}"
max_rows = 1200
[splits]
n_folds = 2
train_size = 500
test_size = 200
[model]
kind = "logistic"
[null]
draws = 3
[tracking]
experiment = "cli"
"""
    )
    uri = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["--config", str(config), "--tracking-uri", uri, "--no-progress"]) == 0
    out = capsys.readouterr().out
    run_id = out.strip().splitlines()[-1].removeprefix("MLflow run id: ")
    for heading in ("model (OOS)", "buy & hold", "null mean", "holdout", "vs null"):
        assert heading in out, heading
    assert "gate: " in out and "deflated Sharpe" in out  # the verdict and its reasons
    assert MlflowClient(tracking_uri=uri).get_run(run_id).info.status == "FINISHED"
    assert (tmp_path / "mlartifacts").is_dir()  # artifacts beside the sqlite file

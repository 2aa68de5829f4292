"""A training run prints and logs the quant report next to the baselines, the null and the gate."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mlflow.tracking import MlflowClient

import src.ml.train as train_module
from src.ml.config import ExperimentConfig
from src.ml.tracking import NullTracker
from src.ml.train import main, train

ConfigFactory = Callable[..., ExperimentConfig]


class ArtifactTracker(NullTracker):
    """Keeps a copy of every artifact a run logs, by ``folder/name``."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        key = f"{artifact_path}/{Path(path).name}" if artifact_path else Path(path).name
        self.files[key] = Path(path).read_bytes()

    def log_model(self, model: Any, feature_spec: dict[str, Any], input_example: Any) -> str:
        return "memory://model"


def test_report_holds_every_fold_the_pool_baselines_and_the_gate(
    small_config: ConfigFactory,
) -> None:
    tracker = ArtifactTracker()
    result = train(small_config("sqlite://"), tracker, progress=False)
    text = result.report
    for title in ("IC", "ICIR", "Rank IC", "Rank ICIR", "hit rate", "turnover", "Sortino"):
        assert f" {title}" in text
    for title in ("max DD", "B&H Sharpe", "null Sharpe", "buy & hold", "null mean"):
        assert title in text
    lines = text.splitlines()
    # One row per walk-forward fold, then the pooled row, all in the table.
    folds = [line.split()[0] for line in lines if line.strip()[:1].isdigit()]
    assert len([f for f in folds if f.isdigit()]) >= len(result.fold_metrics)
    pooled = next(line for line in lines if line.startswith("  pooled"))
    assert f"{result.metrics['oos_sharpe']:.3f}" in pooled
    assert f"{result.metrics['bh_sharpe']:.3f}" in pooled
    for reason in result.gate_reasons:  # every reason the gate gave, verbatim
        assert f"  {reason}" in lines
    # The same text and the table went to the run's record.
    assert tracker.files["report/train_report.txt"].decode().strip() == text.strip()
    doc = json.loads(tracker.files["report/quant_report.json"])
    assert doc["data"][-1][0] == "pooled"
    assert len(doc["data"]) == len(result.fold_metrics) + 1
    sharpe = doc["columns"].index("Sharpe")
    assert doc["data"][-1][sharpe] == pytest.approx(result.metrics["oos_sharpe"])
    assert "report/quant_report.csv" in tracker.files


def test_cli_prints_the_report_and_mlflow_keeps_it(
    small_config: ConfigFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    config = small_config(uri)
    monkeypatch.setattr(train_module, "load_config", lambda path: config)
    assert main(["--config", "small.toml", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "Rank ICIR" in out and "pooled" in out and "gate: " in out
    run_id = out.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    client = MlflowClient(tracking_uri=uri)
    saved = Path(client.download_artifacts(run_id, "report/train_report.txt", str(tmp_path)))
    assert saved.read_text(encoding="utf-8").strip() in out

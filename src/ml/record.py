"""The run's record in MLflow, complete enough to re-score and trace the run from it alone.

Besides params, metrics and the model, every run logs:

* ``config.json``: the full experiment config (features, costs, thresholds, instruments);
* ``predictions/predictions.parquet``: every out-of-sample and holdout row with its prices,
  label, fold and the scores of the model, its extra seeds and every null draw;
* ``lineage/code.json`` (commit, dirty flag, changed files), ``lineage/src.diff`` when the
  checkout is dirty, ``lineage/data.json`` (candle files, SHA-256, rows and time range);
* ``environment/requirements.txt`` (every installed package, pinned) and
  ``environment/environment.json`` (Python, platform, ``uv.lock`` SHA-256);
* ``checks/causality.json`` and ``gate/decision.json``.

:func:`rescore` downloads ``config.json`` and the predictions and recomputes the figures.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from src.ml.config import ExperimentConfig, instruments_from
from src.ml.evaluation import evaluate, predictions_schema
from src.ml.lineage import (
    CodeVersion,
    code_record,
    environment,
    installed_requirements,
)
from src.ml.tracking import Tracker, resolve_tracking_uri

CONFIG_FILE = "config.json"
PREDICTIONS = "predictions/predictions.parquet"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, default=str)


def log_inputs(
    tracker: Tracker,
    config: ExperimentConfig,
    code: CodeVersion,
    data: dict[str, Any],
) -> None:
    """Log the config, the code version, the data lineage and the pinned environment."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tracker.log_artifact(_write(folder, CONFIG_FILE, config.model_dump_json(indent=2)))
        tracker.log_artifact(_write(folder, "code.json", _json(code_record(code))), "lineage")
        if code.src_diff:
            tracker.log_artifact(_write(folder, "src.diff", code.src_diff), "lineage")
        tracker.log_artifact(_write(folder, "data.json", _json(data)), "lineage")
        reqs = "\n".join(installed_requirements()) + "\n"
        tracker.log_artifact(_write(folder, "requirements.txt", reqs), "environment")
        tracker.log_artifact(
            _write(folder, "environment.json", _json(environment())), "environment"
        )


def log_json(tracker: Tracker, value: Any, name: str, artifact_path: str) -> None:
    """Log ``value`` as the JSON file ``artifact_path/name``."""
    with tempfile.TemporaryDirectory() as tmp:
        tracker.log_artifact(_write(Path(tmp), name, _json(value)), artifact_path)


def log_predictions(tracker: Tracker, table: pl.DataFrame) -> None:
    """Log the predictions table (parquet, exact float64) and its schema."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(PREDICTIONS).name
        table.write_parquet(path)
        tracker.log_artifact(path, str(Path(PREDICTIONS).parent))
        schema = _write(Path(tmp), "schema.json", _json(predictions_schema(table)))
        tracker.log_artifact(schema, str(Path(PREDICTIONS).parent))


def load_record(
    run_id: str, tracking_uri: str | None = None
) -> tuple[ExperimentConfig, pl.DataFrame]:
    """Download a run's config and predictions table from MLflow."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=resolve_tracking_uri(tracking_uri))
    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(client.download_artifacts(run_id, CONFIG_FILE, tmp))
        config = ExperimentConfig.model_validate_json(config_path.read_text("utf-8"))
        table = pl.read_parquet(client.download_artifacts(run_id, PREDICTIONS, tmp))
    return config, table


def rescore(run_id: str, tracking_uri: str | None = None) -> dict[str, float]:
    """Recompute a run's out-of-sample, holdout and null figures from its MLflow record alone.

    Args:
        run_id: The MLflow run.
        tracking_uri: The store (see :func:`src.ml.tracking.resolve_tracking_uri`).

    Returns:
        The figures :func:`src.ml.evaluation.evaluate` gives on the logged predictions, which
        must equal the run's logged metrics of the same names.
    """
    config, table = load_record(run_id, tracking_uri)
    return evaluate(table, config, instruments_from(config)).metrics


__all__ = [
    "CONFIG_FILE",
    "PREDICTIONS",
    "load_record",
    "log_inputs",
    "log_json",
    "log_predictions",
    "rescore",
]

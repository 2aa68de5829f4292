"""Rebuild a run from its MLflow record: its config, checked against the data and the code.

A training or tuning run logs ``config.json`` (the whole experiment), ``data_hash`` (SHA-256 of
the candle values it used), ``git_commit`` / ``git_dirty`` and, for a search, ``tuning/tune.json``.
:func:`rebuild` reads them back, reloads the candles the config names and says whether they
and the checkout are still the ones the run used; :func:`rerun_training` then trains the same
config again (the same seed gives the same figures, which a test checks).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from src.ml.config import ExperimentConfig
from src.ml.dataset import data_hash, load_candles
from src.ml.lineage import code_version
from src.ml.record import CONFIG_FILE
from src.ml.tracking import NullTracker, Tracker, resolve_tracking_uri
from src.ml.train import TrainResult, train
from src.ml.tuning.config import TuneConfig
from src.ml.tuning.run import TUNE_FILE


@dataclass(frozen=True)
class Rebuilt:
    """A run's inputs as recorded, and whether today's data and code still match them.

    Attributes:
        run_id: The run.
        config: Its experiment config.
        tune: Its search (tuning runs only).
        data_hash: The recorded fingerprint of the candles.
        data_matches: Whether the candles the config names today hash the same.
        commit: The recorded commit (``git_dirty`` tells whether it had local changes).
        code_matches: Whether the checkout is at that commit with no local changes.
    """

    run_id: str
    config: ExperimentConfig
    tune: TuneConfig | None
    data_hash: str
    data_matches: bool
    commit: str
    code_matches: bool


def rebuild(run_id: str, tracking_uri: str | None = None) -> Rebuilt:
    """Read a run's config (and search) from MLflow and check its data and code fingerprints."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=resolve_tracking_uri(tracking_uri))
    params = client.get_run(run_id).data.params
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(client.download_artifacts(run_id, CONFIG_FILE, tmp))
        config = ExperimentConfig.model_validate_json(path.read_text("utf-8"))
        try:
            doc = json.loads(Path(client.download_artifacts(run_id, TUNE_FILE, tmp)).read_text())
            search: TuneConfig | None = TuneConfig.model_validate(doc)
        except (MlflowException, OSError):
            search = None
    recorded = params.get("data_hash", "")
    now = code_version()
    commit = params.get("git_commit", "unknown")
    same_code = now.commit == commit and not now.dirty and params.get("git_dirty") == "false"
    return Rebuilt(
        run_id,
        config,
        search,
        recorded,
        data_hash(load_candles(config.data)) == recorded,
        commit,
        same_code,
    )


def rerun_training(rebuilt: Rebuilt, tracker: Tracker | None = None) -> TrainResult:
    """Train the rebuilt config again (into ``tracker``; default: record nothing).

    Raises:
        ValueError: The candles no longer match the recorded fingerprint.
    """
    if not rebuilt.data_matches:
        raise ValueError(
            f"run {rebuilt.run_id}: the candles its config names no longer hash to "
            f"{rebuilt.data_hash[:16]}...; the figures could not be reproduced"
        )
    return train(rebuilt.config, tracker or NullTracker(), progress=False)


__all__ = ["Rebuilt", "rebuild", "rerun_training"]

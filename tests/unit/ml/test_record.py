"""A run's MLflow record is enough to re-score it and to trace its code, data and environment."""

from __future__ import annotations

import json
import math
from importlib import metadata
from pathlib import Path

import polars as pl
from mlflow.tracking import MlflowClient

from src.ml.lineage import file_sha256
from src.ml.record import load_record, rescore
from tests.support.paths import ROOT
from tests.unit.ml.conftest import Store


def test_a_logged_run_rescored_from_its_artifacts_gives_its_logged_metrics(store: Store) -> None:
    uri, first, _ = store
    logged = MlflowClient(tracking_uri=uri).get_run(first.run_id).data.metrics
    again = rescore(first.run_id, uri)
    compared = [k for k in again if math.isfinite(again[k])]
    assert len(compared) > 100  # OOS, holdout, null means, spreads, z-scores, p-values
    for prefix in ("oos_", "holdout_", "shuffled_", "bh_", "holdout_bh_"):
        assert any(k.startswith(prefix) for k in compared), prefix
    for key in compared:
        assert again[key] == logged[key], key


def test_rescoring_reads_the_predictions_so_a_changed_score_changes_the_figures(
    store: Store, tmp_path: Path
) -> None:
    from src.ml.config import instruments_from
    from src.ml.evaluation import evaluate

    uri, first, _ = store
    config, table = load_record(first.run_id, uri)
    assert config.name == "test-run" and config.null.draws == 3
    flipped = table.with_columns((1.0 - pl.col("score")).alias("score"))
    moved = evaluate(flipped, config, instruments_from(config)).metrics
    assert moved["oos_auc"] == 1.0 - first.metrics["oos_auc"]


def test_lineage_names_the_commit_the_data_files_and_pinned_packages(store: Store) -> None:
    uri, first, _ = store
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(first.run_id)
    folder = Path(client.download_artifacts(first.run_id, "lineage"))
    code = json.loads((folder / "code.json").read_text())
    assert run.data.params["git_commit"] == code["commit"] == run.data.tags["git_commit"]
    assert len(code["commit"]) == 40 and run.data.params["git_dirty"] in ("true", "false")
    assert (folder / "src.diff").exists() == (code["dirty"] and any(
        p.startswith("src/") for p in code["dirty_paths"]))  # fmt: skip
    data = json.loads((folder / "data.json").read_text())
    btc = data["pairs"]["BTC/USD"]
    assert btc["file"].endswith("XBTUSD_60_2021_2023.csv")
    assert btc["sha256"] == file_sha256(ROOT / btc["file"])
    assert btc["rows_used"] == 1500 and btc["first_bar"] < btc["last_bar"]
    env = Path(client.download_artifacts(first.run_id, "environment"))
    pins = (env / "requirements.txt").read_text().splitlines()
    assert f"lightgbm=={metadata.version('lightgbm')}" in pins
    assert json.loads((env / "environment.json").read_text())["uv_lock_sha256"] == file_sha256(
        ROOT / "uv.lock"
    )
    model_reqs = Path(client.download_artifacts(first.run_id, "model/requirements.txt"))
    assert f"polars=={metadata.version('polars')}" in model_reqs.read_text().splitlines()

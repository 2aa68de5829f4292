"""``ktrade train``, then ``ktrade backtest --strategy model``, on a tiny experiment.

Slow (a real training run); integration because MLflow is a real store on disk. The model
is never champion here, so the backtest takes the newest run's model and says so loudly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.cli.cli_support import Home, Result

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TINY = """
name = "tiny"
seed = 7
[data]
pairs = ["BTC/USD", "ETH/USD"]
data_dir = "data/market/kraken-ohlcvt-60m"
max_rows = 1600
[label]
kind = "direction"
horizon = 4
[splits]
n_folds = 2
train_size = 600
test_size = 200
embargo = 1
[model]
kind = "lgbm_classifier"
[model.params]
n_estimators = 10
num_leaves = 7
[null]
draws = 2
model_seeds = 1
[checks]
window_bars = 400
n_cuts = 1
[tracking]
experiment = "tiny"
"""


def test_train_names_the_run_and_backtest_trades_its_model(
    home: Home, ktrade: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from mlflow.tracking import MlflowClient

    experiment = tmp_path / "tiny.toml"
    experiment.write_text(TINY, encoding="utf-8")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    home.write_config(f'[ml]\nexperiment = "{experiment}"\n')

    trained = ktrade("train", "--no-progress")
    assert trained.code == 0, trained.err
    assert "gate: not promoted" in trained.out
    run_id = re.search(r"^MLflow run ([0-9a-f]{32}) ", trained.out, re.M)
    assert run_id is not None
    run = MlflowClient(tracking_uri=uri).get_run(run_id.group(1))
    assert re.fullmatch(
        r"lgbm_classifier BTC/USD\+ETH/USD 60m direction/4 \d{4}-\d\d-\d\dT\d\d:\d\dZ",
        run.info.run_name,
    )
    assert run.data.tags["experiment_config"] == "tiny"
    assert f"--model {run_id.group(1)}" in trained.out

    newest = ktrade(
        "backtest",
        "--strategy",
        "model",
        "--start",
        "2022-12-30",
        "--no-html",
        "--no-progress",
        "--data",
        "files",
    )
    assert newest.code == 0, newest.err
    assert f"trading the NEWEST run's model instead (run {run_id.group(1)}" in newest.err
    assert f"strategy  model of the newest run {run_id.group(1)} (NOT champion)" in newest.out
    # The replay covers rows the model learned from: it is told, with the run's own span.
    learned = run.data.params["data_start"][:16], run.data.params["data_end"][:16]
    assert (
        f"IN-SAMPLE: the model learned from candles {learned[0]} to {learned[1]} UTC" in newest.err
    )

    by_id = ktrade(
        "backtest",
        "--strategy",
        "model",
        "--model",
        run_id.group(1),
        "--start",
        "2022-12-30",
        "--no-html",
        "--no-progress",
        "--data",
        "files",
    )
    assert by_id.code == 0, by_id.err
    assert "NEWEST" not in by_id.err
    assert "IN-SAMPLE" in by_id.err
    figures = [line for line in by_id.out.splitlines() if line.startswith("  total return")]
    assert figures == [
        line for line in newest.out.splitlines() if line.startswith("  total return")
    ]

    lone = ktrade("backtest", "--strategy", "model", "--pairs", "ETH/USD", "--no-html")
    assert lone.code == 2
    assert "cannot trade ETH/USD" in lone.err and "BTC/USD" in lone.err

    unknown = ktrade("backtest", "--strategy", "model", "--model", "0" * 32, "--no-html")
    assert unknown.code == 2
    assert unknown.err.startswith(f"error: cannot load the model of run {'0' * 32}")
    assert "Traceback" not in unknown.err

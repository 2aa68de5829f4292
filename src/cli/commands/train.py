"""Walk-forward train a signal model and track it in MLflow (the pipeline of src/ml/train.py).

Purged walk-forward folds, leakage checks, a null model, a final holdout and the promotion
gate: a run becomes the `champion` only when it beats the current one out of sample after
costs. Candles come from the candle store when it holds every pair (`ktrade download`),
else from the experiment's CSV files (the shipped Kraken candles by default). Browse runs with
`mlflow ui --backend-store-uri sqlite:///mlflow.db`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from src.cli.context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The experiment file, pairs, MLflow store, run name and data source."""
    parser.add_argument(
        "--experiment", type=Path, metavar="FILE", help="experiment TOML (default: shipped)"
    )
    parser.add_argument("--pairs", nargs="+", metavar="PAIR", help="override the experiment's")
    parser.add_argument("--tracking-uri", metavar="URI", help="MLflow store")
    parser.add_argument("--run-name", metavar="NAME", help="MLflow run name (default: descriptive)")
    parser.add_argument(
        "--data",
        choices=("auto", "store", "files"),
        default="auto",
        help="candle store, the experiment's CSV files, or the store when it has every pair",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(ctx: Context) -> int:
    """Run one training."""
    from src.cli.training import run_training

    return run_training(ctx)

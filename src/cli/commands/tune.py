"""Search a model's and its decision policy's parameters in nested purged walk-forward.

An Optuna study per outer fold chooses on inner folds inside that fold's training window; the
outer folds only report (a quant report per fold and pooled, against buy-and-hold and the
null), and the final holdout is never read. Every trial is a child run of one MLflow run.
Runs on a local process pool, or on Ray with `--ray-address` (or RAY_ADDRESS). See
docs/ml_tuning.md.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from src.cli.context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The tuning file, the MLflow store, the backend and the trial count."""
    parser.add_argument("--tuning", metavar="FILE", help="tuning TOML (default: shipped)")
    parser.add_argument("--tracking-uri", metavar="URI", help="MLflow store")
    parser.add_argument("--ray-address", metavar="ADDR", help="Ray cluster ('local' starts one)")
    parser.add_argument("--workers", type=int, metavar="N", help="process-pool size")
    parser.add_argument("--trials", type=int, metavar="N", help="trials per study")


def run(ctx: Context) -> int:
    """Run one search and print its report."""
    from src.ml.tuning.__main__ import main

    argv: list[str] = []
    for flag, value in (
        ("--config", ctx.args.tuning),
        ("--tracking-uri", ctx.args.tracking_uri or ctx.config().ml.tracking_uri),
        ("--ray-address", ctx.args.ray_address),
        ("--workers", ctx.args.workers),
        ("--trials", ctx.args.trials),
    ):
        if value is not None:
            argv += [flag, str(value)]
    return main(argv)

"""Tune from a tuning TOML: ``python -m src.ml.tuning --config FILE [--ray-address ADDR]``."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from src.ml.evaluation import format_report
from src.ml.tracking import MLflowTracker, quiet_mlflow
from src.ml.tuning.config import DEFAULT_TUNING_PATH, load_tuning
from src.ml.tuning.run import TuneResult, tune


def summary(result: TuneResult) -> str:
    """What a tuning run prints: the choices, the outer report and the trial correction."""
    lines = ["chosen per study (inner folds only):"]
    for study in result.search.studies:
        name = "final" if study.outer < 0 else f"outer fold {study.outer}"
        best = study.best
        lines.append(f"  {name}: inner objective {best.value:.4f} with {best.params}")
    lines += ["", "outer folds (each scored by its own study's choice):"]
    lines.append(format_report(result.report))
    c = result.correction
    lines.append(
        f"\ndeflated Sharpe {c.deflated:.3f} over {c.n_trials} trials (Sharpe {c.sharpe:.4f}/bar "
        f"vs {c.expected_max:.4f}/bar expected from the best of {c.n_trials} noise trials)"
    )
    lines.append(f"parameters to deploy: {json.dumps(result.search.final_params)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run a search and print its summary and the MLflow parent run id."""
    parser = argparse.ArgumentParser(prog="python -m src.ml.tuning", description=__doc__)
    parser.add_argument("--config", default=str(DEFAULT_TUNING_PATH), help="tuning TOML")
    parser.add_argument("--tracking-uri", default=None, help="MLflow tracking URI override")
    parser.add_argument("--ray-address", default=None, help="Ray cluster (local: start one)")
    parser.add_argument("--workers", type=int, default=None, help="process-pool size")
    parser.add_argument("--trials", type=int, default=None, help="override tune.n_trials")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    quiet_mlflow()
    config, search = load_tuning(args.config)
    updates = {
        k: v
        for k, v in (
            ("ray_address", args.ray_address),
            ("workers", args.workers),
            ("n_trials", args.trials),
        )
        if v is not None
    }
    search = search.model_copy(update=updates)
    uri = args.tracking_uri or config.tracking.tracking_uri
    result = tune(config, search, MLflowTracker(uri))
    print(summary(result))
    print(f"MLflow parent run id: {result.run_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Train from a TOML config: ``python -m src.ml.train --config FILE``; also the ``train`` API."""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from dataclasses import dataclass, field

from src.ml.config import DEFAULT_CONFIG_PATH, ExperimentConfig, load_config
from src.ml.dataset import FeatureFn
from src.ml.evaluation import KEY_METRICS
from src.ml.features import build_features
from src.ml.leakage import LeakageError
from src.ml.runner import run
from src.ml.tracking import MLflowTracker, Tracker, quiet_mlflow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """Outcome of one training run.

    Attributes:
        run_id: MLflow run id (``null-...`` with a NullTracker).
        model_uri: URI of the logged model (empty with a NullTracker).
        metrics: Overall figures: ``oos_*``, ``bh_*``, ``shuffled_*`` (null mean, ``_std``),
            z-scores and p-values, error bars, ``holdout_*``, and the trial correction.
        registered: Whether the model became the ``champion``.
        fold_metrics: Per-fold out-of-sample metrics.
        warnings: Null-control warnings (empty when the control looks random).
        gate_reasons: One ``PASS``/``FAIL`` line per check of the promotion gate.
    """

    run_id: str
    model_uri: str
    metrics: dict[str, float]
    registered: bool
    fold_metrics: list[dict[str, float]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    gate_reasons: list[str] = field(default_factory=list)


def train(
    config: ExperimentConfig,
    tracker: Tracker | None = None,
    *,
    features: FeatureFn = build_features,
    progress: bool = True,
) -> TrainResult:
    """Run one walk-forward training with its checks and holdout, and record it.

    Args:
        config: The experiment.
        tracker: Where to record; default an :class:`MLflowTracker` on
            ``config.tracking.tracking_uri`` (or ``MLFLOW_TRACKING_URI``, or sqlite:///mlflow.db).
        features: Feature builder (the library's ``build_features`` unless injected); it is
            checked for causality like the library's before anything is fitted.
        progress: Show a tqdm bar over folds.

    Returns:
        A :class:`TrainResult`. Only a run that passes every gate check is registered.

    Raises:
        LeakageError: A feature reads the future (the message names it), cannot be computed
            the same way live, or the out-of-sample figures are too good to be true. The run is
            marked FAILED and nothing is registered.
    """
    tracker = tracker or MLflowTracker(config.tracking.tracking_uri)
    tags = {"pairs": ",".join(config.data.pairs), "model": config.model.kind}
    run_id = tracker.start_run(config.tracking.experiment, config.name, tags)
    try:
        out = run(config, tracker, features, progress)
    except BaseException:
        tracker.end_run("FAILED")
        raise
    tracker.end_run("FINISHED")
    return TrainResult(
        run_id,
        out.model_uri,
        out.metrics,
        out.registered,
        out.fold_metrics,
        out.warnings,
        out.decision.reasons,
    )


SUMMARY_ROWS = (
    "total_return",
    "annualized_return",
    "sharpe",
    "sortino",
    "max_drawdown",
    "turnover",
    "n_trades",
    "fees",
    "auc",
    "log_loss",
    "rmse",
    "rank_ic",
    "hit_rate",
)
_COLUMNS = (
    ("model (OOS)", "oos"),
    ("buy & hold", "bh"),
    ("null mean", "shuffled"),
    ("holdout", "holdout"),
    ("holdout b&h", "holdout_bh"),
)


def _cell(value: float | None, width: int = 13) -> str:
    return f"{'' if value is None else f'{value:,.4f}':>{width}}"


def summary_table(metrics: dict[str, float]) -> str:
    """Plain-text tables of a run's figures.

    First the model next to buy-and-hold, the null's mean and the holdout; then the model
    against the null (z-score, p-value) with error bars across seeds and folds.
    """
    columns = [(title, p) for title, p in _COLUMNS if any(k.startswith(f"{p}_") for k in metrics)]
    header = f"{'metric':<18}" + "".join(f"{title:>13}" for title, _ in columns)
    lines = [header, "-" * len(header)]
    for key in SUMMARY_ROWS:
        cells = [metrics.get(f"{p}_{key}") for _, p in columns]
        if any(c is not None for c in cells):
            lines.append(f"{key:<18}" + "".join(_cell(c) for c in cells))
    head = f"{'vs null':<22}{'model':>10}{'±seeds':>9}{'±folds':>9}{'null':>10}{'±draws':>9}"
    head += f"{'z':>8}{'p':>7}"
    lines += ["", head, "-" * len(head)]
    for prefix in ("oos", "holdout"):
        for key in KEY_METRICS:
            value = metrics.get(f"{prefix}_{key}")
            if value is None or f"{prefix}_{key}_z" not in metrics:
                continue
            null = "shuffled" if prefix == "oos" else "holdout_shuffled"
            row = [
                (value, 10),
                (metrics.get(f"{prefix}_{key}_seed_std"), 9),
                (metrics.get(f"{prefix}_{key}_fold_std"), 9),
                (metrics.get(f"{null}_{key}"), 10),
                (metrics.get(f"{null}_{key}_std"), 9),
            ]
            text = "".join(_cell(v, w) for v, w in row)
            z, p = metrics.get(f"{prefix}_{key}_z", math.nan), metrics.get(f"{prefix}_{key}_p")
            lines.append(f"{prefix + ' ' + key:<22}{text}{z:>8.2f}{_cell(p, 7)}")
    if "oos_deflated_sharpe" in metrics:
        lines.append(
            f"\ndeflated Sharpe {metrics['oos_deflated_sharpe']:.3f} over "
            f"{metrics['n_trials']:.0f} trial(s) of the experiment"
        )
    return "\n".join(lines)


def gate_report(result: TrainResult) -> str:
    """The promotion gate's verdict and its reasons, one per line."""
    verdict = "PROMOTED to champion" if result.registered else "not promoted"
    return "\n".join([f"gate: {verdict}", *(f"  {r}" for r in result.gate_reasons)])


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; prints the summary, the gate's reasons and the MLflow run id.

    Returns:
        0 after a run, 2 when a leakage check stopped it.
    """
    parser = argparse.ArgumentParser(
        prog="python -m src.ml.train", description="Walk-forward train a signal model."
    )
    parser.add_argument("--config", default=str(DEFAULT_CONFIG_PATH), help="TOML config file")
    parser.add_argument("--tracking-uri", default=None, help="MLflow tracking URI override")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    quiet_mlflow()
    config = load_config(args.config)
    if args.tracking_uri:
        tracking = config.tracking.model_copy(update={"tracking_uri": args.tracking_uri})
        config = config.model_copy(update={"tracking": tracking})
    try:
        result = train(config, progress=not args.no_progress)
    except LeakageError as exc:
        print(f"LEAKAGE: {exc}", file=sys.stderr)
        return 2
    print(summary_table(result.metrics))
    print(gate_report(result))
    for warning in result.warnings:
        print(f"WARNING: shuffled-label control looks good: {warning}", file=sys.stderr)
    print(json.dumps({"registered_champion": result.registered, "model_uri": result.model_uri}))
    print(f"MLflow run id: {result.run_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["TrainResult", "gate_report", "main", "summary_table", "train"]

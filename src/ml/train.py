"""Train from a TOML config: ``python -m src.ml.train --config FILE``; also the ``train`` API."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass, field

from src.ml.config import DEFAULT_CONFIG_PATH, ExperimentConfig, load_config
from src.ml.dataset import FeatureFn
from src.ml.features import build_features
from src.ml.leakage import LeakageError
from src.ml.report import gate_text, summary_table
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
        report: What the run prints (and logs as ``report/train_report.txt``): the per-fold
            and pooled quant report against buy-and-hold and the null, the summary, the gate.
    """

    run_id: str
    model_uri: str
    metrics: dict[str, float]
    registered: bool
    fold_metrics: list[dict[str, float]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    gate_reasons: list[str] = field(default_factory=list)
    report: str = ""


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
        out.report,
    )


def gate_report(result: TrainResult) -> str:
    """The promotion gate's verdict and its reasons, one per line."""
    return gate_text(result.registered, result.gate_reasons)


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
    print(result.report)
    for warning in result.warnings:
        print(f"WARNING: shuffled-label control looks good: {warning}", file=sys.stderr)
    print(json.dumps({"registered_champion": result.registered, "model_uri": result.model_uri}))
    print(f"MLflow run id: {result.run_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["TrainResult", "gate_report", "main", "summary_table", "train"]

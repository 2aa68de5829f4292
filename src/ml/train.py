"""Train from a TOML config: ``python -m src.ml.train --config FILE``; also the ``train`` API."""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from src.ml.backtest import BacktestResult
from src.ml.config import DEFAULT_CONFIG_PATH, ExperimentConfig, instruments_from, load_config
from src.ml.dataset import Dataset, FeatureFn, build_dataset, data_hash, load_candles, resolve_spec
from src.ml.features import build_features
from src.ml.models import Model, make_model
from src.ml.pipeline import (
    WalkForwardOutput,
    backtests,
    fold_trading_metrics,
    overall_metrics,
    plan_folds,
    shuffled_warnings,
    target,
    walk_forward,
)
from src.ml.plots import equity_plot, feature_importance_plot
from src.ml.tracking import MLflowTracker, Tracker, quiet_mlflow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """Outcome of one training run.

    Attributes:
        run_id: MLflow run id (``null-...`` with a NullTracker).
        model_uri: URI of the logged model (empty with a NullTracker).
        metrics: Overall out-of-sample metrics (``oos_*``, ``bh_*``, ``shuffled_*``).
        registered: Whether the model became the ``champion``.
        fold_metrics: Per-fold out-of-sample prediction metrics.
        warnings: Shuffled-label control warnings (empty when the control looks random).
    """

    run_id: str
    model_uri: str
    metrics: dict[str, float]
    registered: bool
    fold_metrics: list[dict[str, float]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _flat(prefix: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out.update(_flat(f"{prefix}.{key}" if prefix else str(key), sub))
        return out
    return {prefix: value}


def _final_model(ds: Dataset, config: ExperimentConfig) -> Model:
    # The deployable model learns from every labeled row; its quality is the walk-forward's.
    labeled = ds.labeled
    model = make_model(config.model.kind, config.model.params, config.seed)
    return model.fit(ds.x[labeled], target(ds, config)[labeled])


def _log_artifacts(
    tracker: Tracker, model: Model, ds: Dataset, bts: dict[str, BacktestResult], tmp: Path
) -> None:
    importance = model.feature_importance()
    if importance is not None:
        tracker.log_artifact(
            feature_importance_plot(ds.feature_names, importance, tmp / "feature_importance.png"),
            "plots",
        )
    names = {"oos": "model (after costs)", "bh": "buy and hold", "shuffled": "shuffled labels"}
    curves = {names[k]: v.equity for k, v in bts.items()}
    tracker.log_artifact(
        equity_plot(curves, tmp / "equity_curve.png", "Out-of-sample equity"), "plots"
    )
    trades = tmp / "oos_trades.csv"
    bts["oos"].trades.write_csv(trades)
    tracker.log_artifact(trades, "backtest")


def _maybe_register(
    tracker: Tracker, config: ExperimentConfig, metrics: dict[str, float], model_uri: str
) -> bool:
    from src.ml.registry import beats

    tcfg = config.tracking
    if not tcfg.register_model or not model_uri:
        return False
    value = metrics.get(tcfg.champion_metric, math.nan)
    current = tracker.champion_score(tcfg.registered_model, tcfg.champion_metric)
    if not beats(value, current, tcfg.champion_floor):
        log.info("not registered: %s %.4f vs champion %s", tcfg.champion_metric, value, current)
        tracker.set_tags({"champion": "no"})
        return False
    version = tracker.register_champion(model_uri, tcfg.registered_model)
    tracker.set_tags({"champion": "yes", "champion_version": version})
    return True


def _run_body(
    config: ExperimentConfig, tracker: Tracker, features: FeatureFn, progress: bool
) -> tuple[str, dict[str, float], bool, WalkForwardOutput, list[str]]:
    candles = load_candles(config.data)
    spec = resolve_spec(config)
    ds = build_dataset(candles, config, spec, features)
    folds = plan_folds(ds, config)
    params = _flat("", config.model_dump(mode="json", exclude={"features"}))
    span = candles["timestamp"]
    params.update(
        data_start=str(span.min()),
        data_end=str(span.max()),
        data_hash=data_hash(candles),
        data_rows=candles.height,
        dataset_rows=ds.frame.height,
        n_features=len(ds.feature_names),
    )
    tracker.log_params(params)
    wf = walk_forward(ds, config, folds, progress=progress)
    instruments = instruments_from(config)
    per_fold = fold_trading_metrics(ds, wf, config, folds, instruments)
    for fold, fm, tm in zip(folds, wf.fold_metrics, per_fold, strict=True):
        fm.update(tm)
        tracker.log_metrics({f"fold_{k}": v for k, v in fm.items()}, step=fold.index)
    bts = backtests(ds, wf, config, instruments)
    metrics = overall_metrics(ds, wf, config, bts)
    tracker.log_metrics(metrics)
    warnings = shuffled_warnings(metrics, config)
    if warnings:
        log.warning("SHUFFLED-LABEL CONTROL LOOKS GOOD, SUSPECT LEAKAGE: %s", "; ".join(warnings))
        tracker.set_tags({"shuffled_control": "SUSPICIOUS", "warning": "; ".join(warnings)})
    else:
        tracker.set_tags({"shuffled_control": "ok"})
    model = _final_model(ds, config)
    with tempfile.TemporaryDirectory() as tmp:
        _log_artifacts(tracker, model, ds, bts, Path(tmp))
    example = ds.frame.select(ds.feature_names).head(5).to_pandas()
    spec_doc = {"spec": spec.model_dump(mode="json"), "feature_names": ds.feature_names}
    model_uri = tracker.log_model(model, spec_doc, example)
    registered = False if warnings else _maybe_register(tracker, config, metrics, model_uri)
    return model_uri, metrics, registered, wf, warnings


def train(
    config: ExperimentConfig,
    tracker: Tracker | None = None,
    *,
    features: FeatureFn = build_features,
    progress: bool = True,
) -> TrainResult:
    """Run one walk-forward training and record it.

    Args:
        config: The experiment.
        tracker: Where to record; default an :class:`MLflowTracker` on
            ``config.tracking.tracking_uri`` (or ``MLFLOW_TRACKING_URI``, or sqlite:///mlflow.db).
        features: Feature builder (the library's ``build_features`` unless injected).
        progress: Show a tqdm bar over folds.

    Returns:
        A :class:`TrainResult`. A run whose shuffled control looks good is never registered.
    """
    tracker = tracker or MLflowTracker(config.tracking.tracking_uri)
    tags = {"pairs": ",".join(config.data.pairs), "model": config.model.kind}
    run_id = tracker.start_run(config.tracking.experiment, config.name, tags)
    try:
        out = _run_body(config, tracker, features, progress)
    except BaseException:
        tracker.end_run("FAILED")
        raise
    tracker.end_run("FINISHED")
    model_uri, metrics, registered, wf, warnings = out
    return TrainResult(run_id, model_uri, metrics, registered, wf.fold_metrics, warnings)


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


def summary_table(metrics: dict[str, float]) -> str:
    """Plain-text table: each metric for the model, buy-and-hold and the shuffled control."""
    header = f"{'metric':<20}{'model (OOS)':>14}{'buy & hold':>14}{'shuffled':>14}"
    lines = [header, "-" * len(header)]
    for key in SUMMARY_ROWS:
        cells = [metrics.get(f"{p}_{key}") for p in ("oos", "bh", "shuffled")]
        if all(c is None for c in cells):
            continue
        text = ["" if c is None else f"{c:,.4f}" for c in cells]
        lines.append(f"{key:<20}{text[0]:>14}{text[1]:>14}{text[2]:>14}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; prints the summary table and the MLflow run id."""
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
    result = train(config, progress=not args.no_progress)
    print(summary_table(result.metrics))
    for warning in result.warnings:
        print(f"WARNING: shuffled-label control looks good: {warning}", file=sys.stderr)
    print(json.dumps({"registered_champion": result.registered, "model_uri": result.model_uri}))
    print(f"MLflow run id: {result.run_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["TrainResult", "main", "summary_table", "train"]

"""One training run, in order: record inputs, leakage checks, walk-forward + holdout, gate.

Nothing is fitted before the feature checks pass, and no final model is fitted, logged or
promoted before the out-of-sample figures pass the "too good to be true" bounds.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from src.ml.config import ExperimentConfig, instruments_from
from src.ml.dataset import Dataset, FeatureFn, build_dataset, data_hash, load_candles, resolve_spec
from src.ml.distributed import make_executor
from src.ml.evaluation import Evaluation, evaluate, quant_report, shuffled_warnings
from src.ml.features import FeatureSpec, build_features
from src.ml.features.lookback import lookback_mismatches, required_lookback
from src.ml.gate import GateDecision, bar_returns, decide, deflated_sharpe
from src.ml.labels import FWD_RETURN
from src.ml.leakage import (
    LeakageError,
    check_causality,
    feature_ic_violations,
    too_good_reasons,
)
from src.ml.lineage import code_params, code_version, data_lineage, environment
from src.ml.models import Model, make_model
from src.ml.pipeline import Layout, deployed_policy, plan, target, walk_forward
from src.ml.plots import equity_plot, feature_importance_plot
from src.ml.record import log_inputs, log_json, log_predictions
from src.ml.report import log_report, run_report
from src.ml.splits import fold_masks
from src.ml.tracking import Tracker

log = logging.getLogger("src.ml.train")


@dataclass
class RunOutput:
    """What :func:`run` hands back to ``train``."""

    model_uri: str
    metrics: dict[str, float]
    fold_metrics: list[dict[str, float]]
    warnings: list[str]
    decision: GateDecision
    registered: bool = False
    report: str = ""


def _flat(prefix: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out.update(_flat(f"{prefix}.{key}" if prefix else str(key), sub))
        return out
    return {prefix: value}


def _record_inputs(tracker: Tracker, config: ExperimentConfig, candles: pl.DataFrame) -> None:
    params = _flat("", config.model_dump(mode="json", exclude={"features"}))
    span = candles["timestamp"]
    lineage = data_lineage(config.data, candles)
    code = code_version()
    params.update(
        data_start=str(span.min()),
        data_end=str(span.max()),
        data_hash=data_hash(candles),
        data_rows=candles.height,
        data_files=",".join(f"{p}:{d['sha256'][:16]}" for p, d in lineage["pairs"].items()),
        **code_params(code),
        uv_lock_sha256=environment()["uv_lock_sha256"],
    )
    tracker.log_params(params)
    tracker.set_tags(code_params(code))
    log_inputs(tracker, config, code, lineage)


def _check_features(
    tracker: Tracker,
    config: ExperimentConfig,
    features: FeatureFn,
    candles: pl.DataFrame,
    spec: FeatureSpec,
) -> None:
    """Causality of every feature, then the live window's equality with batch, or raise."""
    checks = config.checks
    if not checks.causality:
        skipped = {"causality": "skipped (checks.causality = false)"}
        log_json(tracker, skipped, "causality.json", "checks")
    else:
        report = check_causality(features, candles, spec, checks, config.seed)
        record = {
            "cuts": [str(c) for c in report.cuts],
            "perturbed": report.perturbed,
            "truncated": report.truncated,
            "unchecked": report.unchecked,
        }
        log_json(tracker, record, "causality.json", "checks")
        report.raise_if_failed()
    _check_live_window(tracker, config, features, candles, spec)


def _check_live_window(
    tracker: Tracker,
    config: ExperimentConfig,
    features: FeatureFn,
    candles: pl.DataFrame,
    spec: FeatureSpec,
) -> None:
    """The live strategy's window (the spec's lookback) must reproduce the batch features."""
    if features is not build_features:
        # The logged model carries the spec, not this function: live trading cannot rebuild
        # the features, so say so on the run rather than let ModelStrategy fail later.
        name = f"{getattr(features, '__module__', '?')}.{getattr(features, '__qualname__', '?')}"
        tracker.set_tags({"feature_builder": name, "live_tradable": "no"})
        log.warning("custom feature builder %s: ModelStrategy cannot reproduce it live", name)
        return
    tolerance = config.checks.lookback_tolerance
    lookback = required_lookback(spec, config.data.interval_minutes, tolerance)
    times = candles["timestamp"].unique().sort()
    ends = [times[i] for i in (lookback, len(times) // 2, len(times) - 1) if i < len(times)]
    found = lookback_mismatches(features, candles, spec, lookback, tolerance, ends)
    if found:
        names = sorted({m.feature for m in found})
        raise LeakageError(
            f"features {names} differ between a live window of {lookback} bars and the "
            f"batch pipeline (e.g. {found[0].feature} at {found[0].at}: batch "
            f"{found[0].batch}, live {found[0].live}); a live strategy cannot reproduce them",
            names,
        )


def _check_feature_ic(ds: Dataset, layout: Layout, config: ExperimentConfig) -> None:
    rows = (ds.bar_index < layout.selection_bars) & ds.labeled
    fwd = ds.frame[FWD_RETURN].fill_null(np.nan).to_numpy().astype(float)
    found = feature_ic_violations(
        ds.x[rows], fwd[rows], ds.feature_names, config.checks.max_feature_rank_ic
    )
    if found:
        text = ", ".join(f"{n} (rank IC {ic:+.3f})" for n, ic in found.items())
        raise LeakageError(
            f"too good to be true: single features predict the forward return with |rank IC| "
            f"> {config.checks.max_feature_rank_ic} (checks.max_feature_rank_ic): {text}",
            list(found),
        )


def _suspects(ds: Dataset, layout: Layout, n: int = 3) -> list[str]:
    rows = (ds.bar_index < layout.selection_bars) & ds.labeled
    fwd = ds.frame[FWD_RETURN].fill_null(np.nan).to_numpy().astype(float)
    ics = feature_ic_violations(ds.x[rows], fwd[rows], ds.feature_names, 0.0)
    return sorted(ics, key=lambda k: -abs(ics[k]))[:n]


def _log_fold_metrics(
    tracker: Tracker, ds: Dataset, config: ExperimentConfig, layout: Layout, ev: Evaluation
) -> None:
    for fold, fm in zip(layout.folds, ev.fold_metrics, strict=True):
        train, _ = fold_masks(ds.bar_index, ds.label_end_index, fold, config.splits.embargo)
        fm["train_rows"] = float((train & ds.labeled).sum())
        tracker.log_metrics({f"fold_{k}": v for k, v in fm.items()}, step=fold.index)


def _walk_forward(
    ds: Dataset, config: ExperimentConfig, layout: Layout, progress: bool, tracker: Tracker
) -> pl.DataFrame:
    compute = config.compute
    if compute.workers == 1 and compute.ray_address is None:
        return walk_forward(ds, config, layout, progress=progress)
    executor = make_executor(compute.ray_address, compute.workers)
    tracker.set_tags({"fold_executor": executor.name, "fold_workers": str(executor.workers)})
    try:
        return walk_forward(ds, config, layout, progress=progress, executor=executor)
    finally:
        executor.close()


def _final_model(ds: Dataset, config: ExperimentConfig) -> Model:
    # The deployable model learns from every labeled row, the holdout's too: its quality is
    # what the walk-forward and the holdout (fitted without those rows) measured.
    labeled = ds.labeled
    model = make_model(config.model.kind, config.model.params, config.seed)
    return model.fit(ds.x[labeled], target(ds, config)[labeled])


def _log_artifacts(tracker: Tracker, model: Model, ds: Dataset, ev: Evaluation, tmp: Path) -> None:
    importance = model.feature_importance()
    if importance is not None:
        tracker.log_artifact(
            feature_importance_plot(ds.feature_names, importance, tmp / "feature_importance.png"),
            "plots",
        )
    names = {"oos": "model (after costs)", "bh": "buy and hold", "shuffled": "null draw 0"}
    curves = {label: ev.backtests[key].equity for key, label in names.items()}
    tracker.log_artifact(
        equity_plot(curves, tmp / "equity_curve.png", "Out-of-sample equity"), "plots"
    )
    if "holdout" in ev.backtests:
        curves = {
            "model": ev.backtests["holdout"].equity,
            "buy and hold": ev.backtests["holdout_bh"].equity,
        }
        tracker.log_artifact(
            equity_plot(curves, tmp / "holdout_equity.png", "Holdout equity (after costs)"), "plots"
        )
    trades = tmp / "oos_trades.csv"
    ev.backtests["oos"].trades.write_csv(trades)
    tracker.log_artifact(trades, "backtest")


def _gate(
    tracker: Tracker, config: ExperimentConfig, ev: Evaluation, warnings: list[str]
) -> GateDecision:
    correction = deflated_sharpe(bar_returns(ev.backtests["oos"]), tracker.trial_sharpes())
    extra = {
        "n_trials": float(correction.n_trials),
        "oos_sharpe_per_bar": correction.sharpe,
        "oos_deflated_sharpe": correction.deflated,
        "oos_expected_max_sharpe_per_bar": correction.expected_max,
    }
    ev.metrics.update(extra)
    tracker.log_metrics(extra)
    tcfg = config.tracking
    incumbent = tracker.champion_score(tcfg.registered_model, tcfg.champion_metric)
    decision = decide(
        ev.metrics, config, correction=correction, incumbent=incumbent, warnings=warnings
    )
    for reason in decision.reasons:
        log.info("gate: %s", reason)
    verdict = "promoted" if decision.promote else "rejected"
    log.info("gate: %s", verdict)
    tracker.set_tags({"gate": verdict, "gate_reasons": " | ".join(decision.reasons)[:5000]})
    log_json(tracker, decision.as_dict(), "decision.json", "gate")
    return decision


def run(
    config: ExperimentConfig, tracker: Tracker, features: FeatureFn, progress: bool
) -> RunOutput:
    """Train, check, evaluate and gate one run into ``tracker`` (its run already started).

    Raises:
        LeakageError: A feature reads the future, cannot be reproduced live, or the
            out-of-sample figures are too good to be true.
    """
    candles = load_candles(config.data)
    spec = resolve_spec(config)
    _record_inputs(tracker, config, candles)
    try:
        _check_features(tracker, config, features, candles, spec)
        ds = build_dataset(candles, config, spec, features)
        layout = plan(ds, config)
        _check_feature_ic(ds, layout, config)
    except LeakageError as exc:
        tracker.set_tags({"leakage_checks": "FAILED", "leakage": str(exc)[:5000]})
        raise
    tracker.log_params(
        {
            "dataset_rows": ds.frame.height,
            "n_features": len(ds.feature_names),
            "selection_bars": layout.selection_bars,
            "holdout_bars": 0
            if layout.holdout is None
            else layout.holdout.test_end - layout.holdout.test_start,
        }
    )
    table = _walk_forward(ds, config, layout, progress, tracker)
    ev = evaluate(table, config, instruments_from(config))
    _log_fold_metrics(tracker, ds, config, layout, ev)
    tracker.log_metrics(ev.metrics)
    log_predictions(tracker, table)
    too_good = too_good_reasons(ev.metrics, config.checks)
    if too_good:
        suspects = _suspects(ds, layout)
        message = (
            f"too good to be true, suspect leakage: {'; '.join(too_good)}; the features "
            f"most correlated with the forward return are {suspects}"
        )
        tracker.set_tags({"leakage_checks": "FAILED", "leakage": message[:5000]})
        raise LeakageError(message, suspects)
    tracker.set_tags({"leakage_checks": "passed"})
    warnings = shuffled_warnings(ev.metrics, config)
    if warnings:
        log.warning("SHUFFLED-LABEL CONTROL LOOKS GOOD, SUSPECT LEAKAGE: %s", "; ".join(warnings))
        tracker.set_tags({"shuffled_control": "SUSPICIOUS", "warning": "; ".join(warnings)})
    else:
        tracker.set_tags({"shuffled_control": "ok"})
    model = _final_model(ds, config)
    with tempfile.TemporaryDirectory() as tmp:
        _log_artifacts(tracker, model, ds, ev, Path(tmp))
    example = ds.frame.select(ds.feature_names).head(5).to_pandas()
    spec_doc = {"spec": spec.model_dump(mode="json"), "feature_names": ds.feature_names}
    spec_doc["policy"] = deployed_policy(ds, config).to_dict()  # what ModelStrategy trades
    log_json(tracker, spec_doc["policy"], "policy.json", "policy")
    model_uri = tracker.log_model(model, spec_doc, example)
    decision = _gate(tracker, config, ev, warnings)
    out = RunOutput(model_uri, ev.metrics, ev.fold_metrics, warnings, decision)
    if decision.promote and model_uri:
        version = tracker.register_champion(model_uri, config.tracking.registered_model)
        tracker.set_tags({"champion": "yes", "champion_version": version})
        out.registered = True
    else:
        tracker.set_tags({"champion": "no"})
    quant = quant_report(ev)
    out.report = run_report(quant, ev.metrics, out.registered, decision.reasons)
    log_report(tracker, quant, out.report)
    return out


__all__ = ["RunOutput", "run"]

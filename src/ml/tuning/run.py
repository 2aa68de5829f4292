"""A tuning run: record its inputs, check the features, search, report, and log it all.

The parent MLflow run holds the experiment's config, data fingerprint and code version (the
same record a training run logs), the outer folds' figures and quant report, the trial
correction, and the parameters chosen; every trial is a child run under it (tag
``mlflow.parentRunId``), with its parameters, its pooled inner figures and its Sharpe per bar.
Trials are FINISHED runs of the experiment, so a later training run in it counts them in its
deflated Sharpe ratio, as this search's own correction does.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from src.ml.config import ExperimentConfig
from src.ml.dataset import FeatureFn, build_dataset, data_hash, load_candles, resolve_spec
from src.ml.distributed import Executor, make_executor
from src.ml.evaluation import format_report, quant_report
from src.ml.features import build_features
from src.ml.gate import TrialCorrection, bar_returns, deflated_sharpe
from src.ml.leakage import check_causality
from src.ml.lineage import code_params, code_version, data_lineage, environment
from src.ml.record import log_inputs, log_json, log_predictions
from src.ml.tracking import MLflowTracker, NullTracker, Tracker
from src.ml.tuning.config import TuneConfig, apply_overrides
from src.ml.tuning.nested import FINAL, SearchResult, Trial, nested_search

log = logging.getLogger("src.ml.tuning")
TUNE_FILE = "tuning/tune.json"
REPORT_FILE = "report/quant_report.json"


@dataclass(frozen=True)
class TuneResult:
    """Outcome of a tuning run.

    Attributes:
        run_id: The parent MLflow run.
        search: Studies, trials, the outer table and its evaluation.
        report: The quant report of the outer folds (per fold and pooled).
        correction: The deflated Sharpe of the outer figures over every trial.
        tuned: The experiment with the parameters to deploy.
    """

    run_id: str
    search: SearchResult
    report: pl.DataFrame
    correction: TrialCorrection
    tuned: ExperimentConfig

    @property
    def metrics(self) -> dict[str, float]:
        """The outer figures plus the trial correction."""
        return self.search.evaluation.metrics


def flat(prefix: str, value: Any) -> dict[str, Any]:
    """Nested dicts as dotted keys (the run's parameters)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, sub in value.items():
            out.update(flat(f"{prefix}.{key}" if prefix else str(key), sub))
        return out
    return {prefix: value}


def child_tracker(tracker: Tracker) -> Tracker:
    """A second tracker on the same store for the child runs (the parent stays open)."""
    if isinstance(tracker, MLflowTracker):
        return MLflowTracker(tracker.tracking_uri, tracker.artifact_location)
    return NullTracker()


def _record(tracker: Tracker, config: ExperimentConfig, tune: TuneConfig, candles: Any) -> None:
    code = code_version()
    lineage = data_lineage(config.data, candles)
    params = flat("", config.model_dump(mode="json", exclude={"features"}))
    params.update(flat("tune", tune.model_dump(mode="json")))
    params.update(
        data_start=str(candles["timestamp"].min()),
        data_end=str(candles["timestamp"].max()),
        data_hash=data_hash(candles),
        data_rows=candles.height,
        uv_lock_sha256=environment()["uv_lock_sha256"],
        **code_params(code),
    )
    tracker.log_params(params)
    tracker.set_tags(code_params(code))
    log_inputs(tracker, config, code, lineage)
    log_json(tracker, tune.model_dump(mode="json"), Path(TUNE_FILE).name, "tuning")


def _trial_logger(children: Tracker, experiment: str, parent: str) -> Any:
    def log_trial(trial: Trial) -> None:
        study = "final" if trial.outer == FINAL else f"outer{trial.outer}"
        tags = {"mlflow.parentRunId": parent, "kind": "trial", "study": study}
        children.start_run(experiment, f"{study} trial {trial.number}", tags)
        children.log_params({**trial.params, "trial": trial.number, "study": study})
        children.log_metrics({f"inner_{k}": v for k, v in trial.metrics.items()})
        children.log_metrics({"objective": trial.value, "oos_sharpe_per_bar": trial.sharpe_per_bar})
        children.end_run("FINISHED")

    return log_trial


def _log_report(tracker: Tracker, report: pl.DataFrame) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "quant_report.csv"
        report.write_csv(csv)
        tracker.log_artifact(csv, "report")
        # MLflow's table format (columns + rows), which its UI shows as a table.
        doc = {"columns": report.columns, "data": [list(r) for r in report.iter_rows()]}
        path = Path(tmp) / Path(REPORT_FILE).name
        path.write_text(json.dumps(doc, default=str), encoding="utf-8")
        tracker.log_artifact(path, "report")


def _log_results(
    tracker: Tracker, found: SearchResult, report: pl.DataFrame, correction: TrialCorrection
) -> None:
    ev = found.evaluation
    for fm in ev.fold_metrics:
        tracker.log_metrics({f"fold_{k}": v for k, v in fm.items()}, step=int(fm["fold"]))
    tracker.log_metrics(ev.metrics)
    for study in found.studies:
        name = "final" if study.outer == FINAL else f"outer{study.outer}"
        tracker.log_metrics({f"{name}_best_inner_objective": study.best.value})
    log_predictions(tracker, found.table)
    _log_report(tracker, report)
    chosen = {
        ("final" if s.outer == FINAL else f"outer{s.outer}"): s.best.params for s in found.studies
    }
    log_json(tracker, chosen, "chosen_params.json", "tuning")
    tracker.set_tags({"tuned_params": json.dumps(found.final_params, default=str)[:5000]})


def tune(
    config: ExperimentConfig,
    search: TuneConfig,
    tracker: Tracker | None = None,
    *,
    executor: Executor | None = None,
    features: FeatureFn = build_features,
    run_name: str | None = None,
) -> TuneResult:
    """Run a nested search on the experiment's data and record it.

    Args:
        config: The experiment (its walk-forward folds report; its holdout is never read).
        search: What to search and how.
        tracker: Where to record (default an MLflow tracker on the experiment's store).
        executor: Where fold jobs run (default: Ray if an address is configured, else a
            local process pool of ``search.workers``).
        features: The feature builder, checked for causality before anything is fitted.
        run_name: Parent run name (default ``tune <experiment name>``).

    Raises:
        LeakageError: A feature reads the future.
    """
    tracker = tracker or MLflowTracker(config.tracking.tracking_uri)
    own = executor is None
    executor = executor or make_executor(search.ray_address, search.workers)
    experiment = config.tracking.experiment
    tags = {"kind": "tuning", "backend": executor.name, "model": config.model.kind}
    run_id = tracker.start_run(experiment, run_name or f"tune {config.name}", tags)
    try:
        candles = load_candles(config.data)
        spec = resolve_spec(config)
        _record(tracker, config, search, candles)
        if config.checks.causality:
            check_causality(features, candles, spec, config.checks, config.seed).raise_if_failed()
        ds = build_dataset(candles, config, spec, features)
        children = child_tracker(tracker)
        found = nested_search(
            ds, config, search, executor, on_trial=_trial_logger(children, experiment, run_id)
        )
        others = tracker.trial_sharpes() or [t.sharpe_per_bar for t in found.trials]
        correction = deflated_sharpe(bar_returns(found.evaluation.backtests["oos"]), others)
        found.evaluation.metrics.update(
            n_trials=float(correction.n_trials),
            oos_sharpe_per_bar=correction.sharpe,
            oos_deflated_sharpe=correction.deflated,
            oos_expected_max_sharpe_per_bar=correction.expected_max,
        )
        report = quant_report(found.evaluation)
        _log_results(tracker, found, report, correction)
    except BaseException:
        tracker.end_run("FAILED")
        raise
    finally:
        if own:
            executor.close()
    tracker.end_run("FINISHED")
    tuned = apply_overrides(config, found.final_params)
    log.info("tuning %s: outer report\n%s", run_id, format_report(report))
    return TuneResult(run_id, found, report, correction, tuned)


__all__ = ["REPORT_FILE", "TUNE_FILE", "TuneResult", "child_tracker", "flat", "tune"]

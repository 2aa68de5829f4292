"""Nested purged walk-forward search: inner folds choose the parameters, outer folds report.

For every outer fold (the experiment's own walk-forward folds, all before the final holdout)
an Optuna study searches on walk-forward folds laid inside that fold's training window only;
its best parameters are then fitted on the whole training window and scored on the outer test
window, with the run's seeds and null draws. The outer windows' figures are therefore each
produced by a choice that never saw them. Optionally a last study on the outer folds picks the
parameters to deploy; its best value is itself selected on those windows and is never reported.

Trials are asked in batches of ``tune.batch`` and their folds run on the executor; the
sampler is seeded per study, so the same config and seed give the same trials on any backend.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import optuna
import polars as pl

from src.core.instruments import Instrument
from src.ml.config import ExperimentConfig, instruments_from
from src.ml.dataset import Dataset
from src.ml.distributed import Executor
from src.ml.evaluation import Evaluation, evaluate, model_metrics
from src.ml.metrics import periods_per_year
from src.ml.pipeline import plan
from src.ml.splits import Fold, walk_forward
from src.ml.tuning.config import ParamSpace, TuneConfig, apply_overrides
from src.ml.tuning.jobs import (
    FoldJob,
    Overrides,
    Shared,
    as_overrides,
    model_key,
    run_fold,
    score_only,
    sharpe_per_bar,
    unsafe_rows,
)

FINAL = -1  # the ``outer`` index of the final study's trials


@dataclass(frozen=True)
class Trial:
    """One evaluated set of parameters.

    Attributes:
        outer: The outer fold whose training window it was scored on (``FINAL``: the final
            study, scored on the outer folds).
        number: Trial number in its study.
        params: Dotted path -> value.
        value: The objective (NaN: it could not be computed).
        metrics: Pooled figures over the study's folds.
        sharpe_per_bar: Its Sharpe per bar, one of the trials the deflated Sharpe counts.
    """

    outer: int
    number: int
    params: dict[str, Any]
    value: float
    metrics: dict[str, float]
    sharpe_per_bar: float


@dataclass
class Study:
    """One study's trials and the parameters it chose."""

    outer: int
    folds: list[Fold]
    trials: list[Trial] = field(default_factory=list)

    @property
    def best(self) -> Trial:
        """The trial with the highest finite objective (the first of ties)."""
        scored = [t for t in self.trials if math.isfinite(t.value)]
        if not scored:
            raise ValueError(f"study {self.outer}: no trial gave a finite objective")
        return max(scored, key=lambda t: t.value)


@dataclass
class SearchResult:
    """What a nested search found and reported.

    Attributes:
        outer_folds: The reporting folds.
        studies: One per outer fold, then the final study (when run).
        table: Outer predictions table (each fold scored with its own study's choice).
        evaluation: Every figure of the outer table (``oos_*``, ``bh_*``, ``shuffled_*``...).
        fold_configs: The config each outer fold was scored with.
        final_params: The parameters to deploy (the final study's, else the last outer's).
    """

    outer_folds: list[Fold]
    studies: list[Study]
    table: pl.DataFrame
    evaluation: Evaluation
    fold_configs: dict[int, ExperimentConfig]
    final_params: dict[str, Any]

    @property
    def trials(self) -> list[Trial]:
        """Every trial of every study."""
        return [t for s in self.studies for t in s.trials]


def suggest(trial: optuna.trial.BaseTrial, name: str, space: ParamSpace) -> Any:
    """Draw one parameter from its range."""
    if space.kind == "categorical":
        return trial.suggest_categorical(name, space.choices or [])
    low, high = float(space.low or 0.0), float(space.high or 0.0)
    if space.kind == "int":
        step = int(space.step or 1)
        return trial.suggest_int(name, int(low), int(high), step=step, log=space.log)
    return trial.suggest_float(name, low, high, step=space.step, log=space.log)


def inner_folds(outer: Fold, config: ExperimentConfig, tune: TuneConfig) -> list[Fold]:
    """Walk-forward folds inside ``outer``'s training window (which ends before its purge gap).

    Raises:
        ValueError: The training window is too short for the inner folds.
    """
    splits = config.splits
    try:
        return walk_forward(
            outer.train_end,
            n_folds=tune.inner_folds,
            train_size=tune.inner_train_size or splits.train_size,
            test_size=tune.inner_test_size or splits.test_size,
            horizon=config.label.horizon,
            embargo=splits.embargo,
            scheme=splits.scheme,
        )
    except ValueError as exc:
        raise ValueError(
            f"outer fold {outer.index} trains on {outer.train_end} bars: {exc}; lower "
            "tune.inner_train_size / inner_test_size / inner_folds"
        ) from exc


class _Searcher:
    """Runs studies on one dataset through one executor, caching fitted scores."""

    def __init__(
        self,
        ds: Dataset,
        config: ExperimentConfig,
        tune: TuneConfig,
        executor: Executor,
        on_trial: Callable[[Trial], None],
    ) -> None:
        self.shared = Shared(ds, config)
        self.config, self.tune, self.executor, self.on_trial = config, tune, executor, on_trial
        self.instruments: dict[str, Instrument] = instruments_from(config)
        self.bars_per_year = periods_per_year(config.data.interval_minutes)
        self._cache: dict[tuple[Overrides, Fold], pl.DataFrame] = {}

    def _tables(self, jobs: list[FoldJob]) -> list[pl.DataFrame]:
        todo: dict[tuple[Overrides, Fold], FoldJob] = {}
        for job in jobs:
            key = (model_key(job.overrides), job.fold)
            if key not in self._cache:
                todo.setdefault(key, job)
        found = self.executor.map(run_fold, self.shared, list(todo.values()))
        for key, table in zip(todo, found, strict=True):
            self._cache[key] = score_only(table)
        return [self._cache[(model_key(j.overrides), j.fold)] for j in jobs]

    def _objective(
        self, params: dict[str, Any], tables: list[pl.DataFrame], unsafe: pl.DataFrame
    ) -> Trial:
        config = apply_overrides(self.config, params)
        table = pl.concat(tables, how="diagonal_relaxed")
        table = table.join(unsafe, on=["timestamp", "pair"], how="anti")
        metrics = model_metrics(table, config, self.instruments)
        value = float(metrics.get(self.tune.objective, math.nan))
        return Trial(FINAL, 0, params, value, metrics, sharpe_per_bar(metrics, self.bars_per_year))

    def study(self, outer: int, folds: list[Fold], limit: int, seed: int) -> Study:
        """Search ``n_trials`` parameter sets on ``folds``; rows labeled past ``limit`` are out."""
        sampler = optuna.samplers.TPESampler(seed=seed)
        optuna_study = optuna.create_study(direction="maximize", sampler=sampler)
        result = Study(outer, folds)
        unsafe = unsafe_rows(self.shared.ds, limit, self.config.splits.embargo)
        while len(result.trials) < self.tune.n_trials:
            size = min(self.tune.batch, self.tune.n_trials - len(result.trials))
            asked = [optuna_study.ask() for _ in range(size)]
            params = [{k: suggest(t, k, s) for k, s in self.tune.space.items()} for t in asked]
            jobs = [FoldJob(as_overrides(p), f) for p in params for f in folds]
            tables = self._tables(jobs)
            for i, (trial, chosen) in enumerate(zip(asked, params, strict=True)):
                mine = tables[i * len(folds) : (i + 1) * len(folds)]
                found = self._objective(chosen, mine, unsafe)
                found = Trial(outer, trial.number, chosen, *_rest(found))
                if math.isfinite(found.value):
                    optuna_study.tell(trial, found.value)
                else:
                    optuna_study.tell(trial, state=optuna.trial.TrialState.FAIL)
                result.trials.append(found)
                self.on_trial(found)
        return result

    def outer_tables(self, chosen: dict[int, dict[str, Any]], folds: list[Fold]) -> pl.DataFrame:
        """Each outer fold scored (with seeds and nulls) by its own study's parameters."""
        jobs = [FoldJob(as_overrides(chosen[f.index]), f, full=True) for f in folds]
        return pl.concat(self.executor.map(run_fold, self.shared, jobs), how="diagonal_relaxed")


def _rest(trial: Trial) -> tuple[float, dict[str, float], float]:
    return trial.value, trial.metrics, trial.sharpe_per_bar


def nested_search(
    ds: Dataset,
    config: ExperimentConfig,
    tune: TuneConfig,
    executor: Executor,
    *,
    on_trial: Callable[[Trial], None] = lambda trial: None,
) -> SearchResult:
    """Run the nested search on ``ds`` (never reading the holdout) and evaluate the outer folds.

    Args:
        ds: The modelling table (the holdout's rows may be in it; no job reads them).
        config: The experiment; its walk-forward folds are the outer folds.
        tune: The search.
        executor: Where the fold jobs run.
        on_trial: Called after every trial (to record it).
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    layout = plan(ds, config)
    seed = config.seed if tune.sampler_seed is None else tune.sampler_seed
    searcher = _Searcher(ds, config, tune, executor, on_trial)
    studies = [
        searcher.study(fold.index, inner_folds(fold, config, tune), fold.test_start, seed + k)
        for k, fold in enumerate(layout.folds)
    ]
    chosen = {s.outer: s.best.params for s in studies}
    table = searcher.outer_tables(chosen, layout.folds)
    fold_configs = {k: apply_overrides(config, p) for k, p in chosen.items()}
    ev = evaluate(table, config, searcher.instruments, fold_configs=fold_configs)
    final = chosen[layout.folds[-1].index]
    if tune.final_search:
        last = searcher.study(FINAL, layout.folds, layout.selection_bars, seed + len(studies))
        studies.append(last)
        final = last.best.params
    return SearchResult(layout.folds, studies, table, ev, fold_configs, final)


__all__ = ["FINAL", "SearchResult", "Study", "Trial", "inner_folds", "nested_search", "suggest"]

"""Which strategy a command trades or backtests: a moving-average cross, or a trained model.

A model is named ``name@alias`` (the registry; the pipeline publishes ``champion``) or by an
MLflow run id. When no model is champion yet, ``name@champion`` falls back to the newest
finished run's model with a loud warning, so a fresh setup can still paper-trade what it
trained (the promotion gate is what keeps such a model from being called champion).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from src.cli.errors import CliError
from src.core.strategy import MovingAverageCross, Strategy

if TYPE_CHECKING:
    from src.cli.config import UserConfig
    from src.ml.live_strategy import ModelStrategy
    from src.ml.retraining import RetrainingStrategy


@dataclass(frozen=True)
class StrategyChoice:
    """What the command line and the config ask for (before any model is loaded)."""

    kind: str
    pairs: list[str]
    interval_minutes: int
    fast: int
    slow: int
    model: str
    retrain_every: float | None = None
    retrain_window: float | None = None


@dataclass
class Resolved:
    """A strategy ready to run, how to name it, and what the user must be told.

    Attributes:
        strategy: the strategy object (the runtime's ``Strategy`` protocol).
        identity: stable name of what trades (same strategy, same identity): the paper
            gate compares it.
        description: one line for banners and reports.
        warnings: to print loudly before anything runs.
        trained_on: first and last candle the model learned from (a model strategy whose run
            recorded them), so a replay over them can be called in-sample.
    """

    strategy: Strategy
    identity: str
    description: str
    warnings: list[str] = field(default_factory=list)
    trained_on: tuple[datetime, datetime] | None = None


def strategy_choice(args: argparse.Namespace, config: UserConfig) -> StrategyChoice:
    """The command line's choice over the config's ``[trading]`` defaults, checked.

    Raises:
        CliError: a window or interval out of range.
    """
    from src.cli.config import INTERVALS

    t = config.trading
    choice = StrategyChoice(
        kind=args.strategy or t.strategy,
        pairs=[p.upper() for p in (args.pairs or t.pairs)],
        interval_minutes=args.interval or t.interval_minutes,
        fast=args.fast or t.fast,
        slow=args.slow or t.slow,
        model=args.model or t.model,
        retrain_every=getattr(args, "retrain_every", None),
        retrain_window=getattr(args, "retrain_window", None),
    )
    if choice.retrain_window is not None and choice.retrain_every is None:
        raise CliError("--retrain-window without --retrain-every", "add --retrain-every HOURS")
    if choice.retrain_every is not None:
        if choice.kind != "model":
            raise CliError(
                "--retrain-every retrains a model: it needs --strategy model",
                "add --strategy model (and --model NAME@ALIAS or a run id)",
            )
        if not choice.retrain_every > 0 or not (choice.retrain_window or 1) > 0:
            raise CliError("--retrain-every and --retrain-window take hours > 0", "e.g. 24")
    if choice.interval_minutes not in INTERVALS:
        raise CliError(
            f"--interval {choice.interval_minutes}: not one of Kraken's candle intervals",
            f"use one of {', '.join(map(str, INTERVALS))}",
        )
    if not 0 < choice.fast < choice.slow:
        raise CliError(
            f"moving averages: fast {choice.fast} must be at least 1 and below slow {choice.slow}",
            "e.g. --fast 3 --slow 8",
        )
    bad = [p for p in choice.pairs if p.count("/") != 1]
    if bad:
        raise CliError(f"pair {bad[0]!r} is not BASE/QUOTE", "write pairs like BTC/USD")
    return choice


def ml_settings(config: UserConfig) -> tuple[Path, str | None, str, str]:
    """The experiment file, tracking URI, experiment name and registered model name in force."""
    from src.ml.config import DEFAULT_CONFIG_PATH, load_config

    path = Path(config.ml.experiment) if config.ml.experiment else DEFAULT_CONFIG_PATH
    experiment = load_config(path)
    uri = config.ml.tracking_uri or experiment.tracking.tracking_uri
    return path, uri, experiment.tracking.experiment, experiment.tracking.registered_model


def resolve(choice: StrategyChoice, config: UserConfig) -> Resolved:
    """Build the strategy ``choice`` names (loading the model for ``model``).

    Raises:
        LookupError: no such model, and no finished run to fall back to.
    """
    if choice.kind == "ma":
        strategy = MovingAverageCross(
            choice.pairs,
            fast=choice.fast,
            slow=choice.slow,
            interval_minutes=choice.interval_minutes,
        )
        pairs = ",".join(choice.pairs)
        identity = f"ma fast={choice.fast} slow={choice.slow} {choice.interval_minutes}m {pairs}"
        text = (
            f"moving-average cross {choice.fast}/{choice.slow} on "
            f"{choice.interval_minutes}-minute candles"
        )
        return Resolved(strategy, identity, text)
    return _model(choice, config)


def _model(choice: StrategyChoice, config: UserConfig) -> Resolved:
    from src.ml.tracking import quiet_mlflow

    quiet_mlflow()
    _, uri, experiment, registered = ml_settings(config)
    warnings: list[str] = []
    if "@" in choice.model:
        name, _, alias = choice.model.partition("@")
        name = name or registered
        alias = alias or "champion"
        run_id = alias_run_id(uri, name, alias)
        if run_id is None and alias != "champion":
            raise CliError(
                f"no model aliased {alias!r} under {name!r} in the MLflow registry",
                f"use {name}@champion, or a run id (`mlflow ui` lists them)",
            )
        if run_id is None:
            run_id, run_name = newest_model_run(uri, experiment)
            warnings.append(
                f"no model is {alias!r} under {name!r}: trading the NEWEST run's model instead "
                f"(run {run_id}, {run_name!r}), which did NOT pass the promotion gate"
            )
            text = f"model of the newest run {run_id} (NOT champion)"
        else:
            text = f"model {name}@{alias} (run {run_id})"
    else:
        run_id, text = choice.model, f"model of run {choice.model}"
    # The champion is loaded through its run: the same artifacts, and the run id names it.
    strategy = _from_run(choice.pairs, run_id, uri)
    if strategy.interval_minutes != choice.interval_minutes:
        warnings.append(
            f"the model was trained on {strategy.interval_minutes}-minute candles: trading those"
        )
    identity = f"model run={run_id} {','.join(choice.pairs)}"
    text = f"{text} on {strategy.interval_minutes}-minute candles"
    span = strategy.trained_on
    if choice.retrain_every is None:
        return Resolved(strategy, identity, text, warnings, span)
    wrapped = _retraining(choice, config, strategy)
    every, window = wrapped.every, wrapped.window
    # The model in use changes with each promoted retrain: a different identity from the
    # fixed model's, so a paper gate passed by one is not taken for the other.
    identity += f" retrain every={every} window={window}"
    text += f", retrained every {every} bars on the last {window} (gated, tracked in MLflow)"
    return Resolved(wrapped, identity, text, warnings, span)


def _retraining(
    choice: StrategyChoice, config: UserConfig, strategy: Strategy
) -> RetrainingStrategy:
    from src.ml.config import load_config
    from src.ml.retraining import with_retraining

    path, uri, _, _ = ml_settings(config)
    experiment = load_config(path)
    # Retrains record where the model in use came from, and their gate reads its champion.
    experiment = experiment.model_copy(
        update={"tracking": experiment.tracking.model_copy(update={"tracking_uri": uri})}
    )
    try:
        wrapped = with_retraining(
            strategy, experiment, choice.retrain_every or 0.0, choice.retrain_window
        )
    except ValueError as exc:
        raise CliError(str(exc), "raise --retrain-window (hours), or omit it") from None
    from src.cli.candles import seed_retraining

    seed_retraining(wrapped, config.data_dir(), experiment.data)
    return wrapped


def _from_run(pairs: list[str], run_id: str, uri: str | None) -> ModelStrategy:
    from mlflow.exceptions import MlflowException

    from src.ml.live_strategy import ModelStrategy

    try:
        return ModelStrategy.from_run(pairs, run_id, tracking_uri=uri)
    except MlflowException as exc:
        raise CliError(
            f"cannot load the model of run {run_id}: {exc.message}",
            "check the run id (`mlflow ui` lists runs), or use kraken-signal@champion",
        ) from None
    except ValueError as exc:  # the model cannot trade these pairs (e.g. a reference is missing)
        raise CliError(
            f"the model of run {run_id} cannot trade {', '.join(pairs)}: {exc}",
            "add the pairs it names to --pairs (or to [trading] pairs)",
        ) from None


def alias_run_id(tracking_uri: str | None, name: str, alias: str) -> str | None:
    """The run behind ``name@alias`` in the registry, or None when there is none."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from src.ml.tracking import resolve_tracking_uri

    uri = resolve_tracking_uri(tracking_uri)
    try:
        version = MlflowClient(tracking_uri=uri, registry_uri=uri).get_model_version_by_alias(
            name, alias
        )
    except MlflowException:
        return None
    return str(version.run_id) if version.run_id else None


def _where(uri: str) -> str:
    """The store, with the file a relative SQLite URI means here (it follows the cwd)."""
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/"):
        return f"{uri} (that is {Path(uri[len(prefix) :]).resolve()}, in the current folder)"
    return uri


def newest_model_run(tracking_uri: str | None, experiment: str) -> tuple[str, str]:
    """The id and name of the newest finished run of ``experiment``.

    Raises:
        LookupError: the experiment has no finished run.
    """
    from mlflow.tracking import MlflowClient

    from src.ml.tracking import resolve_tracking_uri

    uri = resolve_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    runs = (
        client.search_runs(
            [found.experiment_id],
            filter_string="attributes.status = 'FINISHED'",
            order_by=["attributes.start_time DESC"],
            max_results=1,
        )
        if found is not None
        else []
    )
    if not runs:
        raise LookupError(f"no champion model and no finished training run in {_where(uri)}")
    return str(runs[0].info.run_id), str(runs[0].info.run_name)

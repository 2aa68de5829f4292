"""The strategy a session's options name: a registered model, or a moving-average cross."""

from __future__ import annotations

import argparse

from src.core.strategy import MovingAverageCross, Strategy


def make_strategy(args: argparse.Namespace) -> Strategy:
    """The strategy ``args.strategy`` names (``ma`` or ``model``) on ``args.symbols``.

    ``model`` trades ``args.model_name@args.alias`` from the MLflow registry, or, when no run
    holds that alias, the newest run's model with a loud warning. With ``args.retrain_every``
    (hours) the model is retrained on a sliding window of ``args.retrain_window`` hours and a
    retrain replaces it only when the promotion gate passes it (:mod:`src.ml.retraining`).

    Raises:
        LookupError: ``model`` and no trained run at all.
    """
    if args.strategy == "model":
        from src.cli.strategies import alias_run_id, newest_model_run
        from src.ml.config import DEFAULT_CONFIG_PATH, load_config
        from src.ml.live_strategy import ModelStrategy

        experiment = load_config(DEFAULT_CONFIG_PATH)
        model: Strategy
        if alias_run_id(None, args.model_name, args.alias) is not None:
            model = ModelStrategy.from_registry(args.symbols, args.model_name, alias=args.alias)
        else:
            # Nothing has passed the promotion gate: trading a model anyway must be a choice
            # the user sees, never a silent substitute.
            run_id, name = newest_model_run(None, experiment.tracking.experiment)
            print(
                f"!! no model is {args.model_name}@{args.alias}: trading the newest run's model, "
                f"{name} (run {run_id}), which did NOT pass the promotion gate",
                flush=True,
            )
            model = ModelStrategy.from_run(args.symbols, run_id)
        every = getattr(args, "retrain_every", None)
        if every is None:
            return model
        from src.cli.candles import seed_retraining
        from src.cli.config import UserConfig
        from src.ml.retraining import with_retraining

        wrapped = with_retraining(model, experiment, every, getattr(args, "retrain_window", None))
        seed_retraining(wrapped, UserConfig().data_dir(), experiment.data)  # ktrade's store
        print(
            f"retraining every {wrapped.every} bars on the last {wrapped.window} (each retrain "
            "an MLflow run; it replaces the model only if the promotion gate passes it)",
            flush=True,
        )
        return wrapped
    return MovingAverageCross(args.symbols, fast=3, slow=8, interval_minutes=args.interval)

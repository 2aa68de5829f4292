"""``ktrade train``: the walk-forward training of ``src.ml.train``, with the CLI's data and names.

The experiment's own CSV files are used unless the candle store holds every pair at the
experiment's interval (``ktrade download``); then those candles are exported to Kraken's
OHLCVT CSV format for the run. Each MLflow run gets a name that says what it is and when
(``lgbm_classifier BTC/USD+ETH/USD 60m direction/24 2026-01-02T10:15Z``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from src.cli import candles as candle_data
from src.cli.context import Context
from src.cli.errors import CliError
from src.ml.config import ExperimentConfig, load_config
from src.ml.tracking import MLflowTracker


def run_name(config: ExperimentConfig, now: datetime | None = None) -> str:
    """A run name that tells runs apart: model, pairs, interval, label and the UTC time."""
    now = now or datetime.now(UTC)
    label = f"{config.label.kind}/{config.label.horizon}"
    pairs = "+".join(config.data.pairs)
    return (
        f"{config.model.kind} {pairs} {config.data.interval_minutes}m {label} {now:%Y-%m-%dT%H:%MZ}"
    )


class NamedRuns(MLflowTracker):
    """An ``MLflowTracker`` that names its run ``name`` instead of the experiment's name."""

    def __init__(self, name: str, tracking_uri: str | None = None) -> None:
        super().__init__(tracking_uri)
        self.name = name

    def start_run(self, experiment: str, run_name: str, tags: dict[str, str]) -> str:
        """Open the run under this tracker's name; the experiment's name is kept as a tag."""
        return super().start_run(experiment, self.name, {**tags, "experiment_config": run_name})


def bars_needed(experiment: ExperimentConfig) -> int:
    """The fewest bars per pair the experiment's walk-forward (and holdout) can run on."""
    splits = experiment.splits
    walk = splits.train_size + splits.n_folds * splits.test_size
    return math.ceil(walk / (1 - splits.holdout_fraction))


def _too_short(short: dict[str, int], needed: int, interval: int) -> str:
    held = ", ".join(f"{pair} {bars}" for pair, bars in short.items())
    return (
        f"the candle store holds too few {interval}-minute bars ({held}); the experiment's "
        f"walk-forward needs at least {needed}"
    )


def _experiment(ctx: Context) -> ExperimentConfig:
    config = ctx.config()
    path = ctx.args.experiment or (Path(config.ml.experiment) if config.ml.experiment else None)
    if path is None:
        from src.ml.config import DEFAULT_CONFIG_PATH

        path = DEFAULT_CONFIG_PATH
    experiment = load_config(path)
    updates: dict[str, Any] = {}
    data = experiment.data
    if ctx.args.pairs:
        data = data.model_copy(update={"pairs": [p.upper() for p in ctx.args.pairs]})
    uri = ctx.args.tracking_uri or config.ml.tracking_uri
    if uri:
        updates["tracking"] = experiment.tracking.model_copy(update={"tracking_uri": uri})
    source = ctx.args.data
    store = candle_data.candle_store(config.data_dir())
    in_store = all(store.exists(p, data.interval_minutes) for p in data.pairs)
    needed = bars_needed(experiment)
    if source == "store" or (source == "auto" and in_store):
        loaded = candle_data.load(data.pairs, data.interval_minutes, store, data, source="store")
        short = {item.pair: item.frame.height for item in loaded if item.frame.height < needed}
        if short and source == "auto":
            # A REST download (720 bars) is far shorter than a walk-forward needs: train on
            # the experiment's files instead of failing deep inside the features.
            ctx.warn(_too_short(short, needed, data.interval_minutes) + "; training on the files")
            loaded = []
        elif short:
            raise CliError(
                _too_short(short, needed, data.interval_minutes),
                "add history (`ktrade download --trades --since DATE`, or --import Kraken's "
                "archives), or shrink [splits] in the experiment",
            )
    else:
        loaded = []
    if loaded:
        folder = config.data_dir() / "exports" / "ohlcvt"
        files = candle_data.export_ohlcvt(loaded, data.interval_minutes, folder)
        data = data.model_copy(update={"files": files})
        ctx.print(f"training on the candle store ({store.root})")
    updates["data"] = data
    return experiment.model_copy(update=updates)


def run_training(ctx: Context) -> int:
    """Train, print the tables and the gate's verdict; 0 after a run, 2 if leakage stopped it."""
    from src.ml.leakage import LeakageError
    from src.ml.tracking import quiet_mlflow
    from src.ml.train import train

    log_path = ctx.log_to_file(ctx.config().data_dir() / "logs", "train")
    quiet_mlflow()
    experiment = _experiment(ctx)
    name = ctx.args.run_name or run_name(experiment)
    ctx.print(f"training {name!r} ({experiment.model.kind}; log: {log_path})")
    tracker = NamedRuns(name, experiment.tracking.tracking_uri)
    try:
        result = train(experiment, tracker, progress=not ctx.args.no_progress)
    except LeakageError as exc:
        raise CliError(f"LEAKAGE: {exc}", "fix the feature named; nothing was registered") from None
    except FileNotFoundError as exc:
        for pair in experiment.data.pairs:
            candle_data.unknown_pair(pair)  # a typo, not missing data
        raise CliError(
            str(exc), "run `ktrade download` for those pairs, or set [data] in the experiment"
        ) from None
    ctx.print(result.report)  # quant report, baselines, null and the gate's reasons
    for warning in result.warnings:
        ctx.warn(f"shuffled-label control looks good: {warning}")
    ctx.print(f"MLflow run {result.run_id} ({name})")
    model = "kraken-signal@champion" if result.registered else result.run_id
    ctx.print(f"next: ktrade backtest --strategy model --model {model} --compare")
    ctx.log("train.done", run_id=result.run_id, run_name=name, registered=result.registered)
    return 0

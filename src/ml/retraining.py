"""Periodic retraining on a sliding window (as FreqAI does), gated before a model is swapped in.

:class:`RetrainingStrategy` wraps the strategy that trades (a :class:`ModelStrategy` by
default) and keeps the last ``window`` candles of every pair. Every ``every`` bars it trains a
new model on them through the full training pipeline (leakage checks, walk-forward, null,
holdout, the promotion gate), as its own MLflow run tagged ``retrain``. Only a run the gate
promotes replaces the model in use; a rejected one leaves the old model trading and logs why.
A retrain blocks ``on_candle`` while it runs (seconds to minutes): size ``every`` and the
config for the bar interval.
"""

from __future__ import annotations

import logging
import math
import tempfile
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import polars as pl

from src.core.market_data import Candle
from src.core.sizing import Target
from src.core.strategy import Strategy
from src.ml.config import ExperimentConfig
from src.ml.dataset import kraken_altname
from src.ml.tracking import MLflowTracker, Tracker
from src.ml.train import TrainResult, train

log = logging.getLogger(__name__)
Trainer = Callable[[ExperimentConfig, Tracker], TrainResult]
Loader = Callable[[str], Strategy]
#: ``(pair, before, n)`` -> at most ``n`` of the pair's stored candles that open before
#: ``before``, oldest first (a candle store, the shipped files).
History = Callable[[str, datetime, int], Sequence[Candle]]


@dataclass(frozen=True)
class Retrain:
    """One retrain: its run, the gate's verdict and reasons, and whether the model changed."""

    bar: int
    run_id: str
    promoted: bool
    reasons: list[str] = field(default_factory=list)


def write_ohlcvt(candles: Sequence[Candle], folder: Path, interval: int) -> Path:
    """Kraken's headerless OHLCVT CSV of one pair's candles (what training reads)."""
    path = folder / f"{kraken_altname(candles[0].symbol)}_{interval}.csv"
    frame = pl.DataFrame(
        {
            "time": [int(c.timestamp.timestamp()) for c in candles],
            "open": [float(c.open) for c in candles],
            "high": [float(c.high) for c in candles],
            "low": [float(c.low) for c in candles],
            "close": [float(c.close) for c in candles],
            "volume": [float(c.volume) for c in candles],
            "trades": [c.trades for c in candles],
        }
    )
    frame.write_csv(path, include_header=False)
    return path


class RetrainingStrategy:
    """A strategy whose model is retrained every ``every`` bars on the last ``window`` bars.

    Args:
        strategy: The strategy trading now (its model is the one to beat).
        config: The training experiment (pairs, features, labels, gate); its data section is
            replaced by the window's candles at each retrain.
        every: Bars (timestamps every pair has a candle for) between retrains.
        window: Candles per pair each retrain learns from.
        tracker: Factory of the tracker each retrain records into (default: MLflow on the
            config's store).
        trainer: The training function (default :func:`src.ml.train.train`).
        loader: Builds the strategy for a promoted run id (default
            :meth:`ModelStrategy.from_run`, primed with the window's candles).
        history: Stored candles to start the window with. Without it the window fills only
            from the session's own candles, and a window of thousands of bars would take
            months of a session before the first retrain.
    """

    def __init__(
        self,
        strategy: Strategy,
        config: ExperimentConfig,
        *,
        every: int,
        window: int,
        tracker: Callable[[], Tracker] | None = None,
        trainer: Trainer = train,
        loader: Loader | None = None,
        history: History | None = None,
    ) -> None:
        if every < 1 or window < 1:
            raise ValueError(f"every and window must be >= 1, got {every}, {window}")
        self.strategy, self.config, self.every, self.window = strategy, config, every, window
        self._tracker = tracker or (lambda: MLflowTracker(config.tracking.tracking_uri))
        self._trainer, self._loader = trainer, loader or self._from_run
        self.history = history
        self._candles: dict[str, deque[Candle]] = {
            s: deque(maxlen=window) for s in strategy.symbols
        }
        self._bars = 0
        self._last_bar: datetime | None = None
        self.retrains: list[Retrain] = []
        self.model_run: str | None = None

    @property
    def symbols(self) -> Sequence[str]:
        """The wrapped strategy's pairs."""
        return self.strategy.symbols

    @property
    def interval_minutes(self) -> int:
        """The wrapped strategy's interval."""
        return self.strategy.interval_minutes

    @property
    def warmup_candles(self) -> int:
        """The wrapped strategy's warm-up."""
        return self.strategy.warmup_candles

    def _from_run(self, run_id: str) -> Strategy:
        from src.ml.live_strategy import ModelStrategy

        fresh = ModelStrategy.from_run(
            list(self.symbols), run_id, tracking_uri=self.config.tracking.tracking_uri
        )
        fresh.prime(c for pair in self._candles.values() for c in pair)
        return fresh

    def on_candle(self, candle: Candle) -> list[Target]:
        """Trade the candle with the model in use, then retrain when one is due."""
        targets = self.strategy.on_candle(candle)
        held = self._candles.get(candle.symbol)
        if held is None:
            return targets
        if not held and self.history is not None:
            self._seed(held, candle)
        if held and candle.timestamp <= held[-1].timestamp:
            if candle.timestamp == held[-1].timestamp:
                held[-1] = candle  # the same bar again (warm-up over stored history): newest wins
            return targets
        held.append(candle)
        # A bar counts once every pair has its candle (pairs arrive in any order).
        latest = {c[-1].timestamp if c else None for c in self._candles.values()}
        if latest == {candle.timestamp} and candle.timestamp != self._last_bar:
            self._last_bar = candle.timestamp
            self._bars += 1
            full = all(len(c) == self.window for c in self._candles.values())
            if full and self._bars % self.every == 0:
                self._retrain_safely()
        return targets

    def _seed(self, held: deque[Candle], first: Candle) -> None:
        """Start ``held`` with the stored candles just before ``first``, if they join up.

        A window with a hole would train features and labels across it, so stored candles
        that end before the bar preceding ``first`` are not used (and the log says why).
        """
        assert self.history is not None
        try:
            stored = list(self.history(first.symbol, first.timestamp, self.window - 1))
        except Exception:  # no store, an unreadable file: the session's own candles still fill it
            log.exception("retrain window for %s: stored candles unreadable", first.symbol)
            return
        step = timedelta(minutes=self.interval_minutes)
        if not stored:
            return
        if stored[-1].timestamp != first.timestamp - step:
            log.warning(
                "retrain window for %s: stored candles end %s, the session's start %s; not "
                "used (a window with a hole would train across it). `ktrade download` closes it",
                first.symbol,
                stored[-1].timestamp.isoformat(),
                first.timestamp.isoformat(),
            )
            return
        held.extend(stored)
        log.info(
            "retrain window for %s: %d stored candles to start with", first.symbol, len(stored)
        )

    def _retrain_safely(self) -> None:
        # A retrain that fails (too few labeled rows in a quiet window, a leakage check, a full
        # disk) must not end the trading session: the model in use keeps trading.
        try:
            self.retrain()
        except Exception as exc:
            log.exception("retrain at bar %d failed; keeping the model in use", self._bars)
            reason = f"FAIL retrain raised {type(exc).__name__}: {exc}"
            self.retrains.append(Retrain(self._bars, "", False, [reason]))

    def _window_config(self, folder: Path) -> ExperimentConfig:
        files = {
            pair: str(write_ohlcvt(list(c), folder, self.interval_minutes))
            for pair, c in self._candles.items()
        }
        data = self.config.data.model_copy(
            update={"files": files, "start": None, "end": None, "max_rows": None}
        )
        return self.config.model_copy(update={"data": data})

    def retrain(self) -> Retrain:
        """Train on the window now; swap the model in only if the gate promotes it."""
        with tempfile.TemporaryDirectory() as tmp:
            config = self._window_config(Path(tmp))
            tagged = _Tagged(self._tracker(), {"retrain": str(len(self.retrains))})
            tracker = cast(Tracker, tagged)
            result = self._trainer(config, tracker)
        done = Retrain(self._bars, result.run_id, result.registered, list(result.gate_reasons))
        self.retrains.append(done)
        if done.promoted:
            self.strategy = self._loader(result.run_id)
            self.model_run = result.run_id
            log.info("retrain at bar %d: run %s promoted, now trading it", done.bar, done.run_id)
        else:
            failed = "; ".join(r for r in done.reasons if r.startswith("FAIL")) or "not promoted"
            log.warning(
                "retrain at bar %d: run %s rejected by the gate (%s); keeping the model in use",
                done.bar,
                done.run_id,
                failed,
            )
        return done


def minimum_window(config: ExperimentConfig) -> int:
    """Bars a retrain window needs at least: the walk-forward, its purge gap and the holdout.

    The feature warm-up and unlabeled rows come on top, so a window this short can still
    fail (the retrain is then skipped with its reason); size it with room to spare.
    """
    splits, horizon = config.splits, config.label.horizon
    walk = splits.train_size + horizon + splits.embargo + splits.n_folds * splits.test_size
    if not splits.holdout_fraction:
        return walk
    gap = horizon + splits.embargo if splits.holdout_gap is None else splits.holdout_gap
    return math.ceil((walk + gap) / (1.0 - splits.holdout_fraction))


def hours_to_bars(hours: float, interval_minutes: int) -> int:
    """Whole bars in ``hours`` of ``interval_minutes`` candles (at least 1)."""
    return max(1, round(hours * 60 / interval_minutes))


def with_retraining(
    strategy: Strategy,
    config: ExperimentConfig,
    every_hours: float,
    window_hours: float | None = None,
) -> RetrainingStrategy:
    """Wrap ``strategy`` to retrain every ``every_hours`` on the last ``window_hours``.

    What ``--retrain-every`` / ``--retrain-window`` of ``ktrade paper/live`` and the live
    example build. The window defaults to the experiment's ``data.max_rows`` bars (what a
    training run on the shipped data learns from), else its minimum.

    Raises:
        ValueError: A period that is not positive, or a window shorter than
            :func:`minimum_window` (every retrain would fail).
    """
    if not every_hours > 0 or (window_hours is not None and not window_hours > 0):
        raise ValueError(f"retrain every/window: hours > 0, got {every_hours}, {window_hours}")
    interval = strategy.interval_minutes
    least = minimum_window(config)
    if window_hours is None:
        window = max(config.data.max_rows or least, least)
    else:
        window = hours_to_bars(window_hours, interval)
    if window < least:
        raise ValueError(
            f"a retrain window of {window} bars is shorter than the {least} the experiment's "
            f"walk-forward and holdout need ({least * interval / 60:g} hours)"
        )
    return RetrainingStrategy(
        strategy, config, every=hours_to_bars(every_hours, interval), window=window
    )


class _Tagged:
    """A tracker that adds tags to the run it opens (the retrain's number)."""

    def __init__(self, inner: Tracker, tags: dict[str, str]) -> None:
        self._inner, self._tags = inner, tags

    def start_run(self, experiment: str, run_name: str, tags: dict[str, str]) -> str:
        return self._inner.start_run(experiment, f"retrain {run_name}", {**tags, **self._tags})

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


__all__ = [
    "History",
    "Loader",
    "Retrain",
    "RetrainingStrategy",
    "Trainer",
    "hours_to_bars",
    "minimum_window",
    "with_retraining",
    "write_ohlcvt",
]

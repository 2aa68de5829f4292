"""A retrain window starts from stored candles that join the session's, never across a hole."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from src.core.market_data import Candle
from src.core.strategy import MovingAverageCross
from src.ml.config import ExperimentConfig
from src.ml.retraining import RetrainingStrategy
from src.ml.tracking import NullTracker, Tracker
from src.ml.train import TrainResult

PAIRS = ["BTC/USD", "ETH/USD"]
T0 = datetime(2024, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _bar(pair: str, i: int) -> Candle:
    price = Decimal(100 + i)
    return Candle(symbol=pair, interval_minutes=60, timestamp=T0 + i * HOUR, open=price,
                  high=price, low=price, close=price, volume=Decimal(1))  # fmt: skip


class _Store:
    """Candles 0..n-1 of each pair, answering like ``History``."""

    def __init__(self, n: int) -> None:
        self.bars = {p: [_bar(p, i) for i in range(n)] for p in PAIRS}
        self.asked: list[tuple[str, datetime, int]] = []

    def __call__(self, pair: str, before: datetime, n: int) -> list[Candle]:
        self.asked.append((pair, before, n))
        return [c for c in self.bars.get(pair, []) if c.timestamp < before][-n:]


class _Trainer:
    """Records the window each retrain was handed (read back from its CSV files)."""

    def __init__(self) -> None:
        self.windows: list[dict[str, list[int]]] = []

    def __call__(self, config: ExperimentConfig, tracker: Tracker) -> TrainResult:
        files = config.data.files or {}
        self.windows.append(
            {
                pair: [
                    int((t - T0.timestamp()) // 3600)
                    for t in pl.read_csv(Path(path), has_header=False)["column_0"]
                ]
                for pair, path in files.items()
            }
        )
        return TrainResult("run", "", {}, False, gate_reasons=["FAIL test"])


def _wrapper(
    window: int, every: int, history: _Store | None
) -> tuple[RetrainingStrategy, _Trainer]:
    trainer = _Trainer()
    strategy = MovingAverageCross(PAIRS, fast=2, slow=3, interval_minutes=60)
    config = ExperimentConfig.model_validate({"data": {"pairs": PAIRS}})
    wrapper = RetrainingStrategy(strategy, config, every=every, window=window,
                                 tracker=NullTracker, trainer=trainer, history=history)  # fmt: skip
    return wrapper, trainer


def _session(wrapper: RetrainingStrategy, bars: range) -> None:
    for i in bars:
        for pair in PAIRS:
            wrapper.on_candle(_bar(pair, i))


def test_stored_candles_start_the_window_and_the_first_retrain_comes_after_every_bars() -> None:
    store = _Store(1000)  # the store holds bars 0..999; the session starts at bar 1000
    wrapper, trainer = _wrapper(window=500, every=24, history=store)
    _session(wrapper, range(1000, 1023))
    assert trainer.windows == []  # 23 session bars: not yet
    _session(wrapper, range(1023, 1024))
    [window] = trainer.windows
    # The last 500 bars, stored then live, each once and in order: 524..1023.
    assert window == {p: list(range(524, 1024)) for p in PAIRS}
    assert {(p, n) for p, _, n in store.asked} == {(p, 499) for p in PAIRS}


def test_a_redelivered_bar_replaces_its_copy_instead_of_doubling() -> None:
    wrapper, trainer = _wrapper(window=50, every=10, history=_Store(100))
    _session(wrapper, range(100, 105))
    _session(wrapper, range(104, 110))  # a reconnect re-sends bar 104
    [window] = trainer.windows
    assert window == {p: list(range(60, 110)) for p in PAIRS}


def test_stored_candles_that_leave_a_hole_are_not_used(caplog: pytest.LogCaptureFixture) -> None:
    store = _Store(900)  # ends at bar 899; the session starts at 1000: a 100-bar hole
    wrapper, trainer = _wrapper(window=50, every=10, history=store)
    with caplog.at_level(logging.WARNING, logger="src.ml.retraining"):
        _session(wrapper, range(1000, 1040))
    assert "not used (a window with a hole" in caplog.text
    assert trainer.windows == []  # 40 session bars < the 50-bar window
    _session(wrapper, range(1040, 1050))
    assert trainer.windows == [{p: list(range(1000, 1050)) for p in PAIRS}]


def test_without_history_the_window_fills_from_the_session() -> None:
    wrapper, trainer = _wrapper(window=30, every=30, history=None)
    _session(wrapper, range(0, 29))
    assert trainer.windows == []
    _session(wrapper, range(29, 30))
    assert trainer.windows == [{p: list(range(0, 30)) for p in PAIRS}]

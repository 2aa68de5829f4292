"""``stored_history``: the candles a retrain window starts with, read from the store or files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from src.cli.candles import candle_store, load, stored_history
from src.ml.config import DataConfig


def test_history_is_the_last_n_candles_before_the_time(tmp_path: Path) -> None:
    store = candle_store(tmp_path)  # empty: the shipped hourly files answer
    data = DataConfig()
    history = stored_history(store, data, 60)
    frame = load(["BTC/USD"], 60, store, data)[0].frame
    at = frame["timestamp"][len(frame) // 2]
    got = history("BTC/USD", at, 100)
    assert len(got) == 100
    assert got[-1].timestamp == at - timedelta(hours=1)  # joins the bar at `at`
    assert [c.timestamp for c in got] == list(
        frame.filter(frame["timestamp"] < at)["timestamp"].tail(100)
    )
    assert all(c.symbol == "BTC/USD" and c.interval_minutes == 60 for c in got)


def test_a_pair_stored_nowhere_has_no_history(tmp_path: Path) -> None:
    history = stored_history(candle_store(tmp_path), DataConfig(), 60)
    assert history("NOPE/USD", datetime(2023, 1, 1, tzinfo=UTC), 10) == []

"""Sliding-window retraining: a promoted retrain replaces the model, a rejected one does not."""

from __future__ import annotations

import logging
from datetime import UTC
from decimal import Decimal

import polars as pl
import pytest
from mlflow.tracking import MlflowClient

from src.core.market_data import Candle
from src.core.strategy import MovingAverageCross
from src.ml.dataset import load_candles
from src.ml.live_strategy import ModelStrategy
from src.ml.retraining import RetrainingStrategy
from tests.unit.ml.conftest import ConfigFactory

WINDOW = 1500


def _candles(config_data: object) -> list[Candle]:
    frame = load_candles(config_data).sort("timestamp", "pair")  # type: ignore[arg-type]
    out = []
    for row in frame.iter_rows(named=True):
        out.append(
            Candle(
                symbol=row["pair"],
                interval_minutes=60,
                timestamp=row["timestamp"].astimezone(UTC),
                **{k: Decimal(str(row[k])) for k in ("open", "high", "low", "close", "volume")},
            )
        )
    return out


def _feed(wrapper: RetrainingStrategy, candles: list[Candle]) -> None:
    for candle in candles:
        wrapper.on_candle(candle)


def test_a_promoted_retrain_replaces_the_model(
    small_config: ConfigFactory, tracking_uri: str
) -> None:
    config = small_config(tracking_uri)
    first = MovingAverageCross(config.data.pairs, fast=5, slow=20, interval_minutes=60)
    wrapper = RetrainingStrategy(first, config, every=WINDOW, window=WINDOW)
    candles = _candles(config.data)
    assert len(candles) == 2 * WINDOW
    _feed(wrapper, candles[:-2])
    assert wrapper.retrains == [] and wrapper.strategy is first  # window not full yet
    _feed(wrapper, candles[-2:])
    [done] = wrapper.retrains
    assert done.promoted and done.bar == WINDOW
    assert isinstance(wrapper.strategy, ModelStrategy) and wrapper.model_run == done.run_id
    run = MlflowClient(tracking_uri).get_run(done.run_id)
    assert run.data.tags["retrain"] == "0" and run.data.tags["gate"] == "promoted"
    # The window it learned from is the candles held: their first and last bar.
    stamps = pl.Series([c.timestamp for c in candles])
    assert run.data.params["data_start"] == str(stamps.min())
    assert run.data.params["data_end"] == str(stamps.max())


def test_a_rejected_retrain_keeps_the_model_and_says_why(
    small_config: ConfigFactory, tracking_uri: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = small_config(tracking_uri)
    tracking = config.tracking.model_copy(update={"champion_floor": 1e9})
    config = config.model_copy(update={"tracking": tracking})
    first = MovingAverageCross(config.data.pairs, fast=5, slow=20, interval_minutes=60)
    wrapper = RetrainingStrategy(first, config, every=WINDOW, window=WINDOW)
    with caplog.at_level(logging.WARNING, logger="src.ml.retraining"):
        _feed(wrapper, _candles(config.data))
    [done] = wrapper.retrains
    assert not done.promoted and wrapper.strategy is first and wrapper.model_run is None
    assert any(r.startswith("FAIL oos_sharpe") for r in done.reasons)
    assert "rejected by the gate" in caplog.text and "keeping the model in use" in caplog.text
    assert MlflowClient(tracking_uri).get_run(done.run_id).data.tags["gate"] == "rejected"


def test_bad_periods_are_refused(small_config: ConfigFactory, tracking_uri: str) -> None:
    config = small_config(tracking_uri)
    inner = MovingAverageCross(config.data.pairs, interval_minutes=60)
    with pytest.raises(ValueError, match="every and window"):
        RetrainingStrategy(inner, config, every=0, window=10)

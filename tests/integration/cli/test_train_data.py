"""``ktrade train`` picks its candles: the store only when it holds enough for the walk-forward.

Integration only because MLflow's import probes a socket; the training itself is faked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from src.cli.training import bars_needed
from src.ml.config import DEFAULT_CONFIG_PATH, ExperimentConfig, load_config
from src.ml.data.schema import CANDLE_SCHEMA
from src.ml.data.store import CandleStore
from tests.unit.cli.cli_support import Home, Result

pytestmark = pytest.mark.integration


def _store_bars(home: Home, bars: int) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    store = CandleStore(home.data / "candles")
    for pair, price in (("BTC/USD", 30000.0), ("ETH/USD", 2000.0)):
        frame = pl.DataFrame(
            {
                "timestamp": [start + timedelta(hours=i) for i in range(bars)],
                "open": [price + i for i in range(bars)],
                "high": [price + i + 5 for i in range(bars)],
                "low": [price + i - 5 for i in range(bars)],
                "close": [price + i + 1 for i in range(bars)],
                "volume": [1.0] * bars,
                "trades": [3] * bars,
            },
            schema=CANDLE_SCHEMA,
        )
        store.update(pair, 60, frame)


@pytest.fixture
def fake_train(monkeypatch: pytest.MonkeyPatch) -> list[ExperimentConfig]:
    """The experiments ``train`` was given (it then stops the command with a known error)."""
    given: list[ExperimentConfig] = []

    def train(experiment: ExperimentConfig, *args: Any, **kwargs: Any) -> Any:
        given.append(experiment)
        raise FileNotFoundError("stopped by the test")  # as a missing candle file would

    monkeypatch.setattr("src.ml.train.train", train)
    return given


def test_bars_needed_covers_folds_and_holdout() -> None:
    experiment = load_config(DEFAULT_CONFIG_PATH)
    s = experiment.splits
    needed = bars_needed(experiment)
    assert needed * (1 - s.holdout_fraction) >= s.train_size + s.n_folds * s.test_size
    assert (needed - 1) * (1 - s.holdout_fraction) < s.train_size + s.n_folds * s.test_size


def test_a_short_store_is_refused_with_the_fix_when_asked_for(
    home: Home, ktrade: Callable[..., Result], fake_train: list[ExperimentConfig]
) -> None:
    _store_bars(home, 12)
    result = ktrade("train", "--data", "store", "--no-progress")
    assert fake_train == []
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 2
    assert "too few 60-minute bars (BTC/USD 12, ETH/USD 12)" in lines[0]
    assert str(bars_needed(load_config(DEFAULT_CONFIG_PATH))) in lines[0]
    assert "--trades" in lines[1]


def test_auto_trains_on_the_files_when_the_store_is_short(
    home: Home, ktrade: Callable[..., Result], fake_train: list[ExperimentConfig]
) -> None:
    _store_bars(home, 12)
    short = ktrade("train", "--no-progress")
    assert "too few 60-minute bars" in short.err and "training on the files" in short.err
    assert fake_train[-1].data.files == {}  # the experiment's own files
    _store_bars(home, bars_needed(load_config(DEFAULT_CONFIG_PATH)))
    whole = ktrade("train", "--no-progress")
    assert "too few" not in whole.err
    files = fake_train[-1].data.files
    assert set(files) == {"BTC/USD", "ETH/USD"}
    assert all("exports" in path for path in files.values())


def test_a_mistyped_pair_is_named_with_close_ones_not_sent_to_download(
    home: Home, ktrade: Callable[..., Result], fake_train: list[ExperimentConfig]
) -> None:
    from src.cli.candles import unknown_pair

    unknown_pair("BTC/USD")  # a real pair passes
    for command in (("train", "--no-progress"), ("backtest", "--no-html")):
        result = ktrade(*command, "--pairs", "BTC/USX")
        assert result.code == 2, command
        lines = result.err.strip().splitlines()
        assert lines[-2].startswith("error: unknown symbol 'BTC/USX'; did you mean BTC/USD")
        assert lines[-1].startswith("  fix: write pairs as BASE/QUOTE")
        assert "download" not in result.err

"""Shared ML test fixtures: real Kraken candles from data/market and a small training config."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from src.ml.config import ExperimentConfig
from src.ml.data import read_kraken_ohlcvt_csv
from src.ml.tracking import MLflowTracker
from src.ml.train import TrainResult, train
from tests.support.paths import MARKET_DATA, ROOT

REPO = ROOT
MARKET = MARKET_DATA


def make_small_config(tracking_uri: str, **overrides: object) -> ExperimentConfig:
    """Two pairs, 1500 hourly bars each, 2 folds, 20 trees, 3 null draws: a run in seconds."""
    raw: dict[str, object] = {
        "name": "test-run",
        "seed": 7,
        "data": {
            "pairs": ["BTC/USD", "ETH/USD"],
            "data_dir": str(REPO / "data/market/kraken-ohlcvt-60m"),
            "max_rows": 1500,
        },
        "label": {"kind": "direction", "horizon": 4, "dead_zone": 0.001},
        "splits": {"n_folds": 2, "train_size": 600, "test_size": 250, "embargo": 2},
        "model": {"kind": "lgbm_classifier", "params": {"n_estimators": 20}},
        "strategy": {"long_threshold": 0.52, "short_threshold": 0.48},
        "tracking": {
            "tracking_uri": tracking_uri,
            "experiment": "test",
            "registered_model": "test-signal",
            "champion_floor": -1e9,
            # The trial correction has its own tests; here it would block every champion.
            "min_deflated_sharpe": 0.0,
        },
        "null": {"draws": 3, "model_seeds": 2},
        "instruments": {
            "BTC/USD": {"price_tick": "0.1", "lot_step": "0.00000001", "min_quantity": "0.0001"},
            "ETH/USD": {"price_tick": "0.01", "lot_step": "0.00000001", "min_quantity": "0.002"},
        },
    }
    raw.update(overrides)
    return ExperimentConfig.model_validate(raw)


ConfigFactory = Callable[..., ExperimentConfig]


@pytest.fixture(scope="session")
def small_config() -> ConfigFactory:
    """Factory ``small_config(tracking_uri, **overrides)`` for a fast training config."""
    return make_small_config


Store = tuple[str, TrainResult, TrainResult]


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Two identical small runs into one temporary MLflow store (shared by the test files)."""
    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    config = make_small_config(uri)
    first = train(config, MLflowTracker(uri), progress=False)
    second = train(config, MLflowTracker(uri), progress=False)
    return uri, first, second


@pytest.fixture
def tracking_uri(tmp_path: Path) -> str:
    """A fresh sqlite MLflow store in a temporary folder."""
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


# --- market data fixtures (data and feature tests) ---


@pytest.fixture(scope="session")
def market_dir() -> Path:
    """The repo's shipped real-market-data folder."""
    return MARKET


@pytest.fixture(scope="session")
def btc_hourly() -> pl.DataFrame:
    """Kraken's official XBT/USD 1h OHLCVT candles, 2021-01-01 to 2023-01-07."""
    return read_kraken_ohlcvt_csv(MARKET / "kraken-ohlcvt-60m" / "XBTUSD_60_2021_2023.csv")


@pytest.fixture(scope="session")
def eth_hourly() -> pl.DataFrame:
    """Kraken's official ETH/USD 1h OHLCVT candles, 2021-01-01 to 2023-03-31."""
    return read_kraken_ohlcvt_csv(MARKET / "kraken-ohlcvt-60m" / "ETHUSD_60_2021_2023.csv")


@pytest.fixture(scope="session")
def rest_ohlc_dir() -> Path:
    """Kraken REST OHLC captures, April 2020: 1/5/15/60/240 min for XXBTZUSD and XETHZEUR."""
    return MARKET / "kraken-rest-ohlc-2020-04" / "data"

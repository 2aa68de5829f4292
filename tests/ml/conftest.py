"""Shared fixtures for the ML tests: a small, fast training config on the shipped real candles."""

from __future__ import annotations

from pathlib import Path

import pytest

from src.ml.config import ExperimentConfig

REPO = Path(__file__).resolve().parents[2]


def small_config(tracking_uri: str, **overrides: object) -> ExperimentConfig:
    """Two pairs, 1500 hourly bars each, 2 folds, 20 trees: a training run in a few seconds."""
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
        },
        "instruments": {
            "BTC/USD": {"price_tick": "0.1", "lot_step": "0.00000001", "min_quantity": "0.0001"},
            "ETH/USD": {"price_tick": "0.01", "lot_step": "0.00000001", "min_quantity": "0.002"},
        },
    }
    raw.update(overrides)
    return ExperimentConfig.model_validate(raw)


@pytest.fixture
def tracking_uri(tmp_path: Path) -> str:
    """A fresh sqlite MLflow store in a temporary folder."""
    return f"sqlite:///{tmp_path / 'mlflow.db'}"

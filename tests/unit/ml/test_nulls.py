"""The null keeps the labels' own structure and only breaks their alignment with the features."""

from __future__ import annotations

import math

import numpy as np
import pytest

from src.ml.config import NullConfig
from src.ml.nulls import misaligned_labels, p_value, z_score


def _labels(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved pairs with persistent (autocorrelated) up/down regimes."""
    rng = np.random.default_rng(seed)
    regime = np.repeat(rng.integers(0, 2, n // 40 + 1), 40)[:n]
    flips = rng.random(n) < 0.1
    y = np.where(flips, 1 - regime, regime).astype(float)
    pairs = np.array(["BTC/USD", "ETH/USD"] * (n // 2))
    return y, pairs


def _lag1(values: np.ndarray) -> float:
    return float(np.corrcoef(values[:-1], values[1:])[0, 1])


@pytest.mark.parametrize("kind", ["circular_shift", "block_shuffle"])
def test_each_pair_keeps_its_labels_and_their_autocorrelation(kind: str) -> None:
    y, pairs = _labels(4000)
    cfg = NullConfig.model_validate({"kind": kind, "block": 40})
    out = misaligned_labels(y, pairs, np.random.default_rng(1), cfg, horizon=4)
    for pair in ("BTC/USD", "ETH/USD"):
        own, moved = y[pairs == pair], out[pairs == pair]
        assert sorted(own) == sorted(moved)  # same labels, same class balance
        assert abs(_lag1(moved) - _lag1(own)) < 0.05  # regimes survive
        assert np.mean(own == moved) < 0.75  # but they no longer line up with their rows
    # A row-wise permutation, the old control, destroys the autocorrelation.
    shuffled = np.random.default_rng(1).permutation(y[pairs == "BTC/USD"])
    assert abs(_lag1(shuffled)) < 0.1 < _lag1(y[pairs == "BTC/USD"])


def test_a_circular_shift_moves_labels_by_at_least_the_horizon() -> None:
    y = np.arange(100, dtype=float)
    pairs = np.array(["A"] * 100)
    for seed in range(30):
        out = misaligned_labels(y, pairs, np.random.default_rng(seed), NullConfig(), horizon=10)
        offset = int((out[0] - y[0]) % 100)
        assert 10 <= (100 - offset) <= 90
        assert np.array_equal(np.roll(y, 100 - offset), out)


def test_z_score_and_p_value_against_the_draws() -> None:
    null = [0.0, 1.0, 2.0, 3.0, 4.0]
    assert z_score(2.0, null) == 0.0
    assert z_score(2.0 + math.sqrt(2.5), null) == pytest.approx(1.0)
    assert p_value(10.0, null) == pytest.approx(1 / 6)  # better than every draw
    assert p_value(-1.0, null) == 1.0
    assert p_value(3.0, null) == pytest.approx(3 / 6)  # ties count against the model
    assert math.isnan(z_score(1.0, [1.0, 1.0]))  # no spread, no z
    assert math.isnan(p_value(math.nan, null))

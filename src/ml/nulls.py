"""The null a model is judged against: the same model refitted on misaligned training labels.

One row-wise permutation of the labels is a weak null: it destroys the labels' autocorrelation
(overlapping forward returns, volatility regimes), so a model fitted on it looks worse than a
model that learned only those regimes would, and one draw says nothing about the spread. Here
each pair's training labels are rotated by a random offset (``circular_shift``) or cut into
blocks that are permuted (``block_shuffle``), many times; the model's figures are then given as
a z-score and an empirical p-value against those draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from src.ml.config import NullConfig


def misaligned_labels(
    y: np.ndarray,
    pairs: np.ndarray,
    rng: np.random.Generator,
    cfg: NullConfig,
    horizon: int,
) -> np.ndarray:
    """A copy of ``y`` whose values are moved along each pair's own time order.

    Args:
        y: Training targets, rows sorted by time (pairs interleaved).
        pairs: Pair of each row.
        rng: Source of the offsets / block order.
        cfg: ``kind`` and ``block``.
        horizon: Label horizon; a rotation moves labels by at least this many rows, so no
            label lands on a row whose own label window overlaps it.
    """
    out = np.array(y, copy=True)
    for pair in dict.fromkeys(pairs.tolist()):
        idx = np.flatnonzero(pairs == pair)
        n = len(idx)
        if n < 2:
            continue
        values = out[idx]
        if cfg.kind == "circular_shift":
            low = min(horizon, (n - 1) // 2) or 1
            offset = int(rng.integers(low, n - low + 1))
            out[idx] = np.roll(values, offset)
        else:
            size = cfg.block or 4 * horizon
            blocks = [values[i : i + size] for i in range(0, n, size)]
            order = rng.permutation(len(blocks))
            out[idx] = np.concatenate([blocks[i] for i in order])
    return out


def z_score(value: float, null: Sequence[float]) -> float:
    """(value - mean of the null) / its sample standard deviation; NaN if undefined."""
    draws = np.asarray([v for v in null if math.isfinite(v)], dtype=float)
    if not math.isfinite(value) or len(draws) < 2:
        return math.nan
    std = float(np.std(draws, ddof=1))
    if std == 0.0:
        return math.nan
    return (value - float(np.mean(draws))) / std


def p_value(value: float, null: Sequence[float]) -> float:
    """One-sided empirical p-value: (1 + draws at least as good) / (1 + draws)."""
    draws = [v for v in null if math.isfinite(v)]
    if not math.isfinite(value) or not draws:
        return math.nan
    return (1 + sum(v >= value for v in draws)) / (1 + len(draws))


__all__ = ["misaligned_labels", "p_value", "z_score"]

"""Turn model scores into target position weights (vectorized, with hysteresis)."""

from __future__ import annotations

import numpy as np
import polars as pl


def signals_to_positions(
    score: np.ndarray,
    long_threshold: float,
    short_threshold: float,
    *,
    allow_short: bool = False,
) -> np.ndarray:
    """Map each score to a target weight in {-1, 0, 1} of the sleeve's equity.

    Above ``long_threshold`` is long; below ``short_threshold`` is short (or flat when shorts are
    not allowed); in between the previous target is kept, so a score hovering near one threshold
    does not churn fees. NaN scores mean flat.

    Args:
        score: Probability or predicted return per bar, time-ordered.
        long_threshold: Score above which to be long.
        short_threshold: Score below which to be short/flat; must not exceed ``long_threshold``.
        allow_short: Whether -1 is allowed.
    """
    if short_threshold > long_threshold:
        raise ValueError(
            f"short_threshold {short_threshold} must be <= long_threshold {long_threshold}"
        )
    s = np.asarray(score, dtype=float)
    low = -1.0 if allow_short else 0.0
    raw = np.where(s > long_threshold, 1.0, np.where(s < short_threshold, low, np.nan))
    raw = np.where(np.isnan(s), 0.0, raw)
    held = pl.Series(raw).fill_nan(None).forward_fill().fill_null(0.0)
    return held.to_numpy().astype(float)

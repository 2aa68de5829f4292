"""Per-bar inputs of the decision policy computed from closes alone (causal, no look-ahead).

The backtest computes them with the ``rolling_*`` functions over a pair's rows; the live
strategy calls the ``trailing_*`` ones on its last closes. Each row of a rolling function is the
trailing function of the same closes, so both paths give bit-identical values.
"""

from __future__ import annotations

import math

import numpy as np


def trailing_vol(closes: np.ndarray) -> float:
    """Per-bar standard deviation of the log returns of ``closes`` (NaN with < 3 closes).

    The decision policy calls this on the same last ``window + 1`` closes in the backtest and
    live, so both compute it bit for bit alike.
    """
    c = np.asarray(closes, dtype=float)
    if len(c) < 3 or not np.all(c > 0):
        return math.nan
    return float(np.std(np.diff(np.log(c)), ddof=1))


def rolling_vol(closes: np.ndarray, window: int) -> np.ndarray:
    """:func:`trailing_vol` of the ``window + 1`` closes ending at each row (NaN before)."""
    c = np.asarray(closes, dtype=float)
    out = np.full(len(c), np.nan)
    for i in range(window, len(c)):
        out[i] = trailing_vol(c[i - window : i + 1])
    return out


def primary_side(closes: np.ndarray, window: int) -> float:
    """The meta-labeling primary rule on the last closes: momentum over ``window`` bars.

    +1 if the last close is above the close ``window`` bars earlier, -1 if below, 0 if equal;
    NaN with too few closes.
    """
    c = np.asarray(closes, dtype=float)
    if len(c) <= window:
        return math.nan
    return float(np.sign(c[-1] - c[-1 - window]))


def rolling_side(closes: np.ndarray, window: int) -> np.ndarray:
    """:func:`primary_side` at each row (NaN for the first ``window`` rows)."""
    c = np.asarray(closes, dtype=float)
    out = np.full(len(c), np.nan)
    if len(c) > window:
        out[window:] = np.sign(c[window:] - c[:-window])
    return out


__all__ = ["primary_side", "rolling_side", "rolling_vol", "trailing_vol"]

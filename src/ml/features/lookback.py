"""How much history a live window needs so its features equal the batch pipeline's.

A finite-window feature (a return, a rolling std) depends on its last ``warmup + 1`` bars only.
An exponential average (RSI, ATR, MACD) depends on every bar since its series started, with the
first bar's weight shrinking as ``(1 - alpha) ** n``: computed on a short live window it differs
from the batch value computed on years of candles (on a 122-bar window the 4 h RSI moved by up
to 30 %). :func:`required_lookback` derives from a spec the window after which that weight is
below a tolerance, counting base bars through resampled timeframes; :func:`lookback_mismatches`
checks it empirically on real candles, which also catches a feature that never forgets (an
expanding mean, a cumulative sum) and so can never be reproduced live.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl

from src.ml.data.schema import parse_interval
from src.ml.features.catalogue import FeatureColumn
from src.ml.features.spec import FeatureConfig, FeatureSpec

#: A feature builder: candles (with ``pair``) and a spec -> ``pair, timestamp`` + features.
Builder = Callable[[pl.DataFrame, Any], pl.DataFrame]
_KEYS = ("pair", "timestamp")


def column_lookback(column: FeatureColumn, tolerance: float) -> int:
    """Bars of the column's own timeframe after which its value is within ``tolerance``.

    The warm-up plus, for each exponential average in series, the bars after which the weight
    left on the window's first bar is at most ``tolerance / len(memory)`` (so the errors of the
    stages, each a contraction with unit gain, add up to at most ``tolerance``).
    """
    bars = column.warmup + 1
    stages = len(column.memory)
    for keep in column.memory:
        if keep > 0.0:
            bars += math.ceil(math.log(tolerance / stages) / math.log(keep))
    return bars


def _groups(spec: FeatureSpec) -> Iterable[FeatureConfig]:
    yield from spec.features
    for ref in spec.cross_pairs:
        yield from ref.features


def required_lookback(spec: FeatureSpec, base_minutes: int, tolerance: float = 1e-9) -> int:
    """Base bars a live window needs for every feature of ``spec`` to match batch values.

    A feature on a higher timeframe needs its bars in full: the window's first higher bar may
    be partial (the window starts inside it) and the last one is still forming (never used), so
    ``n`` higher bars cost ``(n + 2) x factor`` base bars.

    Args:
        spec: The feature spec.
        base_minutes: The candles' interval.
        tolerance: Largest weight allowed on bars before the window (see
            :func:`column_lookback`).
    """
    if not 0.0 < tolerance < 1.0:
        raise ValueError(f"tolerance must be in (0, 1), got {tolerance}")
    bars = 1
    for cfg in _groups(spec):
        factor = parse_interval(cfg.timeframe) // base_minutes if cfg.timeframe else 1
        for column in cfg.columns():
            own = column_lookback(column, tolerance)
            bars = max(bars, own if factor <= 1 else (own + 2) * factor)
    return bars


@dataclass(frozen=True)
class LookbackMismatch:
    """A feature whose value on a live-length window differs from the batch value."""

    feature: str
    at: datetime
    batch: float | None
    live: float | None


def _tail_window(candles: pl.DataFrame, end: datetime, bars: int) -> pl.DataFrame:
    upto = candles.filter(pl.col("timestamp") <= end)
    return upto.group_by("pair", maintain_order=True).tail(bars).sort(*_KEYS)


def _differs(batch: float | None, live: float | None, allowed: float) -> bool:
    if batch is None or live is None or not (math.isfinite(batch) and math.isfinite(live)):
        both_missing = (batch is None or not math.isfinite(batch)) and (
            live is None or not math.isfinite(live)
        )
        return not both_missing
    return abs(batch - live) > allowed


def lookback_mismatches(
    build: Builder,
    candles: pl.DataFrame,
    spec: FeatureSpec,
    lookback: int,
    tolerance: float,
    ends: Iterable[datetime],
) -> list[LookbackMismatch]:
    """Features whose value at each ``end``, from the last ``lookback`` bars, differs from batch.

    The batch side is computed once on all ``candles``; the live side on each pair's last
    ``lookback`` bars up to ``end``, as a live strategy holding that much history sees them.
    A value counts as equal when it is within ``tolerance`` x the column's largest magnitude
    (its scale), so a feature near zero (a MACD histogram) is not held to a relative bound.

    Args:
        build: The feature builder (``build_features``).
        candles: Candles with ``pair``, sorted by pair and time.
        spec: The spec passed to ``build``.
        lookback: Bars per pair of the live window.
        tolerance: Allowed difference relative to each column's scale.
        ends: Times to compare at (rows of the candles).
    """
    batch = build(candles, spec).sort(*_KEYS)
    names = [c for c in batch.columns if c not in _KEYS]
    scale = {
        name: float(np.nanmax(np.abs(vals))) if np.isfinite(vals).any() else 1.0
        for name in names
        for vals in [batch[name].cast(pl.Float64).fill_null(np.nan).to_numpy()]
    }
    out: list[LookbackMismatch] = []
    for end in ends:
        live = build(_tail_window(candles, end, lookback), spec)
        rows = live.filter(pl.col("timestamp") == end).sort("pair")
        ref = batch.filter(pl.col("timestamp") == end).sort("pair")
        for name in names:
            for b, v in zip(ref[name].to_list(), rows[name].to_list(), strict=True):
                if _differs(b, v, tolerance * max(scale[name], 1e-300)):
                    out.append(LookbackMismatch(name, end, b, v))
                    break
    return out


__all__ = [
    "Builder",
    "LookbackMismatch",
    "column_lookback",
    "lookback_mismatches",
    "required_lookback",
]

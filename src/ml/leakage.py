"""Checks that stop a model built on features that read the future from being trained or promoted.

The shuffled-label control cannot see a leak: a model trained on misaligned labels learns nothing
from a feature that holds the future return. So training runs these first, on whatever builder
``train(features=...)`` was given:

* **perturbation**: recompute every feature on candles altered after a cut time; a value at
  or before the cut that moves read the altered future;
* **truncation**: recompute on candles ending at the cut; every value at or before it must equal
  the one computed on all candles (what a live system, which has no future, would see);
* **too good to be true**: a single feature whose rank IC with the forward return is beyond
  anything real hourly features reach, and, after the walk-forward, out-of-sample or holdout
  figures beyond such bounds, fail the run before the final model is fitted or promoted.

Each failure raises :class:`LeakageError` naming the features and what moved.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl

from src.ml.config import CheckConfig
from src.ml.metrics import rank_ic

Builder = Callable[[pl.DataFrame, Any], pl.DataFrame]
_KEYS = ("pair", "timestamp")
_PRICES = ("open", "high", "low", "close")


class LeakageError(ValueError):
    """A feature (or the whole run) reads the future; ``features`` names the culprits."""

    def __init__(self, message: str, features: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.features = list(features)


@dataclass
class CausalityReport:
    """What the perturbation and truncation checks found, per feature.

    Attributes:
        perturbed: Feature -> descriptions of values that moved when the future was altered.
        truncated: Feature -> descriptions of values that differ on candles ending at a cut.
        unchecked: Features with no value at or before any cut (warm-up longer than the
            window), which therefore could not be checked.
        cuts: The cut times used.
    """

    perturbed: dict[str, list[str]] = field(default_factory=dict)
    truncated: dict[str, list[str]] = field(default_factory=dict)
    unchecked: list[str] = field(default_factory=list)
    cuts: list[datetime] = field(default_factory=list)

    @property
    def leaky(self) -> list[str]:
        """Features that failed either check, sorted."""
        return sorted(set(self.perturbed) | set(self.truncated))

    def message(self) -> str:
        """One line per failing feature, naming the check and what moved."""
        lines = []
        for name in self.leaky:
            found = [
                f"{found[0]} (and at {len(found) - 1} more of {len(self.cuts)} cuts)"
                if len(found) > 1
                else found[0]
                for found in (self.perturbed.get(name), self.truncated.get(name))
                if found
            ]
            lines.append(f"feature {name!r} reads the future: {'; '.join(found)}")
        if self.unchecked:
            lines.append(
                f"features {self.unchecked} have no value at or before any cut, so they could "
                "not be checked; raise checks.window_bars above their warm-up"
            )
        return "\n".join(lines)

    def raise_if_failed(self) -> None:
        """Raise :class:`LeakageError` if any feature leaked or could not be checked."""
        if self.leaky or self.unchecked:
            raise LeakageError(
                "feature causality check failed:\n" + self.message(),
                self.leaky + self.unchecked,
            )


def _scale_after(candles: pl.DataFrame, cut: datetime, seed: int) -> pl.DataFrame:
    """Every bar after ``cut`` rescaled by its own random factor (a still-valid candle)."""
    rng = np.random.default_rng(seed)
    after = pl.col("timestamp") > cut
    price = pl.Series(rng.uniform(0.5, 1.5, candles.height))
    volume = pl.Series(rng.uniform(0.1, 10.0, candles.height))
    return candles.with_columns(
        *[pl.when(after).then(pl.col(c) * price).otherwise(pl.col(c)).alias(c) for c in _PRICES],
        pl.when(after).then(pl.col("volume") * volume).otherwise(pl.col("volume")).alias("volume"),
    )


def _upto(frame: pl.DataFrame, cut: datetime) -> pl.DataFrame:
    keys = [k for k in _KEYS if k in frame.columns]
    return frame.filter(pl.col("timestamp") <= cut).sort(keys)


def _compare(
    base: pl.DataFrame, other: pl.DataFrame, names: list[str], cut: datetime, how: str
) -> dict[str, str]:
    """Feature -> what differs between two builds at or before ``cut``."""
    keys = [k for k in _KEYS if k in base.columns]
    if not base.select(keys).equals(other.select(keys)):
        # Rows themselves appeared or vanished: every feature is suspect, the builder leaks.
        return dict.fromkeys(names, f"{how} at {cut}: the rows at or before the cut changed")
    out = {}
    for name in names:
        a = base[name].cast(pl.Float64).fill_nan(None)
        b = other[name].cast(pl.Float64).fill_nan(None) if name in other.columns else None
        if b is None:
            out[name] = f"{how} at {cut}: the column is missing"
            continue
        if a.equals(b, check_names=False, null_equal=True):
            continue
        defined = int((a.is_null() != b.is_null()).sum())
        changed = (a != b).fill_null(False)
        parts = [f"{defined} became (un)defined"] if defined else []
        if changed.any():
            diff = float((a - b).abs().filter(changed).max())  # type: ignore[arg-type]
            parts.append(f"{int(changed.sum())} changed by up to {diff:.3g}")
        out[name] = f"{how} at {cut}: of {a.len()} values at or before it, {', '.join(parts)}"
    return out


def _defined(column: pl.Series) -> bool:
    return column.cast(pl.Float64).fill_nan(None).null_count() < column.len()


def _window(candles: pl.DataFrame, bars: int) -> pl.DataFrame:
    if "pair" not in candles.columns:
        return candles.sort("timestamp").head(bars)
    frame = candles.sort(_KEYS)
    return frame.group_by("pair", maintain_order=True).head(bars).sort(_KEYS)


def _cuts(window: pl.DataFrame, n_cuts: int, seed: int) -> list[datetime]:
    times = window["timestamp"].unique().sort()
    rng = np.random.default_rng(seed)
    # The second half of the window, where every shipped feature is out of its warm-up, and
    # never the last bar (something must come after the cut for the perturbation to move).
    lo, hi = len(times) // 2, max(len(times) - 2, len(times) // 2 + 1)
    picks = sorted(set(rng.integers(lo, hi, size=n_cuts).tolist()))
    return [times[i] for i in picks]


def check_causality(
    build: Builder,
    candles: pl.DataFrame,
    spec: Any,
    checks: CheckConfig,
    seed: int = 0,
) -> CausalityReport:
    """Run the perturbation and truncation checks on every feature ``build`` returns.

    Args:
        build: The feature builder (``build_features`` or a user's), called as
            ``build(candles, spec)``.
        candles: Candles (``pair, timestamp, OHLCV``); the first ``checks.window_bars`` bars
            of each pair are used.
        spec: Passed through to ``build``.
        checks: Window size and number of cuts.
        seed: Seeds the cut times and the perturbation.

    Returns:
        A :class:`CausalityReport` (call ``raise_if_failed``).
    """
    window = _window(candles, checks.window_bars)
    base = build(window, spec)
    names = [c for c in base.columns if c not in _KEYS]
    report = CausalityReport(cuts=_cuts(window, checks.n_cuts, seed))
    seen: set[str] = set()
    for i, cut in enumerate(report.cuts):
        before = _upto(base, cut)
        seen |= {
            n
            for n in names
            if before[n].cast(pl.Float64).fill_nan(None).null_count() < before.height
        }
        perturbed = _upto(build(_scale_after(window, cut, seed + i), spec), cut)
        for name, text in _compare(before, perturbed, names, cut, "perturbation").items():
            report.perturbed.setdefault(name, []).append(text)
        truncated = _upto(build(window.filter(pl.col("timestamp") <= cut), spec), cut)
        for name, text in _compare(before, truncated, names, cut, "truncation").items():
            report.truncated.setdefault(name, []).append(text)
    report.unchecked = sorted(set(names) - seen - set(report.leaky))
    return report


def feature_ic_violations(
    x: np.ndarray, fwd_return: np.ndarray, names: Sequence[str], max_ic: float
) -> dict[str, float]:
    """Features whose |rank IC| with the forward return exceeds ``max_ic`` (name -> IC)."""
    out = {}
    for j, name in enumerate(names):
        ic = rank_ic(x[:, j], fwd_return)
        if math.isfinite(ic) and abs(ic) > max_ic:
            out[name] = ic
    return out


def too_good_reasons(metrics: dict[str, float], checks: CheckConfig) -> list[str]:
    """Out-of-sample and holdout figures beyond what real hourly crypto signals reach."""
    bounds = (
        ("auc", checks.max_auc),
        ("rank_ic", checks.max_rank_ic),
        ("hit_rate", checks.max_hit_rate),
        ("sharpe", checks.max_sharpe),
    )
    reasons = []
    for prefix in ("oos", "holdout"):
        for key, bound in bounds:
            value = metrics.get(f"{prefix}_{key}", math.nan)
            if math.isfinite(value) and value > bound:
                reasons.append(f"{prefix}_{key} = {value:.3f} > {bound} (checks.max_{key})")
    return reasons


def top_features(names: Sequence[str], importance: np.ndarray | None, n: int = 3) -> list[str]:
    """The ``n`` most important features (to name suspects when a run is too good)."""
    if importance is None or len(importance) != len(names):
        return []
    return [names[i] for i in np.argsort(importance)[::-1][:n]]


__all__ = [
    "CausalityReport",
    "LeakageError",
    "check_causality",
    "feature_ic_violations",
    "too_good_reasons",
    "top_features",
]

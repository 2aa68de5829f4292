"""Walk-forward train/test windows with a purge gap (label horizon) plus an embargo."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from src.ml.config import SplitConfig


@dataclass(frozen=True)
class Fold:
    """One walk-forward fold as half-open index ranges into the sorted unique timestamps.

    Attributes:
        index: Fold number from 0.
        train_start: First training bar.
        train_end: One past the last training bar.
        test_start: First test bar (``train_end + horizon + embargo``).
        test_end: One past the last test bar.
    """

    index: int
    train_start: int
    train_end: int
    test_start: int
    test_end: int

    @property
    def gap(self) -> int:
        """Bars dropped between training and testing."""
        return self.test_start - self.train_end


def walk_forward(
    n_bars: int,
    *,
    n_folds: int,
    train_size: int,
    test_size: int,
    horizon: int,
    embargo: int = 0,
    scheme: Literal["expanding", "sliding"] = "expanding",
) -> list[Fold]:
    """Lay out consecutive test windows ending at the last bar, each preceded by training bars.

    A training row ``i`` has a label looking at rows up to ``i + horizon``; ending the training
    range ``horizon + embargo`` bars before the test window means no training label window
    reaches a test row.

    Args:
        n_bars: Number of distinct timestamps.
        n_folds: Number of test windows.
        train_size: Minimum (expanding) or exact (sliding) training bars.
        test_size: Bars per test window.
        horizon: Label horizon in bars (the purge gap).
        embargo: Extra bars dropped after the purge gap.
        scheme: ``expanding`` or ``sliding``.

    Raises:
        ValueError: Bad sizes, or too little data for the first fold's training window.
    """
    if min(n_folds, train_size, test_size, horizon) < 1 or embargo < 0:
        raise ValueError(
            "n_folds, train_size, test_size and horizon must be >= 1 and embargo >= 0, got "
            f"{n_folds}, {train_size}, {test_size}, {horizon}, {embargo}"
        )
    gap = horizon + embargo
    needed = train_size + gap + n_folds * test_size
    if n_bars < needed:
        raise ValueError(
            f"walk-forward needs at least {needed} bars (train {train_size} + gap {gap} + "
            f"{n_folds} x test {test_size}), got {n_bars}"
        )
    folds = []
    for k in range(n_folds):
        test_start = n_bars - (n_folds - k) * test_size
        train_end = test_start - gap
        train_start = 0 if scheme == "expanding" else train_end - train_size
        folds.append(Fold(k, train_start, train_end, test_start, test_start + test_size))
    return folds


def from_config(n_bars: int, cfg: SplitConfig, horizon: int) -> list[Fold]:
    """Build folds from a :class:`SplitConfig` and the label horizon."""
    return walk_forward(
        n_bars,
        n_folds=cfg.n_folds,
        train_size=cfg.train_size,
        test_size=cfg.test_size,
        horizon=horizon,
        embargo=cfg.embargo,
        scheme=cfg.scheme,
    )


def fold_masks(
    bar_index: np.ndarray, label_end_index: np.ndarray, fold: Fold, embargo: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Row masks for one fold, purging on each row's actual label end.

    Index arithmetic alone assumes one row per bar; rows whose label window ends at or after
    ``test_start - embargo`` (e.g. across a data gap) are dropped from training too.

    Args:
        bar_index: Per-row position of its timestamp among the sorted unique timestamps.
        label_end_index: Per-row position of its label's last timestamp (-1 when unknown).
        fold: The fold.
        embargo: Bars that must separate a training label's end from the test window.
    """
    in_train = (bar_index >= fold.train_start) & (bar_index < fold.train_end)
    purged = (label_end_index >= 0) & (label_end_index < fold.test_start - embargo)
    test = (bar_index >= fold.test_start) & (bar_index < fold.test_end)
    return in_train & purged, test

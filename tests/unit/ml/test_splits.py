"""Walk-forward splits: purge gap and embargo keep every training label window out of the test."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from src.ml.splits import Fold, fold_masks, walk_forward


@settings(max_examples=300, deadline=None)
@given(
    n_folds=st.integers(1, 6),
    train_size=st.integers(1, 80),
    test_size=st.integers(1, 40),
    horizon=st.integers(1, 12),
    embargo=st.integers(0, 8),
    slack=st.integers(0, 60),
    scheme=st.sampled_from(["expanding", "sliding"]),
)
def test_no_training_label_window_reaches_a_test_row(
    n_folds: int,
    train_size: int,
    test_size: int,
    horizon: int,
    embargo: int,
    slack: int,
    scheme: str,
) -> None:
    n = train_size + horizon + embargo + n_folds * test_size + slack
    folds = walk_forward(
        n,
        n_folds=n_folds,
        train_size=train_size,
        test_size=test_size,
        horizon=horizon,
        embargo=embargo,
        scheme=scheme,  # type: ignore[arg-type]
    )
    bars = np.arange(n)
    label_end = bars + horizon  # row i's label looks at rows i+1 .. i+horizon
    assert len(folds) == n_folds
    assert folds[-1].test_end == n
    for prev, fold in pairwise(folds):
        assert fold.test_start == prev.test_end  # adjoining, non-overlapping test windows
    for fold in folds:
        train, test = fold_masks(bars, label_end, fold, embargo)
        assert test.sum() == test_size
        assert train.any()
        # The property: every training label window ends before the embargo zone.
        assert label_end[train].max() < fold.test_start - embargo
        assert bars[train].max() < bars[test].min()
        assert fold.gap == horizon + embargo
        if scheme == "sliding":
            assert fold.train_end - fold.train_start == train_size
        else:
            assert fold.train_start == 0


def test_purge_uses_actual_label_end_across_data_gaps() -> None:
    fold = Fold(0, 0, 10, 12, 20)
    bars = np.arange(20)
    label_end = bars + 2
    label_end[5] = 15  # a data gap made row 5's label reach into the test window
    label_end[9] = -1  # unlabeled
    train, _ = fold_masks(bars, label_end, fold)
    assert not train[5]
    assert not train[9]
    assert train[:5].all() and train[6:9].all()


def test_too_little_data_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="needs at least 116 bars"):
        walk_forward(100, n_folds=2, train_size=50, test_size=30, horizon=4, embargo=2)


@pytest.mark.parametrize("bad", [{"n_folds": 0}, {"horizon": 0}, {"embargo": -1}])
def test_bad_sizes_are_refused(bad: dict[str, int]) -> None:
    kwargs = {"n_folds": 2, "train_size": 10, "test_size": 5, "horizon": 1, "embargo": 0} | bad
    with pytest.raises(ValueError, match="must be >= 1"):
        walk_forward(1000, **kwargs)  # type: ignore[arg-type]

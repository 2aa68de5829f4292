"""The feature pipeline's values are bit for bit those of the implementation before issue 19.

The speed work on ``build_features`` (one cached plan per spec, shared pair loops, a sorted
cross-pair lookup) must not move a single value: each case below runs the current code on real
Kraken candles and compares per-column digests with the ones stored from the earlier code
(see :mod:`tests.unit.ml.feature_snapshot`).
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.unit.ml.feature_snapshot import CASES, DIGESTS, digest

STORED: dict[str, dict[str, str]] = json.loads(DIGESTS.read_text())


@pytest.mark.parametrize("case", sorted(CASES))
def test_feature_values_are_unchanged(case: str) -> None:
    got = digest(CASES[case]())
    want = STORED[case]
    assert got["__shape__"] == want["__shape__"]
    assert got["__columns__"] == want["__columns__"]
    changed = sorted(name for name in want if got.get(name) != want[name])
    assert changed == [], f"{case}: columns whose values changed: {changed}"


def test_digest_sees_a_one_ulp_change() -> None:
    frame = pl.DataFrame({"x": [1.0, None, 3.0]})
    nudged = pl.DataFrame({"x": [1.0000000000000002, None, 3.0]})
    moved_null = pl.DataFrame({"x": [1.0, 0.0, None]})
    assert digest(frame)["x"] != digest(nudged)["x"]
    assert digest(frame)["x"] != digest(moved_null)["x"]
    assert digest(frame)["x"] == digest(frame.clone())["x"]

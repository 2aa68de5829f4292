"""Labels: forward return, dead zone, triple barrier with fees; only labels look ahead."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from src.ml.config import LabelConfig
from src.ml.labels import direction, forward_return, make_labels, triple_barrier
from tests.support.paths import ROOT

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _frame(
    closes: list[float],
    pair: str | None = None,
    highs: list[float] | None = None,
    lows: list[float] | None = None,
) -> pl.DataFrame:
    n = len(closes)
    data = {
        "timestamp": [T0 + timedelta(hours=i) for i in range(n)],
        "close": closes,
        "high": highs or closes,
        "low": lows or closes,
    }
    frame = pl.DataFrame(data).with_columns(pl.col("timestamp").dt.cast_time_unit("us"))
    return frame.with_columns(pl.lit(pair).alias("pair")) if pair else frame


def test_forward_return_values_and_label_end() -> None:
    out = forward_return(_frame([100.0, 110.0, 99.0, 121.0]), horizon=2)
    assert out["fwd_return"].to_list()[:2] == pytest.approx([-0.01, 0.1])
    assert out["fwd_return"].to_list()[2:] == [None, None]
    assert out["label_end"][0] == T0 + timedelta(hours=2)


def test_forward_return_never_crosses_pairs() -> None:
    both = pl.concat([_frame([1.0, 2.0, 4.0], "A/USD"), _frame([10.0, 5.0, 5.0], "B/USD")])
    out = forward_return(both, horizon=1)
    assert out.filter(pl.col("pair") == "A/USD")["fwd_return"].to_list() == [1.0, 1.0, None]
    assert out.filter(pl.col("pair") == "B/USD")["fwd_return"].to_list() == [-0.5, 0.0, None]


def test_direction_dead_zone_is_unlabeled() -> None:
    out = direction(_frame([100.0, 100.05, 101.0, 99.0, 99.0]), horizon=1, dead_zone=0.001)
    # +0.05 % inside the zone, +0.95 %, -1.98 %, 0 %, end
    assert out["label"].to_list() == [None, 1.0, 0.0, None, None]


def test_direction_rejects_negative_dead_zone() -> None:
    with pytest.raises(ValueError, match="dead_zone"):
        direction(_frame([1.0, 2.0]), horizon=1, dead_zone=-0.1)


def test_triple_barrier_first_touch_wins_and_ties_are_stops() -> None:
    cfg = LabelConfig(kind="triple_barrier", horizon=3, profit_take=0.02, stop_loss=0.02)
    closes = [100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0]
    highs = [100.0, 101.0, 103.0, 100.0, 100.0, 103.0, 100.0]
    lows = [100.0, 99.0, 99.0, 97.0, 100.0, 97.0, 100.0]
    out = triple_barrier(_frame(closes, highs=highs, lows=lows), cfg, fee=0.0)
    labels = out["label"].to_list()
    assert labels[0] == 1.0  # bar 2 touches +3 % before bar 3 touches -3 %
    assert labels[2] == -1.0  # bar 3 stop comes first
    assert labels[3] == -1.0  # bar 5 touches both: counted as the stop
    assert labels[4:] == [None, None, None]


def test_triple_barrier_fees_can_turn_a_win_into_a_timeout() -> None:
    closes = [100.0, 100.0, 100.0, 100.0]
    highs = [100.0, 102.5, 100.0, 100.0]
    cfg = LabelConfig(kind="triple_barrier", horizon=2, profit_take=0.02, stop_loss=0.05)
    gross = triple_barrier(_frame(closes, highs=highs, lows=closes), cfg, fee=0.0)
    net = triple_barrier(_frame(closes, highs=highs, lows=closes), cfg, fee=0.004)
    assert gross["label"][0] == 1.0
    assert net["label"][0] == 0.0  # 2.5 % - 0.8 % round-trip fees < 2 %


def test_make_labels_dispatches_on_kind() -> None:
    frame = _frame([100.0, 102.0, 101.0])
    reg = make_labels(frame, LabelConfig(kind="forward_return", horizon=1), fee=0.0)
    assert reg["label"].to_list()[0] == pytest.approx(0.02)
    cls = make_labels(frame, LabelConfig(kind="direction", horizon=1), fee=0.0)
    assert cls["label"].to_list()[:2] == [1.0, 0.0]
    assert math.isclose(cls["fwd_return"][1], 101.0 / 102.0 - 1.0)


def test_only_labels_module_looks_forward() -> None:
    root = ROOT / "src" / "ml"
    pattern = re.compile(r"shift\(\s*-")
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name != "labels.py" and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []

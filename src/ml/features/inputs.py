"""The feature pipeline's input: candles checked, normalised, sorted and split by pair.

Every check (nulls, NaN, order, duplicates, the bar spacing) is one pass of a single polars
``select``, and each pair is a zero-copy slice of the sorted frame: on a few pairs of hourly
candles the earlier separate passes, string ``>`` comparisons and ``partition_by`` cost about
1 ms, as much as a quarter of computing the features.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise

import polars as pl

from src.ml.data.schema import TIMESTAMP

PAIR = "pair"
SINGLE = "__single_pair__"
REQUIRED = ("timestamp", "open", "high", "low", "close", "volume")
_PRICES = REQUIRED[1:]


@dataclass(frozen=True)
class Candles:
    """Normalised candles: ``pair, timestamp`` (UTC, us) and Float64 OHLCV, sorted.

    Attributes:
        frame: All rows, sorted by pair then time (``pair`` is a constant without one).
        has_pair: Whether the input had a ``pair`` column.
        parts: Each pair's rows (a slice of ``frame``), in the frame's order.
        step: The smallest spacing of two bars of one pair; None with fewer than two.
    """

    frame: pl.DataFrame
    has_pair: bool
    parts: dict[str, pl.DataFrame]
    step: timedelta | None


def _facts(frame: pl.DataFrame) -> dict[str, object]:
    """Null and NaN counts, whether (pair, time) strictly increases, and the bar spacing."""
    pair, ts = pl.col(PAIR), pl.col(TIMESTAMP)
    changed = pair != pair.shift()
    return frame.select(
        *[pl.col(c).null_count().alias(f"null:{c}") for c in frame.columns],
        *[pl.col(c).is_nan().sum().alias(f"nan:{c}") for c in _PRICES],
        # Within a pair time must strictly increase; the pairs' own order is checked on the
        # runs (see ``_runs``), so no row needs a string ``>`` comparison.
        (changed | (ts > ts.shift())).fill_null(True).all().alias("ordered"),
        pl.when(changed.not_()).then(ts.diff()).min().alias("step"),
    ).row(0, named=True)


def _runs(frame: pl.DataFrame) -> list[tuple[int, str]] | None:
    """``(length, pair)`` of each run of one pair; None unless the pairs strictly increase."""
    runs = [(int(n), str(p)) for n, p in frame.select(pl.col(PAIR).rle()).unnest(PAIR).rows()]
    # UTF-8 byte order (polars' string order) equals Python's code-point order.
    increasing = all(a[1] < b[1] for a, b in pairwise(runs))
    return runs if increasing else None


def _normalised(candles: pl.DataFrame | pl.LazyFrame) -> tuple[pl.DataFrame, bool]:
    frame = candles.collect() if isinstance(candles, pl.LazyFrame) else candles
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"candles are missing columns {missing}; need {list(REQUIRED)}")
    has_pair = PAIR in frame.columns
    ts_type = frame.schema[TIMESTAMP]
    if not isinstance(ts_type, pl.Datetime):
        raise ValueError(f"'timestamp' must be a Datetime column, got {ts_type}")
    ts = pl.col(TIMESTAMP)
    ts = ts.dt.replace_time_zone("UTC") if ts_type.time_zone is None else ts
    cols = [
        (pl.col(PAIR).cast(pl.String) if has_pair else pl.lit(SINGLE)).alias(PAIR),
        ts.dt.convert_time_zone("UTC").dt.cast_time_unit("us").alias(TIMESTAMP),
        *[pl.col(c).cast(pl.Float64) for c in _PRICES],
    ]
    return frame.select(cols), has_pair


def prepare(candles: pl.DataFrame | pl.LazyFrame) -> Candles:
    """Check and normalise the input: required columns, UTC time, no nulls, unique bars.

    Raises:
        ValueError: On missing columns, a non-datetime ``timestamp``, nulls or NaN, or two
            bars of one pair at the same time.
    """
    frame, has_pair = _normalised(candles)
    facts = _facts(frame)
    bad = {
        name.split(":", 1)[1]: n
        for name, n in facts.items()
        if name.startswith(("null:", "nan:")) and n
    }
    if bad:
        raise ValueError(
            f"candles contain nulls/NaN {bad}; clean them first (src.ml.data.clean_candles)"
        )
    # Input from the candle store is usually sorted already: one pass proving (pair, time)
    # strictly increasing is cheaper than sorting, and also rules out duplicate bars.
    runs = _runs(frame) if facts["ordered"] else None
    if runs is None:
        frame = frame.sort(PAIR, TIMESTAMP)
        facts = _facts(frame)
        if not facts["ordered"]:  # sorted, so only an equal time can break the order
            raise ValueError("candles contain duplicate timestamps for one pair; deduplicate first")
        runs = _runs(frame) or []
    parts: dict[str, pl.DataFrame] = {}
    offset = 0
    for length, pair in runs:
        parts[pair] = frame.slice(offset, length)
        offset += length
    step = facts["step"]
    return Candles(frame, has_pair, parts, step if isinstance(step, timedelta) else None)

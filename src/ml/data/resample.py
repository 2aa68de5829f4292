"""Resample candles to a higher timeframe with polars (left-labelled, left-closed windows)."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

import polars as pl

from src.ml.data.schema import TIMESTAMP, parse_interval, polars_every

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)


def ohlcv_aggregations(*, with_trades: bool = True) -> list[pl.Expr]:
    """Return the aggregations merging bars: first open, max high, min low, last close, sums."""
    aggs = [
        pl.col("open").first(),
        pl.col("high").max(),
        pl.col("low").min(),
        pl.col("close").last(),
        pl.col("volume").sum(),
    ]
    if with_trades:
        aggs.append(pl.col("trades").sum())
    return aggs


def resample(
    candles: FrameT,
    interval: str | int | timedelta,
    *,
    with_bar_count: bool = False,
) -> FrameT:
    """Resample candles to ``interval`` (e.g. ``"5m"``, ``"1h"``, ``"4h"``, ``"1d"``).

    Windows are aligned to the UTC epoch (so 4h bars open at 00:00, 04:00, ... like Kraken's),
    labelled by their open time and closed on the left: a bar opening at 10:00 holds the source
    bars 10:00 up to 10:59. Windows with no source rows produce no bar, like Kraken's files.
    With a ``pair`` column each pair is resampled separately. Input must be sorted by time
    (within each pair).

    Args:
        candles: Candles with ``timestamp`` and OHLCV columns (``trades`` optional).
        interval: The target interval.
        with_bar_count: Add ``bars`` (number of source bars merged) to spot partial bars.
    """
    minutes = parse_interval(interval)
    schema = candles.collect_schema()
    has_pair = "pair" in schema
    aggs = ohlcv_aggregations(with_trades="trades" in schema)
    if with_bar_count:
        aggs.append(pl.len().cast(pl.Int64).alias("bars"))
    grouped = candles.group_by_dynamic(
        TIMESTAMP,
        every=polars_every(minutes),
        label="left",
        closed="left",
        group_by="pair" if has_pair else None,
    ).agg(aggs)
    return grouped

"""Find missing bars (gaps) in candles: Kraken writes no row for an interval without trades."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from src.ml.data.schema import TIMESTAMP


@dataclass(frozen=True)
class Gap:
    """A run of missing bars.

    Attributes:
        start: Open time of the first missing bar.
        end: Open time of the next bar present (exclusive end of the gap).
        missing_bars: Number of bars missing in ``[start, end)``.
        pair: The pair, when the frame held several.
    """

    start: datetime
    end: datetime
    missing_bars: int
    pair: str | None = None

    @property
    def duration(self) -> timedelta:
        """Length of the gap."""
        return self.end - self.start


def find_gaps(candles: pl.DataFrame, interval_minutes: int) -> list[Gap]:
    """Return every run of missing bars between the first and last bar, per pair if present.

    Args:
        candles: Candles with a UTC ``timestamp`` column (and optionally ``pair``), sorted or not.
        interval_minutes: The bar interval the series should have.
    """
    step = timedelta(minutes=interval_minutes)
    keys = ["pair"] if "pair" in candles.columns else []
    frame = candles.select([*keys, TIMESTAMP]).unique().sort([*keys, TIMESTAMP])
    diff = pl.col(TIMESTAMP).diff()
    prev = pl.col(TIMESTAMP).shift(1)
    if keys:
        diff, prev = diff.over("pair"), prev.over("pair")
    holes = frame.with_columns(prev.alias("_prev"), diff.alias("_diff")).filter(
        pl.col("_diff") > step
    )
    gaps: list[Gap] = []
    for row in holes.iter_rows(named=True):
        missing = int(row["_diff"] / step) - 1
        gaps.append(
            Gap(
                start=row["_prev"] + step,
                end=row[TIMESTAMP],
                missing_bars=missing,
                pair=row.get("pair"),
            )
        )
    return gaps

"""Read Kraken candle and trade files, and aggregate trades into candles of any interval."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from src.core.market_data import PublicTrade
from src.ml.data.schema import (
    CANDLE_COLUMNS,
    TIMESTAMP,
    epoch_seconds_to_timestamp,
    parse_interval,
    to_candle_schema,
)

OHLCVT_COLUMNS = ("time", "open", "high", "low", "close", "volume", "trades")
TRADE_SCHEMA: dict[str, pl.DataType] = {
    TIMESTAMP: pl.Datetime("us", "UTC"),
    "price": pl.Float64(),
    "volume": pl.Float64(),
    "side": pl.String(),
}


def read_kraken_ohlcvt_csv(path: str | Path) -> pl.DataFrame:
    """Read one of Kraken's downloadable OHLCVT files (headerless ``time,o,h,l,c,volume,trades``).

    Rows are returned as stored (use :func:`src.ml.data.clean_candles` to check and repair).

    Raises:
        ValueError: If the file does not have exactly seven columns.
    """
    frame = pl.read_csv(path, has_header=False, infer_schema_length=10_000)
    if frame.width != len(OHLCVT_COLUMNS):
        raise ValueError(
            f"{path}: expected {len(OHLCVT_COLUMNS)} columns {OHLCVT_COLUMNS}, got {frame.width}"
        )
    frame.columns = list(OHLCVT_COLUMNS)
    return to_candle_schema(frame.rename({"time": TIMESTAMP}))


def read_kraken_rest_ohlc_csv(path: str | Path) -> pl.DataFrame:
    """Read a capture of Kraken REST ``OHLC`` rows (``time,time_fmt,open,...,vwap,volume,count``).

    ``vwap`` and ``time_fmt`` are dropped and ``count`` becomes ``trades``. Captures may be out
    of order or repeat bars; :func:`src.ml.data.clean_candles` sorts and deduplicates them.
    """
    frame = pl.read_csv(path, infer_schema_length=10_000)
    needed = {"time", "open", "high", "low", "close", "volume", "count"}
    if not needed <= set(frame.columns):
        raise ValueError(f"{path}: missing columns {sorted(needed - set(frame.columns))}")
    return to_candle_schema(frame.rename({"time": TIMESTAMP, "count": "trades"}))


def read_kraken_trades_csv(path: str | Path) -> pl.DataFrame:
    """Read a dump of Kraken REST ``Trades`` rows (columns ``price, volume, time, buysell``, ...).

    Returns a trade frame: ``timestamp`` (UTC, microseconds), ``price``, ``volume``, ``side``.
    """
    frame = pl.read_csv(path, infer_schema_length=10_000)
    return frame.select(
        epoch_seconds_to_timestamp("time").alias(TIMESTAMP),
        pl.col("price").cast(pl.Float64),
        pl.col("volume").cast(pl.Float64),
        pl.col("buysell").cast(pl.String).alias("side"),
    )


def trades_to_frame(trades: Sequence[PublicTrade]) -> pl.DataFrame:
    """Convert :class:`PublicTrade` objects to a trade frame (floats only at this edge)."""
    return pl.DataFrame(
        {
            TIMESTAMP: [t.timestamp for t in trades],
            "price": [float(t.price) for t in trades],
            "volume": [float(t.quantity) for t in trades],
            "side": [t.side for t in trades],
        },
        schema=TRADE_SCHEMA,
    )


def candles_from_trades(
    trades: pl.DataFrame | Sequence[PublicTrade], interval: str | int
) -> pl.DataFrame:
    """Aggregate trades into candles of ``interval`` (bars open at epoch-aligned times, UTC).

    Trades are ordered by time (ties keep their input order, which for Kraken is trade-id
    order) so open and close are the first and last prints. Intervals without a trade get no
    row, as in Kraken's own files.

    Args:
        trades: A trade frame (``timestamp, price, volume``) or ``PublicTrade`` objects.
        interval: Target interval (``1``, ``"5m"``, ``"1h"``...).
    """
    frame = trades if isinstance(trades, pl.DataFrame) else trades_to_frame(trades)
    step_us = parse_interval(interval) * 60_000_000
    bar = (pl.col(TIMESTAMP).dt.epoch("us") // step_us * step_us).cast(pl.Datetime("us", "UTC"))
    return (
        frame.sort(TIMESTAMP, maintain_order=True)
        .group_by(bar.alias("_bar"), maintain_order=True)
        .agg(
            pl.col("price").first().alias("open"),
            pl.col("price").max().alias("high"),
            pl.col("price").min().alias("low"),
            pl.col("price").last().alias("close"),
            pl.col("volume").sum().alias("volume"),
            pl.len().cast(pl.Int64).alias("trades"),
        )
        .rename({"_bar": TIMESTAMP})
        .select(CANDLE_COLUMNS)
    )

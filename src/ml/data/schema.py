"""Candle frame schema, interval parsing and conversion of raw frames to the canonical schema."""

from __future__ import annotations

import re
from datetime import timedelta

import polars as pl

TIMESTAMP = "timestamp"
PRICE_COLUMNS = ("open", "high", "low", "close")
CANDLE_SCHEMA: dict[str, pl.DataType] = {
    TIMESTAMP: pl.Datetime("us", "UTC"),
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "close": pl.Float64(),
    "volume": pl.Float64(),
    "trades": pl.Int64(),
}
CANDLE_COLUMNS = tuple(CANDLE_SCHEMA)

_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}
_INTERVAL_RE = re.compile(r"^\s*(\d+)\s*([mhdw]?)\s*$")


def parse_interval(interval: str | int | timedelta) -> int:
    """Return an interval in whole minutes.

    Args:
        interval: Minutes as an int, a ``timedelta``, or a string such as ``"5m"``, ``"1h"``,
            ``"4h"``, ``"1d"`` (a bare number means minutes, as in Kraken's ``interval``).

    Raises:
        ValueError: If the interval is not a positive whole number of minutes.
    """
    if isinstance(interval, timedelta):
        minutes, rest = divmod(interval.total_seconds(), 60)
        if rest:
            raise ValueError(f"interval {interval} is not a whole number of minutes")
        value = int(minutes)
    elif isinstance(interval, int):
        value = interval
    else:
        match = _INTERVAL_RE.match(interval.lower())
        if match is None:
            raise ValueError(
                f"unrecognised interval {interval!r}; use e.g. '1m', '15m', '4h', '1d'"
            )
        value = int(match.group(1)) * _UNIT_MINUTES[match.group(2) or "m"]
    if value <= 0:
        raise ValueError(f"interval must be positive, got {interval!r}")
    return value


def interval_label(minutes: int) -> str:
    """Return the short label of an interval in minutes (``60`` -> ``"1h"``, ``5`` -> ``"5m"``)."""
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def polars_every(minutes: int) -> str:
    """Return a polars duration string for an interval (minutes keep epoch-aligned windows)."""
    return f"{minutes}m"


def epoch_seconds_to_timestamp(column: str | pl.Expr) -> pl.Expr:
    """Convert epoch seconds (int or float, sub-second kept to the microsecond) to UTC datetimes."""
    expr = pl.col(column) if isinstance(column, str) else column
    micros = (expr.cast(pl.Float64) * 1_000_000).round(0).cast(pl.Int64)
    return micros.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def to_candle_schema(frame: pl.DataFrame, *, keep_pair: bool = True) -> pl.DataFrame:
    """Cast a frame holding candle columns to the canonical schema and column order.

    A missing ``trades`` column becomes nulls; a ``pair`` column is kept first if present.

    Raises:
        ValueError: If a required OHLCV column or the timestamp is missing.
    """
    missing = [c for c in CANDLE_COLUMNS if c != "trades" and c not in frame.columns]
    if missing:
        raise ValueError(f"candle frame is missing columns {missing}; has {frame.columns}")
    if "trades" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("trades"))
    ts = frame.schema[TIMESTAMP]
    ts_expr = pl.col(TIMESTAMP)
    if isinstance(ts, pl.Datetime):
        ts_expr = (
            ts_expr.dt.replace_time_zone("UTC")
            if ts.time_zone is None
            else ts_expr.dt.convert_time_zone("UTC")
        )
        ts_expr = ts_expr.dt.cast_time_unit("us")
    elif ts.is_numeric():
        ts_expr = epoch_seconds_to_timestamp(TIMESTAMP)
    else:
        raise ValueError(f"timestamp column has unsupported type {ts}")
    casts = [ts_expr.alias(TIMESTAMP)] + [
        pl.col(c).cast(dtype) for c, dtype in CANDLE_SCHEMA.items() if c != TIMESTAMP
    ]
    lead = ["pair"] if keep_pair and "pair" in frame.columns else []
    return frame.with_columns(casts).select([*lead, *CANDLE_COLUMNS])

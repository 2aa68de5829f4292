"""Backward-looking indicator expressions over OHLCV columns (a bar sees itself and the past).

Conventions match the ``ta`` library so values can be checked against it: RSI and ATR use
Wilder's smoothing (alpha = 1/n; ATR seeded with the simple mean of the first n true ranges),
MACD uses ``adjust=False`` EMAs, Bollinger bands use the population standard deviation.
"""

from __future__ import annotations

import functools
import math

import polars as pl

_close = pl.col("close")

Inputs = tuple[pl.Expr, ...]
"""Named intermediate series a feature expression reads by column name (see ``rolling_stats``)."""


def log_return(horizon: int) -> pl.Expr:
    """Log return of the close over ``horizon`` bars; first ``horizon`` rows null."""
    return (_close / _close.shift(horizon)).log()


def realized_volatility(window: int) -> pl.Expr:
    """Sample std of 1-bar log returns over ``window`` bars (per bar, not annualized)."""
    return log_return(1).rolling_std(window, min_samples=window)


def rsi(window: int) -> pl.Expr:
    """Wilder's RSI as in ``ta.momentum.RSIIndicator``; first ``window - 1`` rows null."""
    change = _close.diff().fill_null(0.0)
    up = change.clip(lower_bound=0.0).ewm_mean(alpha=1.0 / window, adjust=False, min_samples=window)
    down = (
        (-change)
        .clip(lower_bound=0.0)
        .ewm_mean(alpha=1.0 / window, adjust=False, min_samples=window)
    )
    return pl.when(down == 0).then(100.0).otherwise(100.0 - 100.0 / (1.0 + up / down))


def _ema(expr: pl.Expr, span: int) -> pl.Expr:
    return expr.ewm_mean(span=span, adjust=False, min_samples=span)


def macd(fast: int, slow: int, signal: int) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """MACD line, signal line and histogram as in ``ta.trend.MACD``."""
    line = _ema(_close, fast) - _ema(_close, slow)
    sig = _ema(line, signal)
    return line, sig, line - sig


def true_range() -> pl.Expr:
    """True range; the first bar (no previous close) uses high - low, as ``ta`` does."""
    # max(high, prev) - min(low, prev) equals ta's max(high - low, |high - prev|, |low - prev|)
    # bit for bit when high >= low (each case picks the same single subtraction), in 2 ops not 5.
    prev_close = _close.shift(1)
    return pl.max_horizontal(pl.col("high"), prev_close) - pl.min_horizontal(
        pl.col("low"), prev_close
    )


def atr(window: int) -> pl.Expr:
    """Wilder's average true range as in ``ta.volatility.AverageTrueRange``.

    The first value (row ``window - 1``) is the plain mean of the first ``window`` true ranges;
    after that ``atr = (atr_prev * (n - 1) + tr) / n``, an EMA with alpha 1/n seeded by that mean.
    """
    tr = true_range()
    # [null] * (n - 1), the seed mean, then the true ranges from row n on; cut to the frame's
    # length so a frame shorter than the window stays all null.
    seeded = (
        pl.repeat(None, window - 1, dtype=pl.Float64)
        .append(tr.head(window).mean())
        .append(tr.slice(window))
        .head(pl.len())
    )
    return seeded.ewm_mean(alpha=1.0 / window, adjust=False, ignore_nulls=True)


def rolling_stats(column: str, window: int, ddof: int) -> tuple[pl.Expr, pl.Expr, Inputs]:
    """Trailing mean and std of ``column`` as references to shared input columns.

    polars' common-subexpression elimination leaves rolling windows alone, so a feature that
    reads the same rolling std three times would compute it three times; as named inputs the
    pipeline computes each distinct window once per pair, shared by every feature reading it.

    Returns:
        The mean and std as column references, and the input expressions defining them.
    """
    mean_name = f"__{column}_mean_{window}"
    std_name = f"__{column}_std{ddof}_{window}"
    series = pl.col(column)
    inputs = (
        series.rolling_mean(window, min_samples=window).alias(mean_name),
        series.rolling_std(window, min_samples=window, ddof=ddof).alias(std_name),
    )
    return pl.col(mean_name), pl.col(std_name), inputs


def bollinger_pctb(window: int, num_std: float) -> tuple[pl.Expr, Inputs]:
    """Bollinger %B: 0 at the lower band, 1 at the upper (``ta`` ``bollinger_pband``)."""
    mid, std, inputs = rolling_stats("close", window, ddof=0)
    width = 2.0 * num_std * std
    lower = mid - num_std * std
    return pl.when(width > 0).then((_close - lower) / width).otherwise(None), inputs


def volume_zscore(window: int) -> tuple[pl.Expr, Inputs]:
    """Volume's z-score against the trailing ``window`` bars (this bar included); null if flat."""
    mean, std, inputs = rolling_stats("volume", window, ddof=1)
    vol = pl.col("volume")
    return pl.when(std > 0).then((vol - mean) / std).otherwise(None), inputs


def candle_shape() -> dict[str, pl.Expr]:
    """Body and wicks as fractions of the bar's range (0 for a flat bar), and range over close."""
    high, low, open_ = pl.col("high"), pl.col("low"), pl.col("open")
    rng = high - low
    top = pl.max_horizontal(open_, _close)
    bottom = pl.min_horizontal(open_, _close)

    def rel(expr: pl.Expr) -> pl.Expr:
        return pl.when(rng > 0).then(expr / rng).otherwise(0.0)

    return {
        "body": rel(_close - open_),
        "upper_wick": rel(high - top),
        "lower_wick": rel(bottom - low),
        "range_rel": rng / _close,
    }


@functools.cache
def _cycle_table(period_minutes: int) -> pl.DataFrame:
    """sin/cos of every minute of a period, computed exactly as a per-row evaluation would."""
    frac = pl.int_range(period_minutes, dtype=pl.Int64).cast(pl.Float64) / float(period_minutes)
    angle = frac * (2.0 * math.pi)
    return pl.select(sin=angle.sin(), cos=angle.cos())


def time_cycles() -> dict[str, pl.Expr]:
    """Time of day and of week (from the bar's open time, UTC) as sin/cos pairs."""
    # Plain epoch arithmetic (UTC): much cheaper than calendar accessors on tz-aware columns.
    minutes = pl.col("timestamp").dt.epoch("us") // 60_000_000
    of_day = minutes % 1440
    # 1970-01-01 was a Thursday: shifting by 3 days makes Monday 00:00 the start of the week.
    of_week = (minutes + 3 * 1440) % 10080
    # A lookup of the minute in a precomputed table, not sin/cos per row: same values, cheaper.
    day, week = _cycle_table(1440), _cycle_table(10080)
    return {
        "tod_sin": pl.lit(day["sin"]).gather(of_day),
        "tod_cos": pl.lit(day["cos"]).gather(of_day),
        "dow_sin": pl.lit(week["sin"]).gather(of_week),
        "dow_cos": pl.lit(week["cos"]).gather(of_week),
    }

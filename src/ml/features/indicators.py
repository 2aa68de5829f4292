"""Backward-looking indicator expressions over OHLCV columns (a bar sees itself and the past).

Conventions match the ``ta`` library so values can be checked against it: RSI and ATR use
Wilder's smoothing (alpha = 1/n; ATR seeded with the simple mean of the first n true ranges),
MACD uses ``adjust=False`` EMAs, Bollinger bands use the population standard deviation.
"""

from __future__ import annotations

import math

import polars as pl

_close = pl.col("close")


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
    prev_close = _close.shift(1)
    return pl.max_horizontal(
        pl.col("high") - pl.col("low"),
        (pl.col("high") - prev_close).abs(),
        (pl.col("low") - prev_close).abs(),
    )


def atr(window: int) -> pl.Expr:
    """Wilder's average true range as in ``ta.volatility.AverageTrueRange``.

    The first value (row ``window - 1``) is the plain mean of the first ``window`` true ranges;
    after that ``atr = (atr_prev * (n - 1) + tr) / n``, an EMA with alpha 1/n seeded by that mean.
    """
    tr = true_range()
    index = pl.int_range(pl.len())
    seeded = (
        pl.when(index < window - 1)
        .then(None)
        .when(index == window - 1)
        .then(tr.head(window).mean())
        .otherwise(tr)
    )
    return seeded.ewm_mean(alpha=1.0 / window, adjust=False, ignore_nulls=True)


def bollinger_pctb(window: int, num_std: float) -> pl.Expr:
    """Bollinger %B: 0 at the lower band, 1 at the upper (``ta`` ``bollinger_pband``)."""
    mid = _close.rolling_mean(window, min_samples=window)
    std = _close.rolling_std(window, min_samples=window, ddof=0)
    width = 2.0 * num_std * std
    lower = mid - num_std * std
    return pl.when(width > 0).then((_close - lower) / width).otherwise(None)


def volume_zscore(window: int) -> pl.Expr:
    """Volume's z-score against the trailing ``window`` bars (this bar included); null if flat."""
    vol = pl.col("volume")
    mean = vol.rolling_mean(window, min_samples=window)
    std = vol.rolling_std(window, min_samples=window)
    return pl.when(std > 0).then((vol - mean) / std).otherwise(None)


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


def time_cycles() -> dict[str, pl.Expr]:
    """Time of day and of week (from the bar's open time, UTC) as sin/cos pairs."""
    # Plain epoch arithmetic (UTC): much cheaper than calendar accessors on tz-aware columns.
    minutes = pl.col("timestamp").dt.epoch("s") // 60
    day_frac = (minutes % 1440).cast(pl.Float64) / 1440.0
    # 1970-01-01 was a Thursday: shifting by 3 days makes Monday 00:00 the start of the week.
    week_frac = ((minutes + 3 * 1440) % 10080).cast(pl.Float64) / 10080.0
    tau = 2.0 * math.pi
    return {
        "tod_sin": (day_frac * tau).sin(),
        "tod_cos": (day_frac * tau).cos(),
        "dow_sin": (week_frac * tau).sin(),
        "dow_cos": (week_frac * tau).cos(),
    }

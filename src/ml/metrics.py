"""Out-of-sample metrics: prediction quality and trading performance after costs."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from sklearn.metrics import log_loss, roc_auc_score

from src.ml.backtest.engine import BacktestResult

MINUTES_PER_YEAR = 365.25 * 24 * 60


def periods_per_year(interval_minutes: int) -> float:
    """Bars per year for a candle interval (crypto trades around the clock)."""
    return MINUTES_PER_YEAR / interval_minutes


def classification_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """AUC and log-loss; AUC is NaN when the slice holds one class only."""
    y = np.asarray(y_true).astype(int)
    p = np.clip(np.asarray(proba, dtype=float), 1e-7, 1 - 1e-7)
    auc = float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else math.nan
    return {"auc": auc, "log_loss": float(log_loss(y, p, labels=[0, 1]))}


def regression_metrics(y_true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Root mean squared error."""
    err = np.asarray(y_true, dtype=float) - np.asarray(pred, dtype=float)
    return {"rmse": float(np.sqrt(np.mean(err**2)))}


def rank_ic(score: np.ndarray, fwd_return: np.ndarray) -> float:
    """Spearman rank correlation between scores and realized forward returns."""
    frame = pl.DataFrame({"s": np.asarray(score, float), "r": np.asarray(fwd_return, float)})
    frame = frame.drop_nans().drop_nulls()
    if frame.height < 3 or frame["s"].n_unique() < 2 or frame["r"].n_unique() < 2:
        return math.nan
    return float(frame.select(pl.corr("s", "r", method="spearman")).item())


def hit_rate(score: np.ndarray, fwd_return: np.ndarray, center: float) -> float:
    """Share of calls (score above/below ``center``) whose sign matched the forward return."""
    call = np.sign(np.asarray(score, float) - center)
    real = np.sign(np.asarray(fwd_return, float))
    mask = (call != 0) & (real != 0) & np.isfinite(call) & np.isfinite(real)
    return float(np.mean(call[mask] == real[mask])) if mask.any() else math.nan


def _max_drawdown(equity: np.ndarray) -> float:
    peak = np.maximum.accumulate(equity)
    return float(np.min(equity / peak - 1.0))


def trading_metrics(result: BacktestResult, interval_minutes: int) -> dict[str, float]:
    """Return, risk and activity figures of a backtest, after all its fees and slippage.

    Sharpe and Sortino use per-bar returns annualized with ``sqrt(bars per year)`` and no
    risk-free rate; ``max_drawdown`` is negative (e.g. -0.25); ``turnover`` is traded notional
    divided by average equity over the whole period.
    """
    equity = np.concatenate(([result.initial_cash], result.equity["equity"].to_numpy()))
    rets = np.diff(equity) / equity[:-1]
    ppy = periods_per_year(interval_minutes)
    years = max(len(rets) / ppy, 1e-12)
    total = float(equity[-1] / equity[0] - 1.0)
    std = float(np.std(rets, ddof=1)) if len(rets) > 1 else 0.0
    downside = np.minimum(rets, 0.0)
    dd = float(np.sqrt(np.mean(downside**2))) if len(rets) else 0.0
    mean = float(np.mean(rets)) if len(rets) else 0.0
    traded = float(result.trades["notional"].sum()) if result.trades.height else 0.0
    return {
        "total_return": total,
        "annualized_return": float((1.0 + total) ** (1.0 / years) - 1.0) if total > -1 else -1.0,
        "sharpe": mean / std * math.sqrt(ppy) if std > 0 else 0.0,
        "sortino": mean / dd * math.sqrt(ppy) if dd > 0 else 0.0,
        "max_drawdown": _max_drawdown(equity),
        "turnover": traded / float(np.mean(equity)),
        "n_trades": float(result.trades.height),
        "fees": float(result.trades["fee"].sum()) if result.trades.height else 0.0,
    }


def ic_periods(timestamps: pl.Series, group: str = "day") -> pl.Series:
    """The period each row's IC is computed in: its UTC ``day`` or its ``timestamp``.

    Qlib groups by timestamp across instruments (a cross-sectional IC); with a handful of pairs
    a timestamp holds too few rows for a correlation, so days (every pair's bars of the day)
    are the default.
    """
    if group == "timestamp":
        return timestamps
    if group == "day":
        return timestamps.dt.truncate("1d")
    raise ValueError(f"group: 'day' or 'timestamp', got {group!r}")


def ic_by_period(score: np.ndarray, fwd_return: np.ndarray, period: pl.Series) -> pl.DataFrame:
    """Pearson IC and Spearman rank IC of score vs forward return within each period.

    Returns:
        ``period, ic, rank_ic, n`` in period order; periods with fewer than 2 usable rows, or
        a constant score or return, have NaN correlations.
    """
    frame = pl.DataFrame(
        {"period": period, "s": np.asarray(score, float), "r": np.asarray(fwd_return, float)}
    )
    frame = frame.filter(pl.col("s").is_finite() & pl.col("r").is_finite())
    return (
        frame.group_by("period", maintain_order=True)
        .agg(
            pl.corr("s", "r").alias("ic"),
            pl.corr("s", "r", method="spearman").alias("rank_ic"),
            pl.len().alias("n"),
        )
        .sort("period")
        .with_columns(pl.col("ic", "rank_ic").fill_null(math.nan))
    )


def _mean_ir(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return math.nan, math.nan
    mean = float(np.mean(finite))
    std = float(np.std(finite, ddof=1)) if len(finite) > 1 else math.nan
    return mean, (mean / std if std > 0 else math.nan)


def ic_summary(score: np.ndarray, fwd_return: np.ndarray, period: pl.Series) -> dict[str, float]:
    """Qlib's IC table: mean IC, ICIR, mean rank IC, rank ICIR, periods with a defined IC.

    ICIR is the mean of the per-period ICs over their sample standard deviation (Qlib's
    ``ic.mean() / ic.std()``); undefined periods are skipped.
    """
    table = ic_by_period(score, fwd_return, period)
    ic, icir = _mean_ir(table["ic"].to_numpy())
    ric, ricir = _mean_ir(table["rank_ic"].to_numpy())
    periods = float(np.isfinite(table["ic"].to_numpy()).sum())
    return {"ic": ic, "icir": icir, "rank_ic_mean": ric, "rank_icir": ricir, "ic_periods": periods}

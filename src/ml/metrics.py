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

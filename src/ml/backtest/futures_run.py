"""What a user's futures backtest run needs around ``run_futures_backtest``.

The rule (a two-sided moving-average cross at a target leverage), the frame the backtest
reads (index candles plus a mark and a funding rate, either stated or from the venue's
history), and the figures a person reads (return, Sharpe, drawdown, fills, fees, funding,
liquidations), for the rule and for buy-and-hold at 1x over the same frame and costs.

No broker is imported here: fetching from Kraken lives in the example; this module only sees
polars frames and a ``DerivativeInstrument``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from src.core.derivatives import DerivativeInstrument, Settlement
from src.ml.backtest.futures import FuturesBacktestResult, FuturesCosts, run_futures_backtest

__all__ = [
    "FuturesRunSummary",
    "buy_and_hold_target",
    "compare_with_buy_and_hold",
    "contract_max_leverage",
    "format_comparison",
    "regular_bars",
    "slice_candles",
    "sma_cross_target",
    "summarize",
    "trading_pnl",
    "with_funding_history",
    "with_stated_mark_and_funding",
]

TARGET = "target"
YEAR = timedelta(days=365.25)


def sma_cross_target(close: pl.Series, fast: int, slow: int, leverage: float) -> pl.Series:
    """``+leverage`` while the fast close average is above the slow one, ``-leverage`` below.

    Decided on each bar's close (the backtest executes it at the next open). 0 until the slow
    average has ``slow`` closes, and 0 on a tie, so a warm-up never trades.

    Raises:
        ValueError: ``fast`` not below ``slow``, or a window under 1.
    """
    if fast < 1 or slow <= fast:
        raise ValueError(f"need 1 <= fast < slow, got fast={fast}, slow={slow}")
    fast_mean = close.rolling_mean(fast)
    slow_mean = close.rolling_mean(slow)
    side = (fast_mean - slow_mean).sign().fill_null(0.0).fill_nan(0.0)
    return (side * leverage).alias(TARGET)


def buy_and_hold_target(height: int) -> pl.Series:
    """1x long from the first bar's close (so in from the second bar's open) to the end."""
    return pl.Series(TARGET, np.ones(height))


def contract_max_leverage(contract: DerivativeInstrument) -> float:
    """The most leverage the contract's first margin tier allows (1 / initial rate)."""
    if not contract.margin_tiers or contract.margin_tiers[0].initial_rate <= 0:
        return math.inf
    return float(1 / contract.margin_tiers[0].initial_rate)


def slice_candles(
    candles: pl.DataFrame, start: datetime | None, end: datetime | None
) -> pl.DataFrame:
    """Rows with ``start <= timestamp < end``, sorted.

    Raises:
        ValueError: fewer than two bars remain (nothing to trade), naming what the data holds.
    """
    frame = candles.sort("timestamp")
    if start is not None:
        frame = frame.filter(pl.col("timestamp") >= start)
    if end is not None:
        frame = frame.filter(pl.col("timestamp") < end)
    if frame.height < 2:
        first, last = candles["timestamp"].min(), candles["timestamp"].max()
        raise ValueError(
            f"{frame.height} bar(s) between {start} and {end}; "
            f"the data covers {first!s} to {last!s}"
        )
    return frame


def regular_bars(candles: pl.DataFrame, step: timedelta) -> tuple[pl.DataFrame, int]:
    """Candles every ``step`` with missing bars filled flat at the previous close.

    The backtest assumes even spacing (funding periods per bar come from the first step), and
    Kraken's files skip hours without a trade. A filled bar has open = high = low = close =
    the last close and volume 0: no price move and no trade, but funding still accrues.
    Returns the frame and how many bars were filled.
    """
    frame = candles.sort("timestamp")
    every = f"{int(step.total_seconds())}s"
    filled = frame.upsample(time_column="timestamp", every=every)
    added = filled.height - frame.height
    if added:
        close = pl.col("close").forward_fill()
        filled = filled.with_columns(
            *(pl.col(c).fill_null(close) for c in ("open", "high", "low")),
            close,
            *(pl.col(c).fill_null(0) for c in ("volume", "trades") if c in frame.columns),
        )
    return filled, added


def with_stated_mark_and_funding(
    candles: pl.DataFrame, basis: float, funding_rate: float
) -> pl.DataFrame:
    """Index candles with ``mark = close * (1 + basis)`` and a constant ``funding_rate``.

    Both are assumptions the caller states (no venue history): the columns are written out so
    that the frame says what the backtest was given.
    """
    return candles.with_columns(
        (pl.col("close") * (1 + basis)).alias("mark"),
        pl.lit(funding_rate, dtype=pl.Float64).alias("funding_rate"),
    )


def with_funding_history(candles: pl.DataFrame, rates: pl.DataFrame) -> pl.DataFrame:
    """Candles with the venue's relative funding rate in force at each bar's start.

    ``rates`` has ``timestamp`` (start of the funding period) and ``relative_rate``. Each bar
    takes the last rate stamped at or before its start (a backward as-of join); bars before
    the first rate get 0, stated by the null count the caller can read.
    """
    frame = candles.sort("timestamp").join_asof(
        rates.sort("timestamp").select(
            pl.col("timestamp").cast(candles.schema["timestamp"]),
            pl.col("relative_rate").cast(pl.Float64).alias("funding_rate"),
        ),
        on="timestamp",
        strategy="backward",
    )
    return frame.with_columns(pl.col("funding_rate").fill_null(0.0))


@dataclass(frozen=True)
class FuturesRunSummary:
    """The figures of one backtest, every one after fees, slippage and funding.

    ``trading_pnl`` comes from the fills and the last mark alone (no fees, no funding), so
    ``initial_equity + trading_pnl - fees + funding`` re-derives ``final_equity`` from
    separate sources: the check that every cost was counted once.
    """

    initial_equity: float
    final_equity: float
    total_return: float
    sharpe: float
    max_drawdown: float
    fills: int
    fees: float
    funding: float
    liquidations: int
    trading_pnl: float

    def as_metrics(self, prefix: str = "") -> dict[str, float]:
        """The figures as MLflow metrics (``prefix`` + name)."""
        return {f"{prefix}{k}": float(v) for k, v in asdict(self).items()}


def trading_pnl(result: FuturesBacktestResult, contract: DerivativeInstrument) -> float:
    """PnL of the fills and the open position at the last mark, before fees and funding.

    Linear: ``sum(-dq * p) + q_end * mark_end``; inverse: ``sum(dq / p) - q_end / mark_end``
    (both times the contract size): the cash each fill moves plus what the position left is
    worth, independent of the backtest's own running book.
    """
    trades, path = result.trades, result.path
    signed = np.where(trades["side"].to_numpy() == "buy", 1.0, -1.0) * trades["quantity"].to_numpy()
    prices = trades["price"].to_numpy()
    q_end = float(path["position"][-1]) if path.height else 0.0
    mark_end = float(path["mark"][-1]) if path.height else 1.0
    size = float(contract.contract_size)
    if contract.settlement is Settlement.LINEAR:
        return size * (float(np.sum(-signed * prices)) + q_end * mark_end)
    return size * (float(np.sum(signed / prices)) - q_end / mark_end)


def _bars_per_year(timestamps: pl.Series) -> float:
    if timestamps.len() < 2:
        return 0.0
    step = timestamps[1] - timestamps[0]
    return YEAR / step if step else 0.0


def summarize(result: FuturesBacktestResult, contract: DerivativeInstrument) -> FuturesRunSummary:
    """Return, Sharpe (per-bar returns, annualized, no risk-free rate), max drawdown, costs.

    Sharpe and drawdown start from the initial equity, so the first bar's move counts.
    """
    equity = np.concatenate(([result.initial_equity], result.path["equity"].to_numpy()))
    with np.errstate(divide="ignore", invalid="ignore"):
        rets = np.nan_to_num(np.diff(equity) / equity[:-1], nan=0.0, posinf=0.0, neginf=-1.0)
    std = float(np.std(rets, ddof=1)) if len(rets) > 1 else 0.0
    ppy = _bars_per_year(result.path["timestamp"])
    peak = np.maximum.accumulate(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        drawdown = float(np.nanmin(np.where(peak > 0, equity / peak - 1.0, 0.0)))
    totals = result.totals
    return FuturesRunSummary(
        initial_equity=result.initial_equity,
        final_equity=totals["final_equity"],
        total_return=totals["final_equity"] / result.initial_equity - 1.0,
        sharpe=float(np.mean(rets)) / std * math.sqrt(ppy) if std > 0 else 0.0,
        max_drawdown=drawdown,
        fills=result.trades.height,
        fees=totals["fees"],
        funding=totals["funding"],
        liquidations=int(totals["liquidations"]),
        trading_pnl=trading_pnl(result, contract),
    )


def compare_with_buy_and_hold(
    frame: pl.DataFrame,
    contract: DerivativeInstrument,
    costs: FuturesCosts,
    initial_equity: float,
) -> tuple[FuturesBacktestResult, FuturesBacktestResult]:
    """The rule (``frame``'s ``target``) and 1x buy-and-hold, same frame, costs and equity."""
    rule = run_futures_backtest(frame, contract, TARGET, costs=costs, initial_equity=initial_equity)
    hold_frame = frame.with_columns(buy_and_hold_target(frame.height))
    hold = run_futures_backtest(
        hold_frame, contract, TARGET, costs=costs, initial_equity=initial_equity
    )
    return rule, hold


_ROWS: tuple[tuple[str, str, str], ...] = (
    ("final equity", "final_equity", "money"),
    ("return", "total_return", "pct"),
    ("Sharpe (annualized)", "sharpe", "num"),
    ("max drawdown", "max_drawdown", "pct"),
    ("fills", "fills", "int"),
    ("fees paid", "fees", "money"),
    ("funding (+ received)", "funding", "money"),
    ("liquidations", "liquidations", "int"),
    ("PnL before costs", "trading_pnl", "money"),
)


def _cell(value: float, kind: str, currency: str) -> str:
    if kind == "money":
        return f"{value:,.2f} {currency}" if currency == "USD" else f"{value:,.8f} {currency}"
    if kind == "pct":
        return f"{value * 100:+.2f} %"
    if kind == "int":
        return f"{int(value)}"
    return f"{value:.2f}"


def format_comparison(
    rule: FuturesRunSummary, hold: FuturesRunSummary, currency: str, rule_name: str
) -> str:
    """A two-column table: the rule and buy-and-hold at 1x, one figure a line."""
    width = 24
    lines = [f"{'':<22}{rule_name:>{width}}{'buy-and-hold 1x':>{width}}"]
    for label, key, kind in _ROWS:
        left = _cell(float(getattr(rule, key)), kind, currency)
        right = _cell(float(getattr(hold, key)), kind, currency)
        lines.append(f"{label:<22}{left:>{width}}{right:>{width}}")
    return "\n".join(lines)

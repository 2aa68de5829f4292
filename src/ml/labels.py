"""Forward-looking training targets; the only module in ``src.ml`` allowed to look ahead.

Every label at row ``t`` uses rows ``t+1 .. t+horizon`` of the same pair (rows, not clock time:
Kraken files have no row for an interval without trades). ``label_end`` is the timestamp of the
last row a label looked at, which the walk-forward splits use to purge training rows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from src.ml.config import LabelConfig
from src.ml.policy.inputs import rolling_side, rolling_vol

LABEL = "label"
FWD_RETURN = "fwd_return"
LABEL_END = "label_end"


def _over(expr: pl.Expr, frame: pl.DataFrame) -> pl.Expr:
    return expr.over("pair") if "pair" in frame.columns else expr


def _check(candles: pl.DataFrame, horizon: int, needed: tuple[str, ...]) -> None:
    missing = [c for c in ("timestamp", *needed) if c not in candles.columns]
    if missing:
        raise ValueError(f"labels need columns {missing}; got {candles.columns}")
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")


def _keys(candles: pl.DataFrame) -> list[str]:
    return ["timestamp", "pair"] if "pair" in candles.columns else ["timestamp"]


def forward_return(candles: pl.DataFrame, horizon: int) -> pl.DataFrame:
    """Close-to-close return over ``horizon`` rows (regression target).

    Args:
        candles: ``timestamp``, ``close`` (and ``pair``), sorted by time within each pair.
        horizon: Rows to look ahead.

    Returns:
        Keys plus ``fwd_return``, ``label`` (same value) and ``label_end``; null near the end.
    """
    _check(candles, horizon, ("close",))
    fwd = _over(pl.col("close").shift(-horizon) / pl.col("close") - 1.0, candles)
    end = _over(pl.col("timestamp").shift(-horizon), candles)
    return candles.select(
        *_keys(candles), fwd.alias(FWD_RETURN), fwd.alias(LABEL), end.alias(LABEL_END)
    )


def direction(candles: pl.DataFrame, horizon: int, dead_zone: float = 0.0) -> pl.DataFrame:
    """Up (1) or down (0) over ``horizon`` rows; moves within ``dead_zone`` are left null.

    Args:
        candles: ``timestamp``, ``close`` (and ``pair``).
        horizon: Rows to look ahead.
        dead_zone: Absolute forward return at or below which the row gets no label.
    """
    if dead_zone < 0:
        raise ValueError(f"dead_zone must be >= 0, got {dead_zone}")
    base = forward_return(candles, horizon)
    ret = pl.col(FWD_RETURN)
    label = (
        pl.when(ret > dead_zone)
        .then(pl.lit(1.0))
        .when(ret < -dead_zone)
        .then(pl.lit(0.0))
        .otherwise(pl.lit(None, dtype=pl.Float64))
    )
    return base.with_columns(label.alias(LABEL))


def net_return(candles: pl.DataFrame, horizon: int, cost: float) -> pl.DataFrame:
    """The forward return of a long held ``horizon`` rows, minus the round trip ``2 x cost``.

    Args:
        candles: ``timestamp``, ``close`` (and ``pair``).
        horizon: Rows to look ahead.
        cost: Cost of one trade as a fraction (fee + half spread + slippage).
    """
    base = forward_return(candles, horizon)
    return base.with_columns((pl.col(FWD_RETURN) - 2.0 * cost).alias(LABEL))


def net_direction(candles: pl.DataFrame, horizon: int, cost: float) -> pl.DataFrame:
    """1 when a long held ``horizon`` rows pays its round trip (``fwd - 2 x cost > 0``), else 0."""
    base = net_return(candles, horizon, cost)
    return base.with_columns((pl.col(LABEL) > 0).cast(pl.Float64).alias(LABEL))


def _per_pair(candles: pl.DataFrame, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``fn(close)`` per pair in row order (rows sorted by time within each pair)."""
    groups = candles["pair"].to_numpy() if "pair" in candles.columns else None
    close = candles["close"].to_numpy().astype(float)
    out = np.full(candles.height, np.nan)
    for rows in _group_rows(groups, candles.height):
        out[rows] = fn(close[rows])
    return out


def meta_label(candles: pl.DataFrame, cfg: LabelConfig, cost: float) -> pl.DataFrame:
    """Meta-labels: does the primary rule's trade pay its round trip over the horizon?

    The primary rule is momentum over ``cfg.primary_window`` rows (its side +1 when the close is
    above the close that many rows earlier, -1 below; :func:`src.ml.policy.rolling_side`, which
    only looks back). The label is 1 when ``side x fwd_return - 2 x cost > 0``, 0 when not, and
    null where the rule has no side (so the second model learns only from the rule's trades).
    """
    base = forward_return(candles, cfg.horizon)
    side = _per_pair(candles, lambda c: rolling_side(c, cfg.primary_window))
    fwd = base[FWD_RETURN].fill_null(np.nan).to_numpy().astype(float)
    pays = (side * fwd - 2.0 * cost > 0).astype(float)
    label = np.where(np.isfinite(side) & (side != 0) & np.isfinite(fwd), pays, np.nan)
    return base.with_columns(pl.Series(LABEL, label).fill_nan(None))


def _first_hit(hits: np.ndarray) -> np.ndarray:
    """Index of the first True per row, or ``horizon`` when none."""
    any_hit = hits.any(axis=1)
    first = hits.argmax(axis=1)
    return np.asarray(np.where(any_hit, first, hits.shape[1]), dtype=np.int64)


def _barriers(close: np.ndarray, cfg: LabelConfig) -> tuple[np.ndarray, np.ndarray]:
    """Profit-take and stop-loss per row: fixed, or multiples of sigma x sqrt(horizon)."""
    if cfg.barrier_scale == "fixed":
        return np.full(len(close), cfg.profit_take), np.full(len(close), cfg.stop_loss)
    scale = rolling_vol(close, cfg.vol_window) * np.sqrt(cfg.horizon)
    return cfg.profit_take * scale, cfg.stop_loss * scale


def _barrier_block(
    close: np.ndarray, high: np.ndarray, low: np.ndarray, cfg: LabelConfig, fee: float
) -> tuple[np.ndarray, np.ndarray]:
    n, h = close.shape[0], cfg.horizon
    label = np.full(n, np.nan)
    realized = np.full(n, np.nan)
    if n <= h:
        return label, realized
    m = n - h
    idx = np.arange(m)[:, None] + np.arange(1, h + 1)[None, :]
    entry = close[:m, None]
    cost = 2.0 * fee  # entry and exit both pay the fee
    take, stop = (b[:m, None] for b in _barriers(close, cfg))
    up = high[idx] / entry - 1.0 - cost >= take
    down = low[idx] / entry - 1.0 - cost <= -stop
    first_up, first_down = _first_hit(up), _first_hit(down)
    # Same bar hits both: the order inside the bar is unknown, so assume the stop (conservative).
    lab = np.where(first_down <= first_up, -1.0, 1.0)
    lab = np.where((first_up == h) & (first_down == h), 0.0, lab)
    # No volatility yet (the first vol_window rows): no barrier, no label.
    label[:m] = np.where(np.isfinite(take[:, 0]) & np.isfinite(stop[:, 0]), lab, np.nan)
    at_limit = close[h:] / close[:m] - 1.0 - cost
    realized[:m] = np.where(lab == 1.0, take[:, 0], np.where(lab == -1.0, -stop[:, 0], at_limit))
    return label, realized


def triple_barrier(candles: pl.DataFrame, cfg: LabelConfig, fee: float) -> pl.DataFrame:
    """Triple-barrier labels for a long entry at the close, net of round-trip costs.

    ``label`` is 1 when the profit-take barrier is reached first, -1 for the stop-loss, 0 when
    the time limit (``horizon`` rows, the maximum holding period) comes first. A bar touching
    both counts as the stop. With ``cfg.barrier_scale = "volatility"`` the barriers at row t are
    ``profit_take`` and ``stop_loss`` times sigma_t x sqrt(horizon), sigma_t the per-bar standard
    deviation of log returns over the ``vol_window`` rows up to t (rows before that get no
    label). ``fwd_return`` stays the plain close-to-close return (for IC and hit rate).

    Args:
        candles: ``timestamp``, ``high``, ``low``, ``close`` (and ``pair``), time-sorted per pair.
        cfg: Barrier widths and horizon.
        fee: Cost per side as a fraction (fee + half spread + slippage), paid on entry and exit.
    """
    _check(candles, cfg.horizon, ("high", "low", "close"))
    base = forward_return(candles, cfg.horizon)
    groups = candles["pair"].to_numpy() if "pair" in candles.columns else None
    labels = np.full(candles.height, np.nan)
    for rows in _group_rows(groups, candles.height):
        part = candles[rows]
        lab, _ = _barrier_block(
            part["close"].to_numpy().astype(float),
            part["high"].to_numpy().astype(float),
            part["low"].to_numpy().astype(float),
            cfg,
            fee,
        )
        labels[rows] = lab
    return base.with_columns(pl.Series(LABEL, labels).fill_nan(None))


def _group_rows(groups: np.ndarray | None, n: int) -> list[np.ndarray]:
    if groups is None:
        return [np.arange(n)]
    return [np.flatnonzero(groups == g) for g in dict.fromkeys(groups.tolist())]


def make_labels(candles: pl.DataFrame, cfg: LabelConfig, fee: float) -> pl.DataFrame:
    """Dispatch on ``cfg.kind``.

    ``fee`` is the cost of one trade (fee + half spread + slippage, as
    :func:`src.ml.policy.side_cost` computes it), used by the kinds net of costs.
    """
    if cfg.kind == "forward_return":
        return forward_return(candles, cfg.horizon)
    if cfg.kind == "net_return":
        return net_return(candles, cfg.horizon, fee)
    if cfg.kind == "direction":
        return direction(candles, cfg.horizon, cfg.dead_zone)
    if cfg.kind == "net_direction":
        return net_direction(candles, cfg.horizon, fee)
    if cfg.kind == "meta":
        return meta_label(candles, cfg, fee)
    return triple_barrier(candles, cfg, fee)


def classification_target(label: np.ndarray) -> np.ndarray:
    """Binary target for classifiers: 1 where the label is positive, else 0."""
    return (label > 0).astype(np.int64)

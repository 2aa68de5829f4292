"""Vectorized backtest: target weights -> orders at the next open -> trades and equity.

Each pair trades its own sleeve of ``initial_cash / n_pairs``. The frame is read into numpy
once and split by pair with one stable sort; bars are handled in bulk, and the only Python loop
runs over the bars where the target changes (orders, :mod:`src.ml.backtest.sleeve`), because
sizing depends on the sleeve's equity at that moment. The sleeves' equity curves are merged on
the union of their timestamps by index arithmetic (no joins).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from src.core.instruments import Instrument
from src.ml.backtest.costs import CostModel
from src.ml.backtest.sleeve import ROW_FIELDS, Rules, SleeveFills, sleeve_equity, sleeve_fills

TRADE_SCHEMA: dict[str, pl.DataType] = {
    "timestamp": pl.Datetime("us", "UTC"),
    "pair": pl.Utf8(),
    "side": pl.Utf8(),
    **{name: pl.Float64() for name in ROW_FIELDS[1:]},
}


# The side column's two values, repeated per fill by ``new_from_index`` (never exposed).
_BUY, _SELL = pl.Series("side", ["buy"]), pl.Series("side", ["sell"])


@dataclass
class BacktestResult:
    """Trades, equity curve and bookkeeping of one backtest.

    Attributes:
        trades: One row per fill (schema ``TRADE_SCHEMA``); ``cash`` and ``position`` are the
            sleeve's values after the fill.
        equity: ``timestamp``, ``equity`` (portfolio, marked at each close) and ``equity_<pair>``.
        initial_cash: Starting capital.
        skipped_orders: Orders dropped because they fell below the pair's minimums.
        metrics: Filled by :func:`src.ml.metrics.trading_metrics` when asked.
    """

    trades: pl.DataFrame
    equity: pl.DataFrame
    initial_cash: float
    skipped_orders: int
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Columns:
    """The candles as numpy arrays, and each pair's rows (in time order) into them."""

    timestamp: pl.Series
    stamps: np.ndarray  # int64 physical timestamps
    opens: np.ndarray
    closes: np.ndarray
    weight: np.ndarray
    impact: np.ndarray
    groups: list[tuple[str, np.ndarray | slice]]

    @classmethod
    def of(cls, candles: pl.DataFrame, weight_col: str, costs: CostModel) -> _Columns:
        # One impact for every bar unless the candles carry their own spread (a 0-d array
        # that broadcasts: no per-bar array to build for the common case).
        slippage = costs.slippage_bps / 10_000.0
        impact: np.ndarray
        if costs.liquidity != "taker":
            impact = np.asarray(0.0)
        elif "spread" in candles.columns:
            spread = candles["spread"].fill_null(costs.spread_bps / 1e4).to_numpy()
            impact = spread.astype(float, copy=False) / 2.0 + slippage
        else:
            impact = np.asarray(costs.spread_bps / 2.0 / 10_000.0 + slippage)
        # Unknown targets (null or NaN) mean flat; nulls arrive as NaN in the float array.
        target = candles[weight_col]
        weight = (target if target.dtype == pl.Float64 else target.cast(pl.Float64)).to_numpy()
        unknown = np.isnan(weight)
        if unknown.any():
            weight = np.where(unknown, 0.0, weight)
        timestamp = candles["timestamp"]
        opens = candles["open"].to_numpy().astype(float, copy=False)
        closes = candles["close"].to_numpy().astype(float, copy=False)
        # Nulls arrive as NaN, which fails ``> 0`` as a zero or negative price does.
        if not ((opens > 0).all() and (closes > 0).all()):
            raise ValueError("backtest prices must be positive numbers (no null or NaN open/close)")
        # A datetime column's numpy view is its physical integers without a copy;
        # ``to_physical`` would cost a polars expression per call (about 50 us).
        stamps = timestamp.to_numpy()
        if stamps.dtype.kind == "M":
            stamps = stamps.view(np.int64)
        return cls(timestamp, stamps, opens, closes, weight, impact, _groups(candles))


def _groups(candles: pl.DataFrame) -> list[tuple[str, np.ndarray | slice]]:
    """Pair -> its rows in the frame's order, pairs in order of first appearance.

    A pair whose rows are one block (a concat of per-pair frames) gets a slice: no copies.
    """
    if "pair" not in candles.columns:
        return [("", slice(0, candles.height))]
    pair = candles["pair"]
    if pair.is_sorted():  # blocks in name order (e.g. sorted by pair, time): bisect for them
        groups: list[tuple[str, np.ndarray | slice]] = []
        start = 0
        while start < candles.height:
            name = pair[start]
            end = int(pair.search_sorted(name, side="right"))
            groups.append((name, slice(start, end)))
            start = end
        return groups
    runs = pair.rle()
    names, lengths = runs.struct.field("value").to_list(), runs.struct.field("len").to_numpy()
    if len(set(names)) == len(names):  # each pair one block (a concat of per-pair frames)
        ends = np.cumsum(lengths).tolist()
        return [
            (name, slice(end - n, end))
            for name, n, end in zip(names, lengths.tolist(), ends, strict=True)
        ]
    names = list(dict.fromkeys(names))
    codes = pair.cast(pl.Enum(names)).to_physical().to_numpy()
    # A stable sort keeps each pair's rows in the frame's order (radix on 16-bit codes).
    order = np.argsort(codes.astype(np.uint16 if len(names) < 65_536 else np.int64), kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(names)))[:-1]
    return list(zip(names, np.split(order, bounds), strict=True))


def _trades(cols: _Columns, filled: list[tuple[str, np.ndarray, SleeveFills]]) -> pl.DataFrame:
    """One frame of every sleeve's fills, in time order (pairs in order at the same time).

    Built from numpy arrays and constant columns only: each polars ``gather`` or expression on
    a Series costs about 50 us, which is most of the time of a small backtest.

    Args:
        cols: The candles' columns.
        filled: Per pair, the frame rows its fills happened at, and the fills.
    """
    done = [(pair, rows, fills.rows) for pair, rows, fills in filled if rows.size]
    if not done:
        return pl.DataFrame(schema=TRADE_SCHEMA)
    data = done[0][2] if len(done) == 1 else np.concatenate([rows for _, _, rows in done])
    at = done[0][1] if len(done) == 1 else np.concatenate([rows for _, rows, _ in done])
    stamps = pl.Series("timestamp", cols.stamps[at]).cast(cols.timestamp.dtype)
    if stamps.dtype != TRADE_SCHEMA["timestamp"]:
        stamps = stamps.cast(TRADE_SCHEMA["timestamp"])
    pairs = [pl.Series("pair", [pair]).new_from_index(0, rows.size) for pair, rows, _ in done]
    n = data.shape[0]
    side = _BUY.new_from_index(0, n).zip_with(pl.Series(data[:, 0] > 0), _SELL.new_from_index(0, n))
    # The figures as one Series cut into columns: slices share its buffer.
    numbers = pl.Series("", np.ascontiguousarray(data[:, 1:].T).ravel())
    frame = pl.DataFrame([
        stamps,
        pairs[0] if len(pairs) == 1 else pl.concat(pairs),
        side,
        *(numbers.slice(k * n, n).alias(name) for k, name in enumerate(ROW_FIELDS[1:])),
    ])  # fmt: skip
    # One sleeve's fills are in time order already; several are merged by time, pairs in order.
    return frame if len(done) == 1 else frame.sort("timestamp", maintain_order=True)


def run_backtest(
    candles: pl.DataFrame,
    weight_col: str = "target",
    *,
    costs: CostModel | None = None,
    instruments: Mapping[str, Instrument] | None = None,
    initial_cash: float = 10_000.0,
) -> BacktestResult:
    """Backtest target weights over candles.

    Args:
        candles: ``timestamp`` (UTC), ``open``, ``close``, the weight column and optionally
            ``pair`` and ``spread`` (full relative spread per bar). Sorted by time per pair.
        weight_col: Column with the target weight in [-1, 1] decided at each bar's close.
        costs: Fees, spread and slippage; defaults to Kraken's 2025 starter tier, taker.
        instruments: Pair -> :class:`Instrument` for tick, lot and minimums (none: unrounded).
        initial_cash: Starting capital, split evenly across pairs.

    Returns:
        A :class:`BacktestResult`; equity is marked at each bar's close.
    """
    _validate(candles, weight_col, initial_cash)
    costs = costs or CostModel()
    cols = _Columns.of(candles, weight_col, costs)
    sleeve_cash = initial_cash / len(cols.groups)
    filled: list[tuple[str, np.ndarray, SleeveFills]] = []
    curves: list[tuple[str, np.ndarray, np.ndarray]] = []
    skipped = 0
    for pair, rows in cols.groups:
        weight = cols.weight[rows]
        # The target decided at bar t's close is executed at bar t+1's open: no look-ahead.
        exec_weight = np.concatenate(([0.0], weight[:-1]))
        rules = Rules.of((instruments or {}).get(pair))
        impact = cols.impact[rows] if cols.impact.ndim else cols.impact
        fills = sleeve_fills(cols.opens[rows], exec_weight, impact, sleeve_cash,
                             costs.fee_rate, rules)  # fmt: skip
        curves.append(
            (pair, cols.stamps[rows], sleeve_equity(fills, cols.closes[rows], sleeve_cash))
        )
        at = fills.at + rows.start if isinstance(rows, slice) else rows[fills.at]
        filled.append((pair, at, fills))
        skipped += fills.skipped
    first = cols.groups[0][1]
    # The first sleeve's own timestamps, a view when its rows are one block (no conversion).
    stamps = (
        cols.timestamp.slice(first.start, first.stop - first.start).rename("timestamp")
        if isinstance(first, slice)
        else None
    )
    equity = _combine(curves, sleeve_cash, cols.timestamp.dtype, stamps)
    return BacktestResult(_trades(cols, filled), equity, initial_cash, skipped)


def _combine(
    curves: list[tuple[str, np.ndarray, np.ndarray]],
    sleeve_cash: float,
    dtype: pl.DataType,
    first_timestamp: pl.Series | None,
) -> pl.DataFrame:
    """The sleeves' equity on the union of their timestamps, and their sum.

    A pair without a bar at some timestamp keeps its last value (its starting cash before any).
    ``first_timestamp`` is the first sleeve's timestamps as a Series, if at hand.
    """
    first = curves[0][1]
    # The usual case: every pair has the same bars, in order; nothing to align.
    aligned = _ascending(first) and all(np.array_equal(c[1], first) for c in curves[1:])
    union = first if aligned else np.unique(np.concatenate([c[1] for c in curves]))
    columns: list[pl.Series] = []
    total = np.zeros(0)
    for pair, stamps, values in curves:
        if not aligned:
            order = np.argsort(stamps, kind="stable")
            at = np.searchsorted(stamps[order], union, side="right") - 1
            values = np.where(at >= 0, values[order][np.maximum(at, 0)], sleeve_cash)
        # The first term alone is the sum so far (0.0 + x is x).
        total = values if not columns else total + values
        columns.append(pl.Series(f"equity_{pair}" if pair else "equity_all", values))
    if aligned and first_timestamp is not None:
        stamp = first_timestamp
    else:
        stamp = pl.Series("timestamp", union).cast(dtype)
    return pl.DataFrame([stamp, *columns, pl.Series("equity", total)])


def _ascending(stamps: np.ndarray) -> bool:
    return bool((stamps[1:] > stamps[:-1]).all())


def _validate(candles: pl.DataFrame, weight_col: str, initial_cash: float) -> None:
    missing = [c for c in ("timestamp", "open", "close", weight_col) if c not in candles.columns]
    if missing:
        raise ValueError(f"backtest needs columns {missing}; got {candles.columns}")
    if initial_cash <= 0:
        raise ValueError(f"initial_cash must be > 0, got {initial_cash}")
    if candles.height == 0:
        raise ValueError("backtest got no candles")

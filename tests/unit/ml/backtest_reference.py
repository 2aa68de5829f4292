"""The straightforward backtest the optimized engine must reproduce (the test oracle).

This is the engine as it was before it was optimized (issue 19): one polars filter per pair,
one Python pass per order with the rounding helpers, and joins to merge the sleeves. Slow, but
each step is easy to check by reading; ``test_backtest_fast_path.py`` asserts the optimized
``run_backtest`` gives the same trades and equity on randomized inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from src.core.instruments import Instrument
from src.ml.backtest.costs import CostModel
from src.ml.backtest.engine import TRADE_SCHEMA, BacktestResult


@dataclass(frozen=True)
class _Rules:
    price_tick: float
    lot_step: float
    min_quantity: float
    min_cost: float
    price_decimals: int = 12
    quantity_decimals: int = 12

    @classmethod
    def of(cls, inst: Instrument | None) -> _Rules:
        if inst is None:
            return cls(0.0, 0.0, 0.0, 0.0)
        return cls(
            float(inst.price_tick),
            float(inst.lot_step),
            float(inst.min_quantity),
            float(inst.min_cost),
            inst.price_decimals,
            inst.quantity_decimals,
        )

    def price(self, p: float, buy: bool) -> float:
        if self.price_tick <= 0:
            return p
        # Fill prices round against us: a buy pays the tick above, a sell gets the one below.
        units = (
            math.ceil(p / self.price_tick - 1e-9) if buy else math.floor(p / self.price_tick + 1e-9)
        )
        return round(units * self.price_tick, self.price_decimals)

    def units(self, q: float) -> float:
        """Whole lots in ``q`` (rounded down); positions are tracked in lots so they stay exact."""
        if self.lot_step <= 0:
            return q
        return float(math.floor(q / self.lot_step + 1e-9))

    def quantity(self, units: float) -> float:
        if self.lot_step <= 0:
            return units
        return round(units * self.lot_step, self.quantity_decimals)


def _sleeve(
    opens: np.ndarray,
    exec_weight: np.ndarray,
    half_spread: np.ndarray,
    cash0: float,
    costs: CostModel,
    rules: _Rules,
) -> tuple[list[tuple[float, ...]], list[int], int]:
    changes = np.flatnonzero(np.diff(exec_weight, prepend=0.0) != 0.0)
    cash, units, skipped = cash0, 0.0, 0
    rows: list[tuple[float, ...]] = []
    at: list[int] = []
    fee_rate = costs.fee_rate
    for j in changes.tolist():
        ref = float(opens[j])
        impact = costs.impact(float(half_spread[j]))
        # Size so that price impact and the fee still fit inside the sleeve's equity.
        budget = abs(exec_weight[j]) * max(cash + rules.quantity(units) * ref, 0.0)
        target = rules.units(budget / (ref * (1.0 + impact) * (1.0 + fee_rate)))
        delta = math.copysign(target, exec_weight[j]) - units
        if delta == 0.0:
            continue
        buy = delta > 0
        price = rules.price(ref * (1.0 + impact) if buy else ref * (1.0 - impact), buy)
        size = rules.quantity(abs(delta))
        if size < rules.min_quantity or size * price < rules.min_cost or size == 0.0:
            skipped += 1
            continue
        notional = size * price
        fee = notional * fee_rate
        cash -= (size * price if buy else -size * price) + fee
        units += delta
        side = 1.0 if buy else -1.0
        slip = size * abs(price - ref)
        rows.append((side, size, price, ref, notional, fee, slip, rules.quantity(units), cash))
        at.append(j)
    return rows, at, skipped


def _run_pair(
    frame: pl.DataFrame,
    weight_col: str,
    cash0: float,
    costs: CostModel,
    rules: _Rules,
) -> tuple[pl.DataFrame, np.ndarray, int]:
    opens = frame["open"].to_numpy().astype(float)
    closes = frame["close"].to_numpy().astype(float)
    weight = frame[weight_col].fill_null(0.0).fill_nan(0.0).to_numpy().astype(float)
    # The target decided at bar t's close is executed at bar t+1's open: no look-ahead.
    exec_weight = np.concatenate(([0.0], weight[:-1]))
    if "spread" in frame.columns:
        half = frame["spread"].fill_null(costs.spread_bps / 1e4).to_numpy().astype(float) / 2.0
    else:
        half = np.full(len(opens), costs.spread_bps / 2.0 / 10_000.0)
    rows, at, skipped = _sleeve(opens, exec_weight, half, cash0, costs, rules)
    n = len(opens)
    cash_path = np.full(n, cash0)
    qty_path = np.zeros(n)
    if at:
        arr = np.asarray(rows)
        seg = np.searchsorted(np.asarray(at), np.arange(n), side="right") - 1
        has = seg >= 0
        cash_path[has] = arr[seg[has], 8]
        qty_path[has] = arr[seg[has], 7]
    equity = cash_path + qty_path * closes
    trades = _trades_frame(frame, rows, at)
    return trades, equity, skipped


def _trades_frame(
    frame: pl.DataFrame, rows: list[tuple[float, ...]], at: list[int]
) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema=TRADE_SCHEMA)
    arr = np.asarray(rows)
    pair = frame["pair"][0] if "pair" in frame.columns else ""
    return pl.DataFrame(
        {
            "timestamp": frame["timestamp"].gather(at),
            "pair": [pair] * len(at),
            "side": np.where(arr[:, 0] > 0, "buy", "sell"),
            "quantity": arr[:, 1],
            "price": arr[:, 2],
            "reference_price": arr[:, 3],
            "notional": arr[:, 4],
            "fee": arr[:, 5],
            "slippage_cost": arr[:, 6],
            "position": arr[:, 7],
            "cash": arr[:, 8],
        },
        schema=TRADE_SCHEMA,
    )


def reference_backtest(
    candles: pl.DataFrame,
    weight_col: str = "target",
    *,
    costs: CostModel | None = None,
    instruments: Mapping[str, Instrument] | None = None,
    initial_cash: float = 10_000.0,
) -> BacktestResult:
    """:func:`src.ml.backtest.run_backtest`'s contract, computed the straightforward way."""
    _validate(candles, weight_col, initial_cash)
    costs = costs or CostModel()
    pairs = (
        candles["pair"].unique(maintain_order=True).to_list() if "pair" in candles.columns else [""]
    )
    sleeve_cash = initial_cash / len(pairs)
    all_trades, curves, skipped = [], [], 0
    for pair in pairs:
        part = candles.filter(pl.col("pair") == pair) if pair else candles
        inst = (instruments or {}).get(pair)
        trades, equity, n_skip = _run_pair(part, weight_col, sleeve_cash, costs, _Rules.of(inst))
        all_trades.append(trades)
        skipped += n_skip
        name = f"equity_{pair}" if pair else "equity_all"
        curves.append(pl.DataFrame({"timestamp": part["timestamp"], name: equity}))
    trades = pl.concat(all_trades).sort("timestamp", maintain_order=True)
    return BacktestResult(trades, _combine(curves, sleeve_cash), initial_cash, skipped)


def _combine(curves: list[pl.DataFrame], sleeve_cash: float) -> pl.DataFrame:
    merged = curves[0]
    for curve in curves[1:]:
        merged = merged.join(curve, on="timestamp", how="full", coalesce=True)
    merged = merged.sort("timestamp")
    names = [c for c in merged.columns if c != "timestamp"]
    # A pair without a bar at some timestamp keeps its last value (its starting cash before any).
    merged = merged.with_columns(pl.col(names).forward_fill().fill_null(sleeve_cash))
    return merged.with_columns(pl.sum_horizontal(names).alias("equity"))


def _validate(candles: pl.DataFrame, weight_col: str, initial_cash: float) -> None:
    missing = [c for c in ("timestamp", "open", "close", weight_col) if c not in candles.columns]
    if missing:
        raise ValueError(f"backtest needs columns {missing}; got {candles.columns}")
    if initial_cash <= 0:
        raise ValueError(f"initial_cash must be > 0, got {initial_cash}")
    if candles.height == 0:
        raise ValueError("backtest got no candles")
    prices = pl.col("open", "close")
    invalid = (prices <= 0) | prices.is_null() | prices.is_nan()
    bad = candles.select(pl.any_horizontal(invalid.any())).item()
    if bad:
        raise ValueError("backtest prices must be positive numbers (no null or NaN open/close)")

"""One pair's sleeve: the orders its target weights cause, sized and rounded one after another.

Sizing depends on the sleeve's equity at each order, so orders are walked in sequence; the
walk touches only the bars where the target changes and keeps everything in local floats (no
calls per order), which is what makes it as fast as a plain numpy loop. Bars between orders
are handled in bulk by :func:`sleeve_equity`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from src.core.instruments import Instrument

#: Columns of :attr:`SleeveFills.rows`, in order.
ROW_FIELDS = ("side", "quantity", "price", "reference_price", "notional", "fee",
              "slippage_cost", "position", "cash")  # fmt: skip


@dataclass(frozen=True)
class Rules:
    """A pair's tick, lot and minimums as floats (zeros: unrounded, no minimum)."""

    price_tick: float = 0.0
    lot_step: float = 0.0
    min_quantity: float = 0.0
    min_cost: float = 0.0
    price_decimals: int = 12
    quantity_decimals: int = 12

    @classmethod
    def of(cls, inst: Instrument | None) -> Rules:
        """The rules of ``inst`` (None: unrounded)."""
        if inst is None:
            return cls()
        return cls(float(inst.price_tick), float(inst.lot_step), float(inst.min_quantity),
                   float(inst.min_cost), inst.price_decimals, inst.quantity_decimals)  # fmt: skip


UNROUNDED = Rules()


@dataclass(frozen=True)
class SleeveFills:
    """The fills of one sleeve: the bar index of each and its values (``ROW_FIELDS``)."""

    at: np.ndarray  # int64 bar indices, ascending
    rows: np.ndarray  # float64, shape (fills, len(ROW_FIELDS))
    skipped: int


def sleeve_fills(
    opens: np.ndarray,
    exec_weight: np.ndarray,
    impact: np.ndarray,
    cash0: float,
    fee_rate: float,
    rules: Rules,
) -> SleeveFills:
    """Fill every change of ``exec_weight`` at that bar's open, in order.

    Args:
        opens: Open price per bar (the reference price of an order placed at that bar).
        exec_weight: Target weight in force from each bar's open.
        impact: Adverse price move fraction per bar for a taker order (zero for maker); a
            0-d array means the same for every bar.
        cash0: The sleeve's starting cash.
        fee_rate: Fee fraction of each fill's notional.
        rules: Tick, lot and minimums; a fill price rounds against us, quantities to whole lots.
    """
    # Where the weight in force differs from the bar before's (0 before the first bar).
    moved = np.empty(exec_weight.size, dtype=bool)
    moved[:1] = exec_weight[:1] != 0.0
    np.not_equal(exec_weight[1:], exec_weight[:-1], out=moved[1:])
    changes = np.flatnonzero(moved)
    if rules == UNROUNDED:
        return _unrounded_fills(changes, opens, exec_weight, impact, cash0, fee_rate)
    tick, lot, p_dec, q_dec = (rules.price_tick, rules.lot_step, rules.price_decimals,
                               rules.quantity_decimals)  # fmt: skip
    min_qty, min_cost = rules.min_quantity, rules.min_cost
    rounded, ticked = lot > 0, tick > 0
    floor, ceil = math.floor, math.ceil
    cash, units, skipped = cash0, 0.0, 0
    at: list[int] = []
    rows: list[float] = []  # ROW_FIELDS of each fill, one after another
    # Locals only in the loop (no attribute lookups or helper calls): it runs once per order.
    orders = zip(changes.tolist(), opens[changes].tolist(), exec_weight[changes].tolist(),
                 np.broadcast_to(impact, opens.shape)[changes].tolist(), strict=True)  # fmt: skip
    for j, ref, w, imp in orders:
        held = round(units * lot, q_dec) if rounded else units
        equity = cash + held * ref
        # Size so that price impact and the fee still fit inside the sleeve's equity.
        budget = (w if w > 0 else -w) * (equity if equity > 0.0 else 0.0)
        whole = budget / (ref * (1.0 + imp) * (1.0 + fee_rate))
        target = float(floor(whole / lot + 1e-9)) if rounded else whole
        delta = (target if w > 0 else -target) - units
        if delta == 0.0:
            continue
        buy = delta > 0
        price = ref * (1.0 + imp) if buy else ref * (1.0 - imp)
        if ticked:
            steps = ceil(price / tick - 1e-9) if buy else floor(price / tick + 1e-9)
            price = round(steps * tick, p_dec)
        size = delta if buy else -delta
        if rounded:
            size = round(size * lot, q_dec)
        notional = size * price
        if size < min_qty or notional < min_cost or size == 0.0:
            skipped += 1
            continue
        fee = notional * fee_rate
        cash -= (notional if buy else -notional) + fee
        units += delta
        position = round(units * lot, q_dec) if rounded else units
        slip = size * (price - ref if price > ref else ref - price)
        rows += (1.0 if buy else -1.0, size, price, ref, notional, fee, slip, position, cash)
        at.append(j)
    shaped = np.array(rows, dtype=float).reshape(len(at), len(ROW_FIELDS))
    return SleeveFills(np.asarray(at, dtype=np.int64), shaped, skipped)


def _unrounded_fills(
    changes: np.ndarray,
    opens: np.ndarray,
    exec_weight: np.ndarray,
    impact: np.ndarray,
    cash0: float,
    fee_rate: float,
) -> SleeveFills:
    """``sleeve_fills`` without ticks, lots or minimums: the same arithmetic, fewer branches.

    Only what is sequential (the cash, hence each size) is computed in the loop; the rest of
    each row comes from numpy afterwards, by the same float operations. Every order fills (no
    minimum to miss), so none is skipped; an order that changes nothing (a zero size, as when
    equity is gone) is dropped after the loop.
    """
    refs = opens[changes]
    weights = exec_weight[changes].tolist()
    imps = impact[changes].tolist() if impact.ndim else [float(impact)] * changes.size
    kept = _walk(refs.tolist(), weights, imps, cash0, fee_rate)
    fills = np.array(kept, dtype=float).reshape(changes.size, 3)
    done = fills[:, 0] != 0.0
    if not done.all():
        fills, changes, refs = fills[done], changes[done], refs[done]
    delta, price = fills[:, 0], fills[:, 1]
    rows = np.empty((changes.size, len(ROW_FIELDS)))
    size = np.abs(delta, out=rows[:, 1])
    rows[:, 0] = np.sign(delta)
    rows[:, 2] = price
    rows[:, 3] = refs
    notional = np.multiply(size, price, out=rows[:, 4])
    np.multiply(notional, fee_rate, out=rows[:, 5])
    np.multiply(size, np.abs(price - refs), out=rows[:, 6])
    np.cumsum(delta, out=rows[:, 7])
    rows[:, 8] = fills[:, 2]
    return SleeveFills(changes.astype(np.int64, copy=False), rows, 0)


def _walk(
    refs: list[float], weights: list[float], imps: list[float], cash: float, fee_rate: float
) -> list[float]:
    """Delta, price and cash after each order (a zero delta: nothing traded), per-bar impact."""
    units = 0.0
    kept: list[float] = []
    grow = 1.0 + fee_rate
    for ref, w, imp in zip(refs, weights, imps, strict=True):
        equity = cash + units * ref
        budget = (w if w > 0 else -w) * (equity if equity > 0.0 else 0.0)
        target = budget / (ref * (1.0 + imp) * grow)
        delta = (target if w > 0 else -target) - units
        if delta > 0:
            price = ref * (1.0 + imp)
            notional = delta * price
            cash -= notional + notional * fee_rate
        else:  # a zero delta changes nothing: its notional is zero
            price = ref * (1.0 - imp)
            notional = -delta * price
            cash -= notional * fee_rate - notional
        units += delta
        kept += (delta, price, cash)
    return kept


def sleeve_equity(fills: SleeveFills, closes: np.ndarray, cash0: float) -> np.ndarray:
    """The sleeve's equity at each bar's close: its cash and position after the last fill."""
    if not fills.at.size:
        return np.full(closes.size, cash0)
    first = int(fills.at[0])
    equity = np.empty(closes.size)
    equity[:first] = cash0
    # Each fill's cash and position hold until the next fill (or the end); written in place.
    held = np.diff(np.append(fills.at, closes.size))
    rest = equity[first:]
    np.multiply(np.repeat(fills.rows[:, 7], held), closes[first:], out=rest)
    rest += np.repeat(fills.rows[:, 8], held)
    return equity


__all__ = ["ROW_FIELDS", "Rules", "SleeveFills", "sleeve_equity", "sleeve_fills"]

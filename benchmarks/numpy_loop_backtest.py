"""The plain numpy loop the backtest benchmark measures ours against: the least code that does
the job.

Long/flat, all in, filled at the next bar's open with a fee on each fill's notional; no
spread, slippage, ticks, lots or minimums. numpy finds the bars where the target changes and
marks equity at every close; one Python loop walks the orders, since each one's size depends
on the cash the previous left. What a competent user would write for this one strategy; it
knows nothing else, which is what makes it the floor to compare a general engine with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LoopResult:
    """Entry and exit bar indices (fills at those bars' opens) and equity at each close."""

    entries: np.ndarray
    exits: np.ndarray
    equity: np.ndarray


def numpy_loop_backtest(
    opens: np.ndarray, closes: np.ndarray, target: np.ndarray, fee: float, cash: float
) -> LoopResult:
    """Backtest a 0/1 ``target`` decided at each close, filled at the next open."""
    held = np.concatenate(([0.0], (target > 0).astype(float)[:-1]))
    changes = np.flatnonzero(np.diff(held, prepend=0.0))
    units = np.zeros(changes.size)
    cash_after = np.zeros(changes.size)
    start, qty = cash, 0.0
    for k, j in enumerate(changes.tolist()):
        price = float(opens[j])
        if held[j] > 0:  # buy with everything, the fee included
            qty = cash / (price * (1.0 + fee))
            cash -= qty * price * (1.0 + fee)
        else:
            cash += qty * price * (1.0 - fee)
            qty = 0.0
        units[k], cash_after[k] = qty, cash
    equity = np.full(closes.size, start)
    if changes.size:
        span = np.diff(np.append(changes, closes.size))
        first = int(changes[0])
        equity[first:] = np.repeat(cash_after, span) + np.repeat(units, span) * closes[first:]
    return LoopResult(changes[held[changes] > 0], changes[held[changes] == 0], equity)

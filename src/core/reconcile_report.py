"""What one reconciliation pass of the order manager found and did (its report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from src.core.execution import OrderUpdate

if TYPE_CHECKING:  # the runtime fills these in; the order manager never imports them
    from src.core.futures_account import FuturesReconcile
    from src.core.portfolio import BalanceDifference

__all__ = ["ReconcileReport"]


@dataclass
class ReconcileReport:
    """What one reconciliation pass found and did."""

    resolved: list[str] = field(default_factory=list)
    still_unknown: list[str] = field(default_factory=list)
    new_fills: int = 0
    foreign_fills: int = 0
    orphans: list[OrderUpdate] = field(default_factory=list)
    canceled_orphans: int = 0
    #: Balances that differ from what the fills (and funding) explain (set by the runtime).
    balance_differences: list[BalanceDifference] = field(default_factory=list)
    #: Futures: the venue's positions and margin, the differences, new funding payments.
    futures: FuturesReconcile | None = None

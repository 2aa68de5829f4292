"""What one reconciliation pass of the order manager found and did (its report)."""

from __future__ import annotations

from dataclasses import dataclass, field

from src.core.execution import OrderUpdate

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

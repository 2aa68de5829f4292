"""What the person starting a session sees and answers: the mode's banner, the live question."""

from __future__ import annotations

import sys
from typing import TextIO

from src.core.risk import RiskLimits

BANNERS = {
    "paper": "PAPER TRADING - local paper exchange replaying recorded Kraken data - no real money",
    "mirror": "PAPER TRADING - local paper exchange on Kraken's LIVE public prices - no real money",
    "live": "LIVE TRADING - REAL ORDERS ON KRAKEN WITH REAL MONEY",
}


def banner(mode: str, out: TextIO | None = None) -> None:
    """Print the mode's banner (PAPER, MIRROR or LIVE) framed in ``#`` to ``out`` or stdout."""
    text = BANNERS[mode]
    bar = "#" * (len(text) + 8)
    print(f"\n{bar}\n### {text} ###\n{bar}\n", file=out or sys.stdout, flush=True)


def confirm_live(limits: RiskLimits, assume_yes: bool) -> bool:
    """Show the risk limits and ask the user to type a confirmation before live trading.

    Returns:
        True if the user confirmed, or ``assume_yes`` is set.
    """
    print("Risk limits in force:")
    for line in limits.describe():
        print(f"  {line}")
    if assume_yes:
        print("--yes given: not asking for confirmation.")
        return True
    answer = input("Type LIVE (in capitals) to send real orders, anything else to stop: ")
    return answer.strip() == "LIVE"

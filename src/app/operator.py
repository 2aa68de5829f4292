"""What the person starting a session sees and answers: the mode's banner, the live question."""

from __future__ import annotations

import sys
from typing import Protocol, TextIO

from src.app.limit_words import describe_limits
from src.brokers.kraken.constants import DEFAULT_REST_URL
from src.core.risk import RiskLimits

BANNERS = {
    "paper": "PAPER TRADING - local paper exchange replaying recorded Kraken data - no real money",
    "mirror": "PAPER TRADING - local paper exchange on Kraken's LIVE public prices - no real money",
    "live": "LIVE TRADING - REAL ORDERS ON KRAKEN WITH REAL MONEY",
}


class LimitLines(Protocol):
    """Limits that can say themselves in words (spot ``RiskLimits``, ``FuturesRiskLimits``)."""

    def describe(self) -> list[str]:
        """One line per limit."""
        ...


def print_framed(text: str, out: TextIO | None = None) -> None:
    """Print ``text`` framed in ``#`` to ``out`` or stdout: the look of every mode banner."""
    bar = "#" * (len(text) + 8)
    print(f"\n{bar}\n### {text} ###\n{bar}\n", file=out or sys.stdout, flush=True)


def banner(mode: str, out: TextIO | None = None) -> None:
    """Print the mode's banner (PAPER, MIRROR or LIVE) framed in ``#`` to ``out`` or stdout."""
    print_framed(BANNERS[mode], out)


def live_venue_line(api_url: str, tier: str) -> str:
    """Where a live session's orders go, in words, shown before the live confirmation.

    The LIVE banner says "real money on Kraken"; a ``KRAKEN_API_URL`` pointing elsewhere (a
    standalone paper exchange, a proxy) is said plainly, so the person confirms what is true.
    """
    if api_url.rstrip("/") == DEFAULT_REST_URL:
        return f"Kraken at {DEFAULT_REST_URL}, {tier} tier rate limits (KRAKEN_TIER)"
    return (
        f"NOT Kraken's host: KRAKEN_API_URL is {api_url}; orders go there "
        f"(a paper exchange or a proxy), {tier} tier rate limits (KRAKEN_TIER)"
    )


def confirm_live(
    limits: LimitLines, assume_yes: bool, *, heading: str = "Risk limits in force:"
) -> bool:
    """Show the risk limits and ask the user to type a confirmation before live trading.

    Returns:
        True if the user confirmed, or ``assume_yes`` is set.
    """
    print(heading)
    # Spot limits in words (as ``ktrade live`` shows them); other limit sets list their keys.
    lines = describe_limits(limits) if isinstance(limits, RiskLimits) else limits.describe()
    for line in lines:
        print(f"  {line}")
    if assume_yes:
        print("--yes given: not asking for confirmation.")
        return True
    answer = input("Type LIVE (in capitals) to send real orders, anything else to stop: ")
    return answer.strip() == "LIVE"

"""The start-of-session banner: mode, endpoint, tier, pairs, capital and risk limits in words."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from src.app.limit_words import describe_limits, money
from src.core.risk import RiskLimits

__all__ = ["MODE_WORDS", "banner_lines", "describe_limits"]

MODE_WORDS = {
    "paper": "PAPER: the local paper exchange replaying recorded Kraken candles (no real money)",
    "mirror": "PAPER: the local paper exchange on Kraken's live public prices (no real money)",
    "live": "LIVE: real orders on Kraken with real money",
}


def banner_lines(
    *,
    mode: str,
    endpoint: str,
    tier: str,
    pairs: Sequence[str],
    capital_per_pair: Decimal,
    strategy: str,
    limits: RiskLimits,
    log_path: str,
) -> list[str]:
    """Every line of the banner after the example's framed PAPER/LIVE title."""
    quote = pairs[0].split("/")[1] if pairs and "/" in pairs[0] else "USD"
    total = capital_per_pair * len(pairs)
    risk = describe_limits(limits, quote)
    lines = [
        f"mode       {MODE_WORDS[mode]}",
        f"endpoint   {endpoint}",
        f"tier       {tier} (Kraken's rate limits for that verification tier)",
        f"pairs      {', '.join(pairs)}",
        f"capital    {money(capital_per_pair, quote)} per pair, {money(total, quote)} in all",
        f"strategy   {strategy}",
        f"risk       {risk[0]}",
    ]
    lines += [f"           {line}" for line in risk[1:]]
    lines.append(f"log        {log_path}")
    return lines

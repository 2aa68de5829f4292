"""The start-of-session banner: mode, endpoint, tier, pairs, capital and risk limits in words."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from src.core.risk import RiskLimits

MODE_WORDS = {
    "paper": "PAPER: the local paper exchange replaying recorded Kraken candles (no real money)",
    "mirror": "PAPER: the local paper exchange on Kraken's live public prices (no real money)",
    "live": "LIVE: real orders on Kraken with real money",
}


def _money(value: Decimal, quote: str) -> str:
    return f"{value.normalize():,f} {quote}"


def describe_limits(limits: RiskLimits, quote: str = "USD") -> list[str]:
    """The risk limits as sentences a person can check at a glance."""
    lines = [
        f"orders only for {', '.join(sorted(limits.allowed_pairs))}",
        f"one order at most {_money(limits.max_order_notional, quote)}; a position in one pair "
        f"at most {_money(limits.max_position_notional, quote)}; all positions together at most "
        f"{_money(limits.max_gross_exposure, quote)}",
        "margin, shorting and buying beyond free cash allowed"
        if limits.allow_leverage
        else "no margin, no shorting, no buying beyond free cash",
        f"order price within {limits.price_band_bps.normalize():f} bps "
        f"({limits.price_band_bps / 100:.2f} %) of the mid; at most "
        f"{limits.max_orders_per_minute} orders a minute; no order on market data older than "
        f"{limits.max_data_age_seconds:g} s",
    ]
    stops = []
    if limits.daily_loss_limit > 0:
        stops.append(f"after losing {_money(limits.daily_loss_limit, quote)} in a UTC day")
    if limits.max_drawdown_pct > 0:
        stops.append(f"after falling {limits.max_drawdown_pct.normalize():f} % from its peak")
    if stops:
        flatten = " and sells its positions" if limits.flatten_on_kill else ""
        lines.append(f"the kill switch stops all trading{flatten} " + " or ".join(stops))
    else:
        lines.append("NO loss limit: the kill switch trips only by hand")
    if limits.kill_file:
        lines.append(f"to stop at once: touch {limits.kill_file} (or kill -USR1 the process)")
    return lines


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
        f"capital    {_money(capital_per_pair, quote)} per pair, {_money(total, quote)} in all",
        f"strategy   {strategy}",
        f"risk       {risk[0]}",
    ]
    lines += [f"           {line}" for line in risk[1:]]
    lines.append(f"log        {log_path}")
    return lines

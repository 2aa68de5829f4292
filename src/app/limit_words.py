"""Spot risk limits in sentences a person can check at a glance (banners, live confirmation)."""

from __future__ import annotations

from decimal import Decimal

from src.core.risk import RiskLimits


def money(value: Decimal, quote: str) -> str:
    """``1,000 USD``: grouped, no trailing zeros."""
    return f"{value.normalize():,f} {quote}"


def describe_limits(limits: RiskLimits, quote: str = "USD") -> list[str]:
    """The risk limits as sentences a person can check at a glance."""
    lines = [
        f"orders only for {', '.join(sorted(limits.allowed_pairs))}",
        f"one order at most {money(limits.max_order_notional, quote)}; a position in one pair "
        f"at most {money(limits.max_position_notional, quote)}; all positions together at most "
        f"{money(limits.max_gross_exposure, quote)}",
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
        stops.append(f"after losing {money(limits.daily_loss_limit, quote)} in a UTC day")
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

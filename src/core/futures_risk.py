"""Pre-trade risk limits for futures: leverage, distance to liquidation, notional, funding cost.

Venue-neutral: the check is handed the contract, the position, the mark and the margin equity
and returns a refusal reason (naming the limit) or None. An order that only reduces a
position is always allowed: refusing it would keep the risk the limits are there to cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from src.core.derivatives import DerivativeInstrument
from src.core.execution import Side

__all__ = ["FuturesExposure", "FuturesRiskLimits", "check_futures_order"]

ZERO = Decimal(0)
DAY = timedelta(days=1)


class FuturesRiskLimits(BaseModel):
    """Futures limits; the defaults are deliberately small and safe.

    Attributes:
        allowed_symbols: contracts that may be traded.
        max_leverage: margin group's position value over its margin equity, after the order.
        min_liquidation_distance: the liquidation price must stay at least this fraction of
            the mark away (0.15: a 15 % move).
        max_notional_per_contract: largest position per contract, quote currency (USD).
        funding_cost_budget: most funding a position may be expected to pay per day at the
            current rate, counting what it already paid today; quote currency (USD), an
            inverse contract's base-currency funding valued at the mark.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed_symbols: frozenset[str] = Field(default=frozenset({"PF_XBTUSD", "PF_ETHUSD"}))
    max_leverage: Decimal = Decimal(3)
    min_liquidation_distance: Decimal = Decimal("0.15")
    max_notional_per_contract: Decimal = Decimal(5000)
    funding_cost_budget: Decimal = Decimal(25)

    @field_validator(
        "max_leverage",
        "min_liquidation_distance",
        "max_notional_per_contract",
        "funding_cost_budget",
    )
    @classmethod
    def _non_negative(cls, value: Decimal, info: Any) -> Decimal:
        if value < 0:
            raise ValueError(f"{info.field_name}: must not be negative, got {value}")
        return value

    def describe(self) -> list[str]:
        """One line per limit (shown before live trading)."""
        return [f"{name} = {value}" for name, value in self.model_dump().items()]


@dataclass(frozen=True)
class FuturesExposure:
    """What the check needs to know about one contract's position and its margin group.

    Attributes:
        instrument: the contract.
        position: signed contracts held now.
        entry: average entry of ``position`` (None when flat).
        mark: the mark price.
        equity: margin equity of the group (settlement currency).
        group_value: value of the group's other positions at their marks (settlement).
        funding_rate: absolute funding per contract per period (settlement), if perpetual.
        funding_paid_today: funding this position already paid today (positive = paid).
    """

    instrument: DerivativeInstrument
    position: Decimal
    entry: Decimal | None
    mark: Decimal
    equity: Decimal
    group_value: Decimal = ZERO
    funding_rate: Decimal | None = None
    funding_paid_today: Decimal = ZERO


def _reduces(position: Decimal, after: Decimal) -> bool:
    return abs(after) <= abs(position) and (after == 0 or (after > 0) == (position > 0))


def _entry_after(exposure: FuturesExposure, after: Decimal) -> Decimal:
    # The added contracts are assumed to fill at the mark.
    position, entry = exposure.position, exposure.entry or exposure.mark
    if position == 0 or (after > 0) != (position > 0):
        return exposure.mark
    added = abs(after) - abs(position)
    return (abs(position) * entry + added * exposure.mark) / abs(after)


def check_futures_order(
    limits: FuturesRiskLimits, exposure: FuturesExposure, side: Side, quantity: Decimal
) -> str | None:
    """The reason to refuse an order of ``quantity`` contracts on ``side``, or None."""
    instrument = exposure.instrument
    if instrument.symbol not in limits.allowed_symbols:
        return f"{instrument.symbol} is not in allowed_symbols"
    after = exposure.position + side.sign * quantity
    if _reduces(exposure.position, after):
        return None
    mark = exposure.mark
    notional = instrument.quote_notional(after, mark)
    if notional > limits.max_notional_per_contract:
        return (
            f"{instrument.symbol}: position {notional} {instrument.quote} would exceed "
            f"max_notional_per_contract {limits.max_notional_per_contract}"
        )
    if exposure.equity <= 0:
        return f"{instrument.symbol}: no margin equity"
    value = instrument.settlement_value(after, mark) + exposure.group_value
    leverage = value / exposure.equity
    if leverage > limits.max_leverage:
        return f"leverage {leverage:.2f}x would exceed max_leverage {limits.max_leverage}x"
    reason = _liquidation_reason(limits, exposure, after)
    return reason or _funding_reason(limits, exposure, after)


def _liquidation_reason(
    limits: FuturesRiskLimits, exposure: FuturesExposure, after: Decimal
) -> str | None:
    instrument, mark = exposure.instrument, exposure.mark
    if not instrument.margin_tiers:
        return None
    entry = _entry_after(exposure, after)
    # Collateral behind the position apart from its own open PnL (the new contracts, bought
    # at the mark, add none).
    backing = exposure.equity - instrument.pnl(after, entry, mark)
    rate = instrument.tier(after, mark).maintenance_rate
    price = instrument.liquidation_price(after, entry, backing, rate)
    if price is None:
        return None
    distance = abs(mark - price) / mark
    if distance < limits.min_liquidation_distance:
        return (
            f"liquidation at {price:.2f} would be only {distance:.2%} from the mark "
            f"(min_liquidation_distance {limits.min_liquidation_distance:.0%})"
        )
    return None


def _funding_reason(
    limits: FuturesRiskLimits, exposure: FuturesExposure, after: Decimal
) -> str | None:
    instrument = exposure.instrument
    if exposure.funding_rate is None or instrument.funding_interval is None:
        return None
    periods = Decimal(DAY / instrument.funding_interval)
    per_period = -instrument.funding_payment(after, exposure.funding_rate)
    expected = per_period * periods + exposure.funding_paid_today
    cost = instrument.to_quote(expected, exposure.mark)
    if cost > limits.funding_cost_budget:
        shown = f"{cost:.4f} {instrument.quote}"
        if instrument.settlement_currency != instrument.quote:
            shown += f" ({expected:.8f} {instrument.settlement_currency})"
        return (
            f"expected funding {shown} a day would exceed funding_cost_budget "
            f"{limits.funding_cost_budget} {instrument.quote}"
        )
    return None

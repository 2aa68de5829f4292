"""Tradable instruments and the rounding rules every order obeys before it is sent.

Rounding never makes an order more aggressive or larger than asked: a buy limit is rounded
down, a sell limit up, and a quantity always down to the lot step.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator

from src.core.decimals import to_decimal
from src.core.errors import OrderMinimumError


class InstrumentStatus(StrEnum):
    """Trading status of an instrument."""

    ONLINE = "online"
    CANCEL_ONLY = "cancel_only"
    POST_ONLY = "post_only"
    LIMIT_ONLY = "limit_only"
    REDUCE_ONLY = "reduce_only"
    MAINTENANCE = "maintenance"
    DELISTED = "delisted"
    UNKNOWN = "unknown"


def _quantize_to_step(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    units = (value / step).to_integral_value(rounding=rounding)
    return (units * step).quantize(step)


class Instrument(BaseModel):
    """One tradable pair: "BTC/USD" with base "BTC", quote "USD", ticks, lots and minimums."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    base: str
    quote: str
    price_tick: Decimal
    lot_step: Decimal
    min_quantity: Decimal = Decimal(0)
    min_cost: Decimal = Decimal(0)
    status: InstrumentStatus = InstrumentStatus.ONLINE
    venue_symbol: str | None = None

    @field_validator("price_tick", "lot_step", "min_quantity", "min_cost", mode="before")
    @classmethod
    def _dec(cls, value: object, info: object) -> Decimal:
        name = getattr(info, "field_name", "value")
        result = to_decimal(value, field=name)
        if result < 0 or (name in ("price_tick", "lot_step") and result == 0):
            raise ValueError(f"{name}: must be positive, got {result}")
        return result

    @property
    def price_decimals(self) -> int:
        """Return the number of decimal places in the price tick (0.1 -> 1, 5 -> 0)."""
        return max(0, -int(self.price_tick.normalize().as_tuple().exponent))

    @property
    def quantity_decimals(self) -> int:
        """Return the number of decimal places in the lot step (0.00000001 -> 8)."""
        return max(0, -int(self.lot_step.normalize().as_tuple().exponent))

    def round_price(self, price: Decimal, side: str) -> Decimal:
        """Round a limit price to the tick, never in the aggressive direction.

        A buy is rounded down and a sell up, so the order never pays more or sells for less
        than the caller asked.
        """
        rounding = ROUND_FLOOR if str(side) == "buy" else ROUND_CEILING
        return _quantize_to_step(to_decimal(price), self.price_tick, rounding)

    def round_quantity(self, quantity: Decimal) -> Decimal:
        """Round a quantity down to the lot step (never up)."""
        return _quantize_to_step(to_decimal(quantity), self.lot_step, ROUND_FLOOR)

    def check_minimums(self, quantity: Decimal, price: Decimal | None) -> None:
        """Raise OrderMinimumError naming the minimum when the order is too small.

        ``price`` is the limit or reference price used for the cost check; None skips it.
        """
        if quantity < self.min_quantity:
            raise OrderMinimumError(
                f"{self.symbol}: quantity {quantity} is below the minimum order size "
                f"{self.min_quantity} {self.base}"
            )
        if price is not None and self.min_cost > 0 and quantity * price < self.min_cost:
            raise OrderMinimumError(
                f"{self.symbol}: order cost {quantity * price} is below the minimum cost "
                f"{self.min_cost} {self.quote}"
            )

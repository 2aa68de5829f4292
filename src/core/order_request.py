"""The order request: ``Order`` and the enums it is made of (side, type, time in force).

Split from ``src.core.execution`` (which re-exports every name here) to keep both short.
Prices and quantities are ``Decimal`` (floats accepted and converted as written); times are
timezone-aware UTC.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from src.core.decimals import to_decimal


class Side(StrEnum):
    """Order side."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for buys, -1 for sells."""
        return 1 if self is Side.BUY else -1


class OrderType(StrEnum):
    """Order types, valued as Kraken spells them (other brokers translate)."""

    MARKET = "market"
    LIMIT = "limit"
    STOP_LOSS = "stop-loss"
    TAKE_PROFIT = "take-profit"
    STOP_LOSS_LIMIT = "stop-loss-limit"
    TAKE_PROFIT_LIMIT = "take-profit-limit"
    TRAILING_STOP = "trailing-stop"

    @property
    def needs_limit_price(self) -> bool:
        """True for the types that carry a limit price."""
        return self in (OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)

    @property
    def needs_stop_price(self) -> bool:
        """True for the types that carry a stop (trigger) price."""
        return self in (
            OrderType.STOP_LOSS,
            OrderType.TAKE_PROFIT,
            OrderType.STOP_LOSS_LIMIT,
            OrderType.TAKE_PROFIT_LIMIT,
        )


class TimeInForce(StrEnum):
    """How long an order stays working."""

    GTC = "GTC"
    IOC = "IOC"
    GTD = "GTD"


class SelfTradePrevention(StrEnum):
    """What happens when an order would trade with one of the same account (Kraken's names)."""

    CANCEL_NEWEST = "cancel_newest"
    CANCEL_OLDEST = "cancel_oldest"
    CANCEL_BOTH = "cancel_both"


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def ensure_utc(value: datetime, field: str = "timestamp") -> datetime:
    """Return ``value`` in UTC; a naive datetime is refused rather than guessed."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field}: naive datetime {value!r}; pass a timezone-aware UTC datetime")
    return value.astimezone(UTC)


def _dec(value: Any, field: str) -> Decimal:
    return to_decimal(value, field=field)


class Order(BaseModel):
    """An order request, broker-neutral. Symbol in "BASE/QUOTE" form for crypto ("BTC/USD").

    Exactly one of ``quantity`` (base units) and ``notional`` (quote currency) is given.
    """

    model_config = ConfigDict(validate_assignment=True, extra="forbid")

    symbol: str
    side: Side
    quantity: Decimal | None = None
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail_offset: Decimal | None = None
    trail_percent: bool = False
    notional: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_at: datetime | None = None
    post_only: bool = False
    reduce_only: bool = False
    leverage: Decimal | None = None
    client_order_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    # A conditional close attached to this entry (Kraken's ``close[...]`` / WS ``conditional``):
    # each fill places an opposite order of the fill's size, e.g. a take-profit limit or a stop.
    close_order_type: OrderType | None = None
    close_limit_price: Decimal | None = None
    close_stop_price: Decimal | None = None
    # Kraken order options: an iceberg's shown size (a limit order), self-trade prevention,
    # a scheduled start and a deadline past which the venue must not act on the request.
    display_quantity: Decimal | None = None
    self_trade_prevention: SelfTradePrevention | None = None
    start_at: datetime | None = None
    deadline: datetime | None = None

    @field_validator("symbol")
    @classmethod
    def _symbol(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("symbol: must not be empty")
        return value

    @field_validator(
        "quantity",
        "limit_price",
        "stop_price",
        "trail_offset",
        "notional",
        "leverage",
        "close_limit_price",
        "close_stop_price",
        "display_quantity",
        mode="before",
    )
    @classmethod
    def _decimal(cls, value: Any, info: Any) -> Decimal | None:
        if value is None:
            return None
        result = _dec(value, info.field_name)
        if result <= 0:
            raise ValueError(f"{info.field_name}: must be greater than 0, got {result}")
        return result

    @field_validator("expire_at", "start_at", "deadline")
    @classmethod
    def _times(cls, value: datetime | None, info: Any) -> datetime | None:
        return None if value is None else ensure_utc(value, info.field_name)

    @field_validator("client_order_id")
    @classmethod
    def _cloid(cls, value: str) -> str:
        if not value or len(value) > 64:
            raise ValueError("client_order_id: must be 1 to 64 characters")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.quantity is None) == (self.notional is None):
            raise ValueError("quantity: give exactly one of quantity (base units) or notional")
        if self.order_type.needs_limit_price and self.limit_price is None:
            raise ValueError(f"limit_price: required for a {self.order_type.value} order")
        if self.order_type is OrderType.MARKET and self.limit_price is not None:
            raise ValueError("limit_price: a market order takes no limit price")
        if self.order_type.needs_stop_price and self.stop_price is None:
            raise ValueError(f"stop_price: required for a {self.order_type.value} order")
        if self.order_type is OrderType.TRAILING_STOP and self.trail_offset is None:
            raise ValueError("trail_offset: required for a trailing-stop order")
        if self.time_in_force is TimeInForce.GTD and self.expire_at is None:
            raise ValueError("expire_at: required when time_in_force is GTD")
        if self.post_only and self.order_type is not OrderType.LIMIT:
            raise ValueError("post_only: only limit orders can be post-only")
        self._check_close()
        self._check_options()
        return self

    def _check_options(self) -> None:
        """An iceberg is a limit order showing 1/15 to all of its size; IOC cannot wait."""
        shown = self.display_quantity
        if shown is not None:
            if self.order_type is not OrderType.LIMIT or self.quantity is None:
                raise ValueError("display_quantity: only a limit order with a quantity")
            if not self.quantity / 15 <= shown <= self.quantity:
                raise ValueError("display_quantity: from 1/15 of the quantity to all of it")
        if self.start_at is not None and self.time_in_force is TimeInForce.IOC:
            raise ValueError("start_at: an IOC order cannot be scheduled")

    def _check_close(self) -> None:
        """The close terms name a close type and exactly the prices that type takes."""
        close = self.close_order_type
        if close is None:
            if self.close_limit_price is not None or self.close_stop_price is not None:
                raise ValueError("close_order_type: required with a close price")
            return
        if close not in CLOSE_ORDER_TYPES:
            names = ", ".join(t.value for t in CLOSE_ORDER_TYPES)
            raise ValueError(f"close_order_type: one of {names}, got {close.value}")
        if close.needs_limit_price != (self.close_limit_price is not None):
            need = "required" if close.needs_limit_price else "not taken"
            raise ValueError(f"close_limit_price: {need} for a {close.value} close")
        if close.needs_stop_price != (self.close_stop_price is not None):
            need = "required" if close.needs_stop_price else "not taken"
            raise ValueError(f"close_stop_price: {need} for a {close.value} close")


#: Order types a conditional close can have (Kraken's ``close[ordertype]``).
CLOSE_ORDER_TYPES = (
    OrderType.LIMIT,
    OrderType.STOP_LOSS,
    OrderType.TAKE_PROFIT,
    OrderType.STOP_LOSS_LIMIT,
    OrderType.TAKE_PROFIT_LIMIT,
)

"""Orders, fills, balances and the ExecutionEngine protocol that every broker implements.

The order request (``Order``, ``Side``, ``OrderType``, ``TimeInForce``) lives in
``src.core.order_request`` and is re-exported here, so ``from src.core.execution import Order``
keeps working. Prices and quantities are ``Decimal`` (floats accepted and converted as
written); timestamps are timezone-aware UTC. Results that the user's guide indexes like a venue
dict (``order.get('descr', {})``) keep the venue payload in ``raw`` and answer ``get``/``[]``
from it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from src.core.instruments import Instrument
from src.core.order_request import (
    CLOSE_ORDER_TYPES,
    Order,
    OrderType,
    SelfTradePrevention,
    Side,
    TimeInForce,
    ensure_utc,
    utc_now,
)


class OrderStatus(StrEnum):
    """Lifecycle state of an order."""

    NEW = "new"  # created locally, not yet sent
    PENDING = "pending"  # sent / accepted but not yet live on the book
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # outcome of a request not known; resolve by asking the venue

    @property
    def is_final(self) -> bool:
        """True once the order can change no more (filled, canceled, rejected or expired)."""
        return self in _FINAL_STATUSES


_FINAL_STATUSES = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)


class Liquidity(StrEnum):
    """Whether a fill added (maker) or took (taker) liquidity."""

    MAKER = "maker"
    TAKER = "taker"
    UNKNOWN = "unknown"


class _RawMapping:
    """Read-only dict access to the venue payload kept in ``raw``."""

    raw: Mapping[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def __contains__(self, key: object) -> bool:
        return key in self.raw

    def keys(self) -> Any:
        return self.raw.keys()


class OrderAck(BaseModel):
    """The venue's answer to one submitted order."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    client_order_id: str
    order_id: str | None
    symbol: str
    status: OrderStatus
    message: str | None = None
    raw: Mapping[str, Any] = Field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        """True unless the venue rejected the order or its outcome is unknown."""
        return self.status not in (OrderStatus.REJECTED, OrderStatus.UNKNOWN)


class OrderUpdate(_RawMapping, BaseModel):
    """The state of one order as the venue reports it."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    client_order_id: str | None
    symbol: str
    side: Side
    order_type: OrderType
    status: OrderStatus
    quantity: Decimal
    filled_quantity: Decimal = Decimal(0)
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    average_price: Decimal | None = None
    fee: Decimal = Decimal(0)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = Field(default_factory=dict)

    @property
    def remaining_quantity(self) -> Decimal:
        """Quantity still to fill."""
        return self.quantity - self.filled_quantity


class Fill(BaseModel):
    """One execution (trade) of an order. ``fill_id`` is unique per venue."""

    model_config = ConfigDict(frozen=True)

    fill_id: str
    order_id: str
    client_order_id: str | None
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: Liquidity = Liquidity.UNKNOWN
    timestamp: datetime

    @property
    def notional(self) -> Decimal:
        """Quantity times price, in the quote currency."""
        return self.quantity * self.price


class Balance(BaseModel):
    """One asset's balance; ``available = total - hold``."""

    model_config = ConfigDict(frozen=True)

    asset: str
    total: Decimal
    hold: Decimal = Decimal(0)

    @property
    def available(self) -> Decimal:
        """Total less what open orders hold."""
        return self.total - self.hold


class AccountBalances(Mapping[str, Decimal]):
    """Mapping of normalized asset code ("BTC", "USD") to total balance.

    Venue codes given as ``aliases`` ("XXBT" -> "BTC") resolve too, so code written against the
    venue's names keeps working. ``details`` keeps total, hold and available per asset.
    """

    def __init__(
        self, balances: Sequence[Balance], aliases: Mapping[str, str] | None = None
    ) -> None:
        self.details: dict[str, Balance] = {b.asset: b for b in balances}
        self._aliases = dict(aliases or {})

    def _resolve(self, key: str) -> str:
        return key if key in self.details else self._aliases.get(key, key)

    def __getitem__(self, key: str) -> Decimal:
        return self.details[self._resolve(key)].total

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._resolve(key) in self.details

    def __iter__(self) -> Iterator[str]:
        return iter(self.details)

    def __len__(self) -> int:
        return len(self.details)

    def available(self, asset: str) -> Decimal:
        """Free balance of ``asset`` (zero when absent)."""
        balance = self.details.get(self._resolve(asset))
        return balance.available if balance else Decimal(0)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k!r}: {str(v.total)!r}" for k, v in self.details.items())
        return f"AccountBalances({{{inner}}})"


class Position(BaseModel):
    """Net holding of one instrument. Positive quantity is long."""

    model_config = ConfigDict(frozen=True)

    symbol: str
    quantity: Decimal
    average_price: Decimal | None = None
    unrealized_pnl: Decimal | None = None

    @property
    def side(self) -> Side:
        """BUY for a long (or flat) position, SELL for a short one."""
        return Side.BUY if self.quantity >= 0 else Side.SELL


@runtime_checkable
class ExecutionEngine(Protocol):
    """What a broker offers the trading runtime. Implemented by every adapter.

    ``submit_orders`` never re-sends an order whose outcome is unknown; it resolves it by client
    order id (``find_order``) and reports ``OrderStatus.UNKNOWN`` only when the venue cannot say.
    """

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def get_account(self) -> AccountBalances:
        """Balances per asset."""

    async def get_positions(self) -> list[Position]:
        """Open positions (venues without positions return an empty list)."""

    async def get_orders(self, status: str = "open") -> list[OrderUpdate]:
        """Orders by ``status``: ``open`` or ``closed``."""

    async def find_order(self, client_order_id: str) -> OrderUpdate | None:
        """The order with this client order id, or None if the venue has none."""

    async def get_fills(self, since: datetime | None = None) -> list[Fill]:
        """Own fills; only those at or after ``since`` if given."""

    async def get_instrument(self, symbol: str) -> Instrument:
        """Trading rules of ``symbol`` (increments, minimums)."""

    async def submit_orders(self, orders: Sequence[Order]) -> list[OrderAck]:
        """Submit ``orders``; one ack each, in order (see the class docstring on lost replies)."""

    async def cancel_order(self, order_id: str) -> Any:
        """Cancel one order by venue order id; returns the venue's reply."""

    async def cancel_all(self) -> int:
        """Cancel every open order; returns how many."""

    def stream_fills(self) -> AsyncIterator[Fill]:
        """Own fills as they happen."""


@runtime_checkable
class OrderUpdateStream(Protocol):
    """Optional engine capability: order state changes pushed as they happen.

    Kept out of ``ExecutionEngine`` so that venues without a push channel (``SimEngine``, a
    bare REST broker) stay complete engines; the runtime checks ``isinstance(engine,
    OrderUpdateStream)`` and relies on reconciliation alone when it is absent.
    """

    def stream_order_updates(self) -> AsyncIterator[OrderUpdate]:
        """Order state changes as the venue pushes them."""


__all__ = [
    "CLOSE_ORDER_TYPES",
    "AccountBalances",
    "Balance",
    "ExecutionEngine",
    "Fill",
    "Liquidity",
    "Order",
    "OrderAck",
    "OrderStatus",
    "OrderType",
    "OrderUpdate",
    "OrderUpdateStream",
    "Position",
    "SelfTradePrevention",
    "Side",
    "TimeInForce",
    "ensure_utc",
    "utc_now",
]

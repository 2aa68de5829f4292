"""The venue's records: orders, positions, fills, account-log entries and accounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

__all__ = ["Account", "LogEntry", "Position", "VenueFill", "VenueOrder"]

ZERO = Decimal(0)
TRIGGER_KINDS = frozenset({"stp", "take_profit", "trailing_stop"})


@dataclass
class VenueOrder:
    """One order as the venue holds it (Kraken's vocabulary)."""

    order_id: str
    cli_ord_id: str | None
    account: str
    symbol: str
    side: str  # buy | sell
    kind: str  # lmt post ioc mkt fok stp take_profit trailing_stop
    size: Decimal
    limit_price: Decimal | None
    stop_price: Decimal | None
    received: datetime
    priority: int
    trigger_signal: str = "last"
    reduce_only: bool = False
    filled: Decimal = ZERO
    updated: datetime | None = None
    status: str = "untouched"  # untouched partiallyFilled filled cancelled rejected
    trailing_deviation: Decimal | None = None
    trailing_unit: str | None = None
    trailing_extreme: Decimal | None = None
    triggered: bool = False
    market_on_trigger: bool = False
    reason: str | None = None
    closed_at: datetime | None = None

    @property
    def unfilled(self) -> Decimal:
        """Size still open."""
        return self.size - self.filled

    @property
    def is_trigger(self) -> bool:
        """True while a stop/take-profit/trailing order waits for its trigger."""
        return self.kind in TRIGGER_KINDS and not self.triggered

    @property
    def is_open(self) -> bool:
        """True while the order rests (on the book or as a trigger)."""
        return self.status in ("untouched", "partiallyFilled")

    @property
    def sign(self) -> int:
        """+1 buy, -1 sell."""
        return 1 if self.side == "buy" else -1


@dataclass
class Position:
    """A signed position in one contract with its average entry."""

    symbol: str
    size: Decimal = ZERO
    entry: Decimal = ZERO
    opened: datetime | None = None


@dataclass
class VenueFill:
    """One execution of one of an account's orders."""

    fill_id: str
    account: str
    order_id: str
    cli_ord_id: str | None
    symbol: str
    side: str
    size: Decimal
    price: Decimal
    time: datetime
    fill_type: str  # maker taker liquidation
    fee: Decimal
    fee_currency: str
    remaining: Decimal
    order_kind: str
    seq: int


@dataclass
class LogEntry:
    """One account-log row (trade, funding, fee, liquidation, settlement)."""

    id: int
    date: datetime
    asset: str
    info: str
    old_balance: Decimal
    new_balance: Decimal
    contract: str | None = None
    realized_pnl: Decimal | None = None
    fee: Decimal | None = None
    funding_rate: Decimal | None = None
    realized_funding: Decimal | None = None
    trade_price: Decimal | None = None
    mark_price: Decimal | None = None
    margin_account: str = "flex"


@dataclass
class Account:
    """A trader: flex collateral by currency, single-collateral wallets, positions, history.

    ``flex`` holds the multi-collateral account's currencies (USD, XBT...), which margin the
    linear contracts; ``wallets`` holds each inverse margin wallet's base balance
    (``{"XBT": ...}`` is ``fi_xbtusd``).
    """

    id: str
    flex: dict[str, Decimal] = field(default_factory=dict)
    wallets: dict[str, Decimal] = field(default_factory=dict)
    positions: dict[str, Position] = field(default_factory=dict)
    fills: list[VenueFill] = field(default_factory=list)
    log: list[LogEntry] = field(default_factory=list)
    leverage: dict[str, Decimal] = field(default_factory=dict)
    volume_usd: Decimal = ZERO
    fill_seq: int = 0
    dead_man_at: datetime | None = None
    equity_protection: Decimal = ZERO

    def position(self, symbol: str) -> Position:
        """The account's position in ``symbol`` (created flat on first use)."""
        if symbol not in self.positions:
            self.positions[symbol] = Position(symbol)
        return self.positions[symbol]

"""In-process event bus of the paper exchange: order, fill, balance and market events.

The WS v2 server (and tests) subscribe here; every event is a frozen dataclass with Decimal
numbers and float epoch-second timestamps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

log = logging.getLogger(__name__)

Level = tuple[Decimal, Decimal]


@dataclass(frozen=True)
class OrderSnapshot:
    """State of one order at the time of an event (enough for a WS v2 executions report)."""

    txid: str
    account_id: str
    cl_ord_id: str | None
    userref: int | None
    pair_key: str
    symbol: str  # WS v2 symbol, e.g. BTC/USD
    side: str  # buy | sell
    order_type: str  # Kraken REST ordertype
    status: str  # Kraken REST status: pending, open, closed, canceled, expired
    order_qty: Decimal
    cum_qty: Decimal
    cum_cost: Decimal
    fee: Decimal
    fee_asset: str
    avg_price: Decimal
    limit_price: Decimal | None
    trigger_price: Decimal | None
    triggered: bool
    time_in_force: str  # GTC | IOC | GTD
    post_only: bool
    fee_ccy_pref: str  # fciq | fcib
    opentm: float
    closetm: float | None
    expiretm: float | None
    reason: str | None


@dataclass(frozen=True)
class OwnTradeEvent:
    """A fill of one of the account's orders."""

    account_id: str
    trade_txid: str  # T... (REST trade id; WS exec_id)
    trade_id: int  # per-pair public sequence
    order_txid: str
    pair_key: str
    symbol: str
    side: str
    order_type: str
    price: Decimal
    qty: Decimal
    cost: Decimal
    fee: Decimal
    fee_asset: str
    liquidity: str  # m | t
    timestamp: float


@dataclass(frozen=True)
class OrderEvent:
    """An order state change. ``exec_type`` uses WS v2 values.

    exec_type is one of pending_new, new, trade, filled, canceled, expired, amended, restated
    (trigger fired / edit replaced). ``trade`` carries ``fill``.
    """

    exec_type: str
    order: OrderSnapshot
    timestamp: float
    fill: OwnTradeEvent | None = None
    reason: str | None = None


@dataclass(frozen=True)
class BalanceEvent:
    """A ledger entry that changed an account balance (WS v2 balances update)."""

    account_id: str
    ledger_id: str
    ref_id: str
    timestamp: float
    type: str  # trade
    subtype: str
    asset: str  # Kraken asset id (XXBT)
    amount: Decimal
    fee: Decimal
    balance: Decimal


@dataclass(frozen=True)
class PublicTradeEvent:
    """A trade printed on the public tape (market flow and user fills alike)."""

    pair_key: str
    symbol: str
    side: str  # taker side
    price: Decimal
    qty: Decimal
    ord_type: str  # limit | market
    trade_id: int
    timestamp: float


@dataclass(frozen=True)
class BookEvent:
    """The full book of a pair after a change (best first on both sides)."""

    pair_key: str
    symbol: str
    bids: list[Level]
    asks: list[Level]
    timestamp: float


@dataclass(frozen=True)
class TickerEvent:
    """Top of book and 24 h statistics of a pair."""

    pair_key: str
    symbol: str
    bid: Decimal
    bid_qty: Decimal
    ask: Decimal
    ask_qty: Decimal
    last: Decimal
    volume: Decimal
    vwap: Decimal
    low: Decimal
    high: Decimal
    change: Decimal
    change_pct: Decimal
    timestamp: float


@dataclass(frozen=True)
class CandleEvent:
    """A 1-minute candle update (the forming candle)."""

    pair_key: str
    symbol: str
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    vwap: Decimal
    volume: Decimal
    trades: int
    interval_begin: float
    interval: int
    timestamp: float


@dataclass(frozen=True)
class StatusEvent:
    """Engine status change (online, cancel_only, post_only, maintenance)."""

    system: str
    timestamp: float


Event = (
    OrderEvent
    | OwnTradeEvent
    | BalanceEvent
    | PublicTradeEvent
    | BookEvent
    | TickerEvent
    | CandleEvent
    | StatusEvent
)
Listener = Callable[[Event], None]


class EventBus:
    """Synchronous fan-out of events to listeners and asyncio queues."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._queues: list[asyncio.Queue[Event]] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` for every event; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def queue(self, maxsize: int = 10000) -> asyncio.Queue[Event]:
        """A queue receiving every event (oldest dropped when full); see ``close_queue``."""
        q: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self._queues.append(q)
        return q

    def close_queue(self, q: asyncio.Queue[Event]) -> None:
        """Stop feeding a queue obtained from ``queue``."""
        if q in self._queues:
            self._queues.remove(q)

    def publish(self, event: Event) -> None:
        """Deliver an event; a failing listener is logged, never propagated."""
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener bug must not break matching
                log.exception("event listener failed")
        for q in list(self._queues):
            if q.full():
                q.get_nowait()
            q.put_nowait(event)

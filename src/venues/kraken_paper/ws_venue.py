"""What the WS server reads from the paper exchange, gathered in one place.

The server needs the event bus, markets, accounts, the service layer, token checks and the
fault knobs; this view finds them on the exchange object so the server's other modules do
not depend on how the exchange is assembled.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from src.venues.kraken_paper.errors import INVALID_SESSION, KrakenError
from src.venues.kraken_paper.events import EventBus
from src.venues.kraken_paper.market import PairMarket
from src.venues.kraken_paper.orders import PaperOrder, PaperTrade
from src.venues.kraken_paper.ws_public_feed import pair_for_symbol

__all__ = ["WsVenue"]


class WsVenue:
    """Read/act access to one paper exchange for the WS server."""

    def __init__(self, exchange: Any) -> None:
        self.exchange = exchange

    @property
    def service(self) -> Any:
        """The transport-independent service layer (``ExchangeService``)."""
        return self.exchange.service

    @property
    def engine(self) -> Any:
        """The matching engine (accounts, orders, trades, markets)."""
        return self.service.engine

    @property
    def bus(self) -> EventBus:
        """The exchange's event bus."""
        bus: EventBus = self.engine.bus
        return bus

    def now(self) -> float:
        """Exchange time, epoch seconds (simulated in replay mode)."""
        return float(self.engine.now())

    def monotonic(self) -> float:
        """Real monotonic seconds (heartbeat pacing is wall-clock, as on Kraken)."""
        return time.monotonic()

    def system_status(self) -> str:
        """online, cancel_only, post_only or maintenance."""
        return str(getattr(self.service, "status", "online"))

    def market(self, symbol: str) -> PairMarket | None:
        """Market state of a WS v2 symbol."""
        spec = pair_for_symbol(symbol)
        if spec is None:
            return None
        market: PairMarket = self.engine.markets[spec.key]  # built on first use
        return market

    def persist(self) -> None:
        """Commit the exchange's changed state (its ``persist``), before an ack is sent."""
        persist = getattr(self.exchange, "persist", None)
        if persist is not None:
            persist()

    def account_for_token(self, token: Any) -> str:
        """The account a WS token belongs to; ``ESession:Invalid session`` otherwise."""
        if not isinstance(token, str) or not token:
            raise KrakenError(INVALID_SESSION)
        account_id: str = self.exchange.keys.validate_token(token, self.now())
        return account_id

    def open_orders(self, account_id: str) -> list[PaperOrder]:
        """The account's open orders, oldest first."""
        orders: list[PaperOrder] = self.engine.open_orders(account_id)
        return orders

    def recent_trades(self, account_id: str, count: int = 50) -> list[PaperTrade]:
        """The account's latest ``count`` fills, oldest first."""
        rows = [t for t in self.engine.trades.values() if t.account_id == account_id]
        rows.sort(key=lambda t: t.time)
        return rows[-count:]

    def balances(self, account_id: str) -> dict[str, Decimal]:
        """Total balance per Kraken asset id."""
        return dict(self.engine.accounts[account_id].balances)

    def _faults(self) -> Any:
        return getattr(self.exchange, "faults", None)

    def fault_silent(self, channel: str, connected_for: float) -> bool:
        """Fault knob: ``channel`` is muted (``"*"`` mutes every channel, heartbeats included)."""
        faults = self._faults()
        if faults is None:
            return False
        channels: frozenset[str] = getattr(faults, "ws_silent_channels", frozenset())
        if channel not in channels and "*" not in channels:
            return False
        return connected_for >= float(getattr(faults, "ws_silent_after_s", 0.0))

    def fault_drop(self, connected_for: float) -> bool:
        """Fault knob: drop this connection now (age limit or per-message dice)."""
        faults = self._faults()
        if faults is None:
            return False
        limit = getattr(faults, "ws_drop_after_s", None)
        rate = float(getattr(faults, "ws_drop_rate", 0.0))
        drop = (limit is not None and connected_for >= limit) or (
            rate > 0 and faults.rng.random() < rate
        )
        if drop:
            faults.ws_drops += 1
        return drop

    def fault_lost_reply(self) -> str | None:
        """Fault knob: lose this add_order's reply (``"drop"``: close the socket too)."""
        faults = self._faults()
        if faults is None or not faults.roll_lost_reply():
            return None
        return str(getattr(faults, "lost_reply_kind", "drop"))

"""Fixed-maturity contracts in the runtime: the venue's settlement at expiry, booked once.

At its expiry a dated contract stops trading and the venue closes every position in it at
the settlement price, charging a fee (Kraken: "holding a position until settlement will
result in a taker fee"). Kraken writes that close to the account log (``info: settlement``,
with ``trade_price``, ``fee`` and ``realized_pnl``), not to the fills, so the runtime never
sees it as one of its own fills. ``SettlementBook`` books it instead:

* once a held contract's expiry has passed, each reconcile asks the engine for the venue's
  settlements (``SettlementSource``) until the contract's is there; it is booked as a fill of
  the bot's whole position at the settlement price, with the venue's fee, so position,
  realised PnL, fees and expected balances move exactly as the venue's books did;
* the fill's id is ``settlement:<symbol>`` (a contract settles once) and the store writes it
  with the position and balances in one transaction, so a restart, or a reconcile that runs
  again, can never book it twice;
* the bot is assumed to be the only trader of the contract (as for the position reconcile):
  the quantity closed is the bot's own position; the venue's ``realized_pnl`` is compared
  with the bot's and a difference is logged;
* an expired contract is closed for new orders: ``closed_reason`` says why, the runtime plans
  no order there and the risk gate refuses one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol, runtime_checkable

import structlog

from src.core.derivatives import DerivativeInstrument
from src.core.execution import Fill, Side
from src.core.order_store import OrderStore
from src.core.portfolio import Portfolio

__all__ = [
    "ContractSettlement",
    "SettlementBook",
    "SettlementSource",
    "closed_reason",
    "settlement_fill_id",
]

log = structlog.get_logger(__name__)
ZERO = Decimal(0)
#: How far before the expiry the settlement lookup starts: a venue may stamp the row with
#: the end of its averaging window rather than the expiry itself.
LOOKBACK = timedelta(hours=1)


@dataclass(frozen=True)
class ContractSettlement:
    """The venue's close of a position at a contract's expiry.

    Attributes:
        symbol: the contract.
        timestamp: when the venue booked it.
        price: the settlement price.
        fee: the fee charged (settlement currency).
        currency: the settlement currency.
        realized_pnl: the PnL the venue realised, when it says.
        venue_id: the venue's id of the record, when it has one.
    """

    symbol: str
    timestamp: datetime
    price: Decimal
    fee: Decimal
    currency: str
    realized_pnl: Decimal | None = None
    venue_id: str | None = None


@runtime_checkable
class SettlementSource(Protocol):
    """An engine that reports the settlements of its fixed-maturity contracts."""

    async def get_settlements(self, since: datetime | None = None) -> list[ContractSettlement]:
        """Settlements booked since ``since``, oldest first."""
        ...


def settlement_fill_id(symbol: str) -> str:
    """The id under which a contract's settlement is stored as a fill."""
    return f"settlement:{symbol}"


def closed_reason(instrument: DerivativeInstrument, now: datetime) -> str | None:
    """Why no order may be sent on ``instrument`` at ``now`` (None while it trades)."""
    if instrument.expiry is None or now < instrument.expiry:
        return None
    return (
        f"{instrument.symbol} expired at {instrument.expiry.isoformat()}: it settles and "
        "trades no more"
    )


class SettlementBook:
    """Books the settlement of the runtime's dated contracts once each.

    Args:
        source: where the venue's settlements come from.
        portfolio: the runtime's book.
        store: the runtime's database (the settlement is stored as a fill).
        contracts: the runtime's contracts by symbol (perpetuals are ignored).
    """

    def __init__(
        self,
        source: SettlementSource,
        portfolio: Portfolio,
        store: OrderStore,
        contracts: Mapping[str, DerivativeInstrument],
    ) -> None:
        self.source, self.portfolio, self.store = source, portfolio, store
        self.contracts = {s: c for s, c in contracts.items() if c.expiry is not None}
        self.booked: dict[str, ContractSettlement] = {}
        self._warned: set[str] = set()

    def closed_symbols(self, now: datetime) -> set[str]:
        """The contracts past their expiry (no new orders); each is logged once."""
        closed = {s for s, c in self.contracts.items() if closed_reason(c, now) is not None}
        for symbol in sorted(closed - self._warned):
            self._warned.add(symbol)
            log.warning("futures.contract_expired", symbol=symbol,
                        reason=closed_reason(self.contracts[symbol], now))  # fmt: skip
        return closed

    def due(self, now: datetime) -> list[str]:
        """Expired contracts the bot still holds whose settlement is not booked yet."""
        return [
            s
            for s in sorted(self.closed_symbols(now))
            if self.portfolio.position(s).quantity != 0
            and not self.store.has_fill(settlement_fill_id(s))
        ]

    async def sync(self, now: datetime) -> int:
        """Book the settlements the venue has made of held, expired contracts; returns how many.

        A contract whose settlement the venue has not reported yet is asked for again at the
        next reconcile (the venue keeps a matured, unsettled position open meanwhile).
        """
        due = self.due(now)
        if not due:
            return 0
        since = min(_expiry(self.contracts[s]) for s in due) - LOOKBACK
        found = {s.symbol: s for s in await self.source.get_settlements(since) if s.symbol in due}
        booked = 0
        for symbol in due:
            settlement = found.get(symbol)
            if settlement is None:
                log.info("futures.settlement_pending", symbol=symbol)
                continue
            booked += self._book(settlement)
        return booked

    def _book(self, settlement: ContractSettlement) -> int:
        symbol = settlement.symbol
        quantity = self.portfolio.position(symbol).quantity
        fill = Fill(
            fill_id=settlement_fill_id(symbol),
            order_id=f"settlement:{settlement.venue_id}" if settlement.venue_id else "settlement",
            client_order_id=None, symbol=symbol, side=Side.SELL if quantity > 0 else Side.BUY,
            quantity=abs(quantity), price=settlement.price, fee=settlement.fee,
            fee_currency=settlement.currency, timestamp=settlement.timestamp,
        )  # fmt: skip
        before = self.portfolio.position(symbol).realized_pnl
        position, balances = self.portfolio.preview(fill)
        if not self.store.record_fill(fill, None, position, balances):
            return 0  # booked already (another reconcile got there first)
        self.portfolio.commit(position, balances)
        self.booked[symbol] = settlement
        realized = position.realized_pnl - before
        log.info("futures.settled", symbol=symbol, quantity=str(quantity),
                 price=str(settlement.price), fee=str(settlement.fee),
                 realized=str(realized))  # fmt: skip
        if settlement.realized_pnl is not None and settlement.realized_pnl != realized:
            log.warning("futures.settlement_pnl_difference", symbol=symbol,
                        bot=str(realized), venue=str(settlement.realized_pnl))  # fmt: skip
        return 1


def _expiry(contract: DerivativeInstrument) -> datetime:
    if contract.expiry is None:  # pragma: no cover - only dated contracts are kept
        raise ValueError(f"{contract.symbol} has no expiry")
    return contract.expiry

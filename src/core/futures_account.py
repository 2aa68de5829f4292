"""The runtime's futures account: funding payments applied once, positions and margin reconciled.

Venue-neutral: the runtime learns that it trades futures from the instruments its engine
returns (``DerivativeInstrument``), and the engine offers what this module needs through the
``FuturesAccount`` protocol (``KrakenFuturesAdapter`` does, and so does ``FuturesRiskGate``,
which passes it through).

* Funding: the venue's payments are fetched on every reconcile; each is applied once. The
  watermark (the newest payment applied, and the payments at that instant) is stored in one
  key with the per-contract totals, so one write applies a batch and a restart resumes after
  it. At the first start the watermark is set to the venue's newest payment, so history from
  before the bot is never counted; a payment is applied only to a contract the bot trades.
* Reconcile: the venue's positions (side, size, entry, mark, unrealised PnL, liquidation
  price, margin) are compared with the bot's own (by contracts held) and its settlement
  balances with what the bot's fills and funding explain; differences are reported, never
  overwritten (as for spot balances). The bot is assumed to be the only trader of its
  contracts: a manual position in the same contract shows as a difference.
* Fixed maturities: once a held contract has expired, the venue's settlement is booked once
  (``src.core.futures_settlement``) before positions are compared, so the settled position
  is not a difference; an expired contract takes no new orders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

import structlog

from src.core.clock import Clock
from src.core.derivatives import (
    DerivativeInstrument,
    DerivativePosition,
    DerivativeTicker,
    FundingPayment,
    MarginSummary,
)
from src.core.errors import ConfigurationError
from src.core.futures_gate import AmendingFuturesRiskGate, DerivativesEngine, FuturesRiskGate
from src.core.futures_risk import FuturesRiskLimits
from src.core.futures_settlement import SettlementBook, SettlementSource
from src.core.instruments import Instrument
from src.core.order_amend import OrderAmender
from src.core.order_store import OrderStore
from src.core.portfolio import Portfolio

__all__ = [
    "FuturesAccount",
    "FuturesBook",
    "FuturesReconcile",
    "PositionDifference",
    "attach_futures",
]

log = structlog.get_logger(__name__)
ZERO = Decimal(0)
STATE_KEY = "futures_state"


@runtime_checkable
class FuturesAccount(Protocol):
    """What a futures engine offers besides ``ExecutionEngine``: positions, margin, funding."""

    async def get_futures_positions(self) -> list[DerivativePosition]:
        """Open positions valued at the mark, with margin and liquidation price."""
        ...

    async def margin_for(self, symbol: str) -> MarginSummary | None:
        """The margin account that backs ``symbol``."""
        ...

    async def get_ticker(self, symbol: str) -> DerivativeTicker:
        """Mark, index and funding rate."""
        ...

    async def get_funding_payments(self, since: datetime | None = None) -> list[FundingPayment]:
        """Funding received (+) or paid (-), oldest first."""
        ...


@dataclass(frozen=True)
class PositionDifference:
    """A contract whose venue position differs from what the bot's fills explain."""

    symbol: str
    expected: Decimal
    actual: Decimal


@dataclass
class FuturesReconcile:
    """One futures reconcile: the venue's view and the differences found."""

    positions: dict[str, DerivativePosition] = field(default_factory=dict)
    margin: dict[str, MarginSummary] = field(default_factory=dict)
    position_differences: list[PositionDifference] = field(default_factory=list)
    new_funding: int = 0
    settled: int = 0


def _key(payment: FundingPayment) -> str:
    return f"{payment.symbol}@{payment.timestamp.isoformat()}"


class FuturesBook:
    """Funding and reconcile for the contracts a runtime trades.

    Args:
        engine: the futures engine.
        portfolio: the runtime's book (funding is applied to it).
        store: where the funding watermark and totals live (key ``futures_state``).
        symbols: the contracts the bot trades.
        settlements: books the settlement of its dated contracts (None: perpetuals only).
        clock: the runtime's clock (when a contract has expired).
    """

    def __init__(
        self,
        engine: FuturesAccount,
        portfolio: Portfolio,
        store: OrderStore,
        symbols: Iterable[str],
        settlements: SettlementBook | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.engine, self.portfolio, self.store = engine, portfolio, store
        self.symbols = set(symbols)
        self.settlements, self.clock = settlements, clock
        self.last: FuturesReconcile | None = None
        saved = store.get(STATE_KEY) or {}
        self.until = datetime.fromisoformat(saved["until"]) if saved.get("until") else None
        self.seen_at_until: set[str] = set(saved.get("seen", []))
        self.started = bool(saved.get("started"))
        self.today: dict[str, Decimal] = {s: Decimal(v) for s, v in saved.get("today", {}).items()}
        self.day = date.fromisoformat(saved["day"]) if saved.get("day") else None
        self.applied = int(saved.get("applied", 0))
        for symbol, amount in saved.get("funding", {}).items():
            portfolio.funding[symbol] = Decimal(amount)
        for currency, amount in saved.get("balances", {}).items():
            portfolio.funding_balances[currency] = Decimal(amount)

    def paid_today(self, symbol: str, today: date) -> Decimal:
        """Funding ``symbol`` paid on the UTC day ``today`` (positive = paid, net of receipts)."""
        return -self.today.get(symbol, ZERO) if self.day == today else ZERO

    async def sync_funding(self) -> int:
        """Fetch the venue's funding payments and apply the new ones; returns how many."""
        payments = await self.engine.get_funding_payments(self.until)
        if not self.started:  # the first start: everything so far is history
            self.started = True
            newest = max((p.timestamp for p in payments), default=None)
            self.until = newest
            self.seen_at_until = {_key(p) for p in payments if p.timestamp == newest}
            self._save()
            return 0
        new = [
            p
            for p in sorted(payments, key=lambda p: p.timestamp)
            if p.symbol in self.symbols
            and p.symbol in self.portfolio.positions
            and (self.until is None or p.timestamp > self.until or (
                p.timestamp == self.until and _key(p) not in self.seen_at_until))
        ]  # fmt: skip
        for payment in new:
            self.portfolio.apply_funding(payment)
            day = payment.timestamp.date()
            if day != self.day:
                self.day, self.today = day, {}
            self.today[payment.symbol] = self.today.get(payment.symbol, ZERO) + payment.amount
            if self.until is None or payment.timestamp > self.until:
                self.until, self.seen_at_until = payment.timestamp, set()
            self.seen_at_until.add(_key(payment))
            log.info("futures.funding", symbol=payment.symbol, amount=str(payment.amount),
                     currency=payment.currency, at=payment.timestamp.isoformat())  # fmt: skip
        if new:
            self.applied += len(new)
            self._save()
        return len(new)

    def _save(self) -> None:
        self.store.put(
            STATE_KEY,
            {
                "started": self.started,
                "until": self.until.isoformat() if self.until else None,
                "seen": sorted(self.seen_at_until),
                "funding": {s: str(v) for s, v in self.portfolio.funding.items()},
                "balances": {c: str(v) for c, v in self.portfolio.funding_balances.items()},
                "day": self.day.isoformat() if self.day else None,
                "today": {s: str(v) for s, v in self.today.items()},
                "applied": self.applied,
            },
        )

    def closed_symbols(self) -> set[str]:
        """Contracts past their expiry: the runtime plans no order there."""
        if self.settlements is None or self.clock is None:
            return set()
        return self.settlements.closed_symbols(self.clock.now())

    async def reconcile(self) -> FuturesReconcile:
        """Funding and settlements, then the venue's positions and margin against the bot's."""
        result = FuturesReconcile(new_funding=await self.sync_funding())
        if self.settlements is not None and self.clock is not None:
            result.settled = await self.settlements.sync(self.clock.now())
        venue = {p.symbol: p for p in await self.engine.get_futures_positions()}
        result.positions = {s: p for s, p in venue.items() if s in self.symbols}
        for symbol in sorted(self.symbols):
            expected = self.portfolio.position(symbol).quantity
            position = venue.get(symbol)
            actual = position.quantity if position else ZERO
            if position is not None and position.mark_price is not None:
                self.portfolio.mark(symbol, position.mark_price)
            if actual != expected:
                result.position_differences.append(PositionDifference(symbol, expected, actual))
                log.warning("futures.position_difference", symbol=symbol,
                            expected=str(expected), venue=str(actual))  # fmt: skip
            margin = await self.engine.margin_for(symbol)
            if margin is not None:
                result.margin[symbol] = margin
        self.last = result
        return result

    def describe(self) -> str:
        """The status line's futures part: funding, the venue's positions, margin equity.

        Each contract's ``[venue size mark … liq … upnl …]`` is what the venue reported at the
        last reconcile, for the size it held then.
        """
        funding = self.portfolio.funding_pnl
        parts = [f"funding={funding:.4f}"]
        last = self.last
        if last is not None:
            for symbol, p in sorted(last.positions.items()):
                liq = f"{p.liquidation_price:.2f}" if p.liquidation_price else "none"
                # the venue's figure can carry 30 digits (an inverse PnL is a quotient)
                upnl = "none" if p.unrealized_pnl is None else _short(p.unrealized_pnl)
                # The venue's figures are as of the last reconcile, which can be older than
                # the book's position beside them: they name the size they belong to.
                size = f"{p.quantity.normalize():f}"
                parts.append(f"{symbol}[venue {size} mark {p.mark_price} liq {liq} upnl {upnl}]")
            equities = _equities(last.margin)
            if equities:
                parts.append("margin_equity=" + ",".join(equities))
            parts.append(f"position_diffs={len(last.position_differences)}")
        closed = sorted(self.closed_symbols())
        if closed:
            parts.append("expired=" + ",".join(closed))
        return " ".join(parts)


def _short(value: Decimal) -> str:
    """At most 8 decimals, trailing zeros dropped."""
    text = f"{value:.8f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _equities(margin: Mapping[str, MarginSummary]) -> list[str]:
    seen: dict[str, MarginSummary] = {}
    for summary in margin.values():  # contracts of one margin group share the summary
        seen.setdefault(f"{summary.currency}:{summary.margin_equity}", summary)
    return [f"{s.margin_equity:.2f}{s.currency}" for s in seen.values()]


def attach_futures(
    engine: object,
    instruments: Mapping[str, Instrument],
    portfolio: Portfolio,
    store: OrderStore,
    limits: FuturesRiskLimits,
    clock: Clock,
) -> tuple[FuturesBook, FuturesRiskGate] | None:
    """The futures book and risk gate for a runtime whose instruments are contracts.

    None when they are spot pairs. Refused (``ConfigurationError``): spot and futures mixed,
    an engine without positions, margin and funding, and fixed maturities on an engine that
    does not report settlements (``SettlementSource``). Linear and inverse contracts both
    trade: the book keeps each contract's PnL in its settlement currency and values it in
    the quote currency for its totals (``Portfolio.in_quote``).
    """
    contracts = [i for i in instruments.values() if isinstance(i, DerivativeInstrument)]
    if not contracts:
        return None
    if len(contracts) != len(instruments):
        raise ConfigurationError("one runtime trades spot pairs or futures contracts, not both")
    if not isinstance(engine, FuturesAccount):
        raise ConfigurationError(
            "the engine's instruments are futures contracts but it reports no futures "
            "positions, margin and funding (FuturesAccount)"
        )
    dated = {c.symbol: c for c in contracts if not c.is_perpetual}
    settlements = None
    if dated:
        # A gate handed in as the engine passes settlements through from what it wraps.
        source = engine.engine if isinstance(engine, FuturesRiskGate) else engine
        if not isinstance(source, SettlementSource):  # their settlement would not be booked
            raise ConfigurationError(
                f"fixed-maturity contracts {sorted(dated)} need an engine that reports "
                "settlements (SettlementSource)"
            )
        undated = sorted(s for s, c in dated.items() if c.expiry is None)
        if undated:  # the runtime could not tell when they stop trading and settle
            raise ConfigurationError(f"fixed-maturity contracts {undated} have no expiry")
        settlements = SettlementBook(source, portfolio, store, dated)
    if not limits.allowed_symbols & set(instruments):
        log.warning("futures.no_symbol_allowed", symbols=sorted(instruments),
                    allowed=sorted(limits.allowed_symbols))  # fmt: skip
    book = FuturesBook(engine, portfolio, store, instruments, settlements, clock)
    gate_engine: DerivativesEngine = engine  # type: ignore[assignment]
    # Re-pricing amends in place only where the venue can (else cancel-and-replace).
    kind = AmendingFuturesRiskGate if isinstance(engine, OrderAmender) else FuturesRiskGate
    gate = kind(
        gate_engine,
        limits,
        funding_paid_today=lambda s: book.paid_today(s, clock.now().date()),
        clock=clock,
    )
    return book, gate

"""Time-driven venue events: funding every hour, liquidation, fixed-maturity settlement, dead man.

Funding (chosen model, after Kraken's support pages; the exact premium formula is not
public): perpetuals fund every hour on the hour. The rate charged at the end of an hour was
set at its start from the average premium ``mark / index - 1`` sampled during the hour
before, clamped to ``maxRelativeFundingRate``. At each hour end a position of signed size
``q`` receives ``-q * absolute_rate`` where ``absolute_rate = relative * mark`` (linear,
USD per base unit) or ``relative / mark`` (inverse, base per one-dollar contract), both at
the mark of that moment. Within the hour the same amount accrues pro rata as unrealised
funding. The ticker shows the current rate as ``fundingRate`` and the one being formed as
``fundingRatePrediction``.

Liquidation: when a margin group's equity falls below its maintenance margin, its orders
are cancelled and its positions closed at the mark (fill type ``liquidation``, taker fee).

Settlement: at ``lastTradingTime`` a fixed-maturity contract settles at the index (Kraken
averages the index over the last 30 minutes; this uses its value then), with a taker fee
("holding a position until settlement will result in a taker fee"); its orders are
cancelled (reason ``contract_expired``) and it stops trading.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from src.venues.kraken_futures_paper.engine import Engine
from src.venues.kraken_futures_paper.fees import rates_for
from src.venues.kraken_futures_paper.ledger import apply_fill, credit
from src.venues.kraken_futures_paper.margin import group_of
from src.venues.kraken_futures_paper.market import Print
from src.venues.kraken_futures_paper.state import VenueFill

__all__ = ["FundingRecord", "Lifecycle"]

ZERO = Decimal(0)
HOUR = timedelta(hours=1)


@dataclass
class FundingRecord:
    """One past funding period of one perpetual."""

    timestamp: datetime
    relative: Decimal
    absolute: Decimal


@dataclass
class Lifecycle:
    """Runs the hour, expiry and margin checks; ``tick`` is called after every market change."""

    engine: Engine
    current: dict[str, Decimal] = field(default_factory=dict)
    history: dict[str, list[FundingRecord]] = field(default_factory=dict)
    next_funding: datetime | None = None

    def start(self, now: datetime) -> None:
        """Set the first funding time (the next full hour) and the first rates."""
        self.next_funding = now.replace(minute=0, second=0, microsecond=0) + HOUR
        for symbol, market in self.engine.markets.items():
            if market.contract.perpetual:
                market.sample_premium(now)
                self.current[symbol] = self.prediction(symbol)
                market.premium_samples.clear()

    def prediction(self, symbol: str) -> Decimal:
        """The relative rate being formed now (average premium so far, clamped)."""
        market = self.engine.markets[symbol]
        samples = market.premium_samples or [market.premium]
        average = sum(samples, ZERO) / len(samples)
        cap = market.contract.max_relative_funding
        return max(-cap, min(cap, average))

    def absolute(self, symbol: str, relative: Decimal) -> Decimal:
        """The absolute rate of ``relative`` at the mark now."""
        market = self.engine.markets[symbol]
        return market.contract.absolute_rate(relative, market.mark(self.engine.now()))

    def tick(self) -> None:
        """Funding at each hour passed, expiries, the dead man's switch, liquidations."""
        engine = self.engine
        now = engine.now()
        for market in engine.markets.values():
            if market.contract.perpetual:
                market.sample_premium(now)
        while self.next_funding is not None and now >= self.next_funding:
            self.fund(self.next_funding)
            self.next_funding += HOUR
        self._accrue(now)
        self._expire(now)
        self._dead_man(now)
        self.liquidate_breached()

    def fund(self, at: datetime) -> None:
        """Charge one hour of funding on every perpetual position, then roll the rate."""
        engine = self.engine
        for symbol, market in engine.markets.items():
            contract = market.contract
            if not contract.perpetual:
                continue
            relative = self.current.get(symbol, ZERO)
            absolute = self.absolute(symbol, relative)
            self.history.setdefault(symbol, []).append(FundingRecord(at - HOUR, relative, absolute))
            for account in engine.accounts.values():
                position = account.positions.get(symbol)
                if position is None or position.size == 0:
                    continue
                amount = -position.size * absolute
                credit(
                    account, contract, amount, at, "funding rate change",
                    funding_rate=absolute, realized_funding=amount,
                    mark_price=market.mark(at),
                )  # fmt: skip
                engine.emit("balance", account=account.id)
            self.current[symbol] = self.prediction(symbol)
            market.premium_samples.clear()

    def _accrue(self, now: datetime) -> None:
        if self.next_funding is None:
            return
        elapsed = Decimal(str(1 - (self.next_funding - now) / HOUR))
        for account in self.engine.accounts.values():
            accrued: dict[str, Decimal] = {}
            for symbol, position in account.positions.items():
                if position.size and symbol in self.current:
                    rate = self.absolute(symbol, self.current[symbol])
                    accrued[symbol] = -position.size * rate * elapsed
            self.engine.accrued[account.id] = accrued

    def _expire(self, now: datetime) -> None:
        engine = self.engine
        for symbol, contract in engine.contracts.items():
            if contract.perpetual or contract.settled or contract.last_trading is None:
                continue
            if now < contract.last_trading:
                continue
            price = engine.markets[symbol].index
            for account in engine.accounts.values():
                engine.cancel_all(account.id, symbol, "contract_expired")
                position = account.positions.get(symbol)
                if position is None or position.size == 0:
                    continue
                side = "sell" if position.size > 0 else "buy"
                _, taker = rates_for(account.volume_usd)
                fee = contract.value(position.size, price) * taker
                apply_fill(
                    account, contract, side, abs(position.size), price, fee, now, "settlement"
                )
                engine.position_changed(account, symbol)
            contract.tradeable, contract.settled = False, True

    def _dead_man(self, now: datetime) -> None:
        for account in self.engine.accounts.values():
            if account.dead_man_at is not None and now >= account.dead_man_at:
                account.dead_man_at = None
                self.engine.cancel_all(account.id, None, "dead_man_switch")

    def liquidate_breached(self) -> list[tuple[str, str]]:
        """Liquidate every margin group below maintenance; returns (account, group) done."""
        engine = self.engine
        done = []
        for account in engine.accounts.values():
            groups = {
                group_of(engine.contracts[s]) for s, p in account.positions.items() if p.size != 0
            }
            for group in sorted(groups):
                fig = engine.figures(account, group)
                if fig.maintenance > 0 and fig.equity < fig.maintenance:
                    self._liquidate(account.id, group)
                    done.append((account.id, group))
        return done

    def _liquidate(self, account_id: str, group: str) -> None:
        engine = self.engine
        account = engine.accounts[account_id]
        now = engine.now()
        for symbol, position in list(account.positions.items()):
            contract = engine.contracts[symbol]
            if group_of(contract) != group or position.size == 0:
                continue
            engine.cancel_all(account_id, symbol, "liquidation")
            market = engine.markets[symbol]
            price = contract.round_tick(market.mark(now))
            side = "sell" if position.size > 0 else "buy"
            qty = abs(position.size)
            _, taker = rates_for(account.volume_usd)
            fee = contract.value(qty, price) * taker
            apply_fill(account, contract, side, qty, price, fee, now, "futures liquidation")
            account.fill_seq += 1
            fill = VenueFill(
                str(uuid.uuid4()), account_id, str(uuid.uuid4()), None, symbol, side, qty,
                price, now, "liquidation", fee, contract.settlement_currency, ZERO, "liquidation",
                account.fill_seq,
            )  # fmt: skip
            account.fills.append(fill)
            market.record(Print(fill.fill_id, price, qty, side, now, "liquidation"))
            engine.emit("fill", account=account_id, fill=fill)
            engine.emit("trade", symbol=symbol, item=market.prints[-1])
            engine.position_changed(account, symbol)

    def summary(self) -> dict[str, Any]:
        """Current rates by symbol (for diagnostics)."""
        return {s: str(r) for s, r in self.current.items()}

"""Matching: a taker order against resting user orders and the house quotes; triggers; executions.

Prices improve in the taker's favour first; at one price user orders go before the house.
A market order (``mkt``) is an IOC with 1 % price protection from the best opposite price
(Kraken: "immediate-or-cancel order with 1% price protection"). A self-match is refused
up front (``selfFill``: Kraken's default self-trade strategy rejects the taker).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Protocol

from src.venues.kraken_futures_paper.book import OrderBook
from src.venues.kraken_futures_paper.contracts import Contract
from src.venues.kraken_futures_paper.fees import rates_for
from src.venues.kraken_futures_paper.ledger import apply_fill
from src.venues.kraken_futures_paper.market import HouseDepth, MarketState, Print
from src.venues.kraken_futures_paper.payloads import order_json
from src.venues.kraken_futures_paper.state import Account, VenueFill, VenueOrder

__all__ = ["PROTECTION", "Execution", "Matcher"]

D = Decimal
ZERO = D(0)
PROTECTION = D("0.01")


@dataclass
class Execution:
    """One match of a taker: price, quantity and the maker (None for the house)."""

    execution_id: str
    price: Decimal
    qty: Decimal
    maker: VenueOrder | None
    prior: dict[str, Any] = field(default_factory=dict)


class Host(Protocol):
    """What the matcher needs of the engine."""

    contracts: dict[str, Contract]
    markets: dict[str, MarketState]
    books: dict[str, OrderBook]
    triggers: dict[str, list[VenueOrder]]
    accounts: dict[str, Account]
    house: HouseDepth
    now: Callable[[], datetime]

    def emit(self, kind: str, **data: Any) -> None:
        """Tell listeners."""
        ...

    def order_changed(self, order: VenueOrder, reason: str) -> None:
        """An order moved."""
        ...

    def position_changed(self, account: Account, symbol: str) -> None:
        """A position moved."""
        ...

    def fire_trigger(self, order: VenueOrder) -> None:
        """A trigger's condition holds."""
        ...


class Matcher:
    """Runs matches on the engine's books, markets and accounts."""

    def __init__(self, engine: Host) -> None:
        self.engine = engine

    def opposite(self, order: VenueOrder) -> list[tuple[Decimal, Decimal, VenueOrder | None]]:
        """(price, size, maker) on the other side, best first; house levels have no maker."""
        engine = self.engine
        other = "sell" if order.side == "buy" else "buy"
        market = engine.markets[order.symbol]
        contract = engine.contracts[order.symbol]
        users = [
            (o.limit_price or ZERO, o.unfilled, o) for o in engine.books[order.symbol].side(other)
        ]
        house: list[tuple[Decimal, Decimal, VenueOrder | None]] = [
            (p, q, None) for p, q in engine.house.quotes(contract, market.mark(engine.now()), other)
        ]
        merged = users + house
        key = (
            (lambda r: (r[0], r[2] is None))
            if other == "sell"
            else (lambda r: (-r[0], r[2] is None))
        )
        return sorted(merged, key=key)

    def protection_price(self, order: VenueOrder) -> Decimal:
        """The worst price a market order may fill at (1 % through the best opposite)."""
        book = self.opposite(order)
        contract = self.engine.contracts[order.symbol]
        best = book[0][0] if book else self.engine.markets[order.symbol].mark(self.engine.now())
        if order.side == "buy":
            raw, rounding = best * (1 + PROTECTION), ROUND_FLOOR
        else:
            raw, rounding = best * (1 - PROTECTION), ROUND_CEILING
        return (raw / contract.tick).to_integral_value(rounding) * contract.tick

    @staticmethod
    def crosses(order: VenueOrder, price: Decimal, limit: Decimal) -> bool:
        """True when ``price`` is within the taker's ``limit``."""
        return price <= limit if order.side == "buy" else price >= limit

    def would_self_fill(self, order: VenueOrder, limit: Decimal) -> bool:
        """True when the order would trade with one of its own account's resting orders."""
        return any(
            maker is not None and maker.account == order.account and self.crosses(order, p, limit)
            for p, _, maker in self.opposite(order)
        )

    def would_take(self, order: VenueOrder, limit: Decimal) -> bool:
        """True when any liquidity sits within ``limit`` (a post-only order would take)."""
        book = self.opposite(order)
        return bool(book) and self.crosses(order, book[0][0], limit)

    def fillable(self, order: VenueOrder, limit: Decimal) -> Decimal:
        """How much of the order could fill now within ``limit`` (for fill-or-kill)."""
        total = ZERO
        for price, size, _ in self.opposite(order):
            if not self.crosses(order, price, limit):
                break
            total += size
        return total

    def take(self, order: VenueOrder, limit: Decimal, fill_type: str = "taker") -> list[Execution]:
        """Fill ``order`` as far as liquidity within ``limit`` allows; returns the matches."""
        done: list[Execution] = []
        for price, size, maker in self.opposite(order):
            if order.unfilled <= 0 or not self.crosses(order, price, limit):
                break
            qty = min(order.unfilled, size)
            done.append(self.execute(order, maker, price, qty, fill_type))
        return done

    def execute(
        self, taker: VenueOrder, maker: VenueOrder | None, price: Decimal, qty: Decimal,
        fill_type: str = "taker",
    ) -> Execution:  # fmt: skip
        """Trade ``qty`` at ``price``: both sides' fills, positions, balances, the print."""
        engine = self.engine
        now = engine.now()
        execution = Execution(str(uuid.uuid4()), price, qty, maker, order_json(taker))
        self._fill(taker, price, qty, fill_type, execution.execution_id)
        if maker is not None:
            self._fill(maker, price, qty, "maker", execution.execution_id)
            engine.order_changed(maker, "partial_fill" if maker.unfilled > 0 else "full_fill")
        kind = "liquidation" if fill_type == "liquidation" else "fill"
        market = engine.markets[taker.symbol]
        market.record(Print(execution.execution_id, price, qty, taker.side, now, kind))
        engine.emit("trade", symbol=taker.symbol, item=market.prints[-1])
        return execution

    def _fill(
        self, order: VenueOrder, price: Decimal, qty: Decimal, fill_type: str, uid: str
    ) -> None:
        engine = self.engine
        now = engine.now()
        account = engine.accounts[order.account]
        contract = engine.contracts[order.symbol]
        maker_rate, taker_rate = rates_for(account.volume_usd)
        rate = maker_rate if fill_type == "maker" else taker_rate
        fee = contract.value(qty, price) * rate
        order.filled += qty
        order.updated = now
        order.status = "filled" if order.unfilled <= 0 else "partiallyFilled"
        if order.unfilled <= 0:
            order.closed_at = now
            engine.books[order.symbol].remove(order)
        info = "futures liquidation" if fill_type == "liquidation" else "futures trade"
        apply_fill(account, contract, order.side, qty, price, fee, now, info)
        account.fill_seq += 1
        fill = VenueFill(
            fill_id=uid if fill_type != "maker" else str(uuid.uuid5(uuid.NAMESPACE_OID, uid)),
            account=account.id, order_id=order.order_id, cli_ord_id=order.cli_ord_id,
            symbol=order.symbol, side=order.side, size=qty, price=price, time=now,
            fill_type=fill_type, fee=fee, fee_currency=contract.settlement_currency,
            remaining=order.unfilled, order_kind=order.kind, seq=account.fill_seq,
        )  # fmt: skip
        account.fills.append(fill)
        engine.emit("fill", account=account.id, fill=fill)
        engine.position_changed(account, order.symbol)

    def check_triggers(self, symbol: str) -> None:
        """Fire every trigger order of ``symbol`` whose condition holds at its signal price."""
        engine = self.engine
        market = engine.markets[symbol]
        now = engine.now()
        for order in [o for o in engine.triggers.get(symbol, []) if o.is_open]:
            price = market.price_for(order.trigger_signal, now)
            if self._triggered(order, price):
                engine.fire_trigger(order)

    @staticmethod
    def _triggered(order: VenueOrder, price: Decimal) -> bool:
        if order.kind == "trailing_stop":
            assert order.trailing_deviation is not None
            if order.trailing_extreme is None:
                order.trailing_extreme = price
            if order.side == "sell":
                order.trailing_extreme = max(order.trailing_extreme, price)
            else:
                order.trailing_extreme = min(order.trailing_extreme, price)
            distance = (
                order.trailing_extreme * order.trailing_deviation / 100
                if order.trailing_unit == "PERCENT"
                else order.trailing_deviation
            )
            stop = (
                order.trailing_extreme - distance
                if order.side == "sell"
                else order.trailing_extreme + distance
            )
            order.stop_price = stop
            return price <= stop if order.side == "sell" else price >= stop
        assert order.stop_price is not None
        above = (order.kind == "stp") == (order.side == "buy")
        return price >= order.stop_price if above else price <= order.stop_price

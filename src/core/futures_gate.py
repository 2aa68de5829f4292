"""``FuturesRiskGate``: any futures engine, with ``FuturesRiskLimits`` checked before every order.

It is an ``ExecutionEngine`` itself (every call but ``submit_orders`` goes straight through),
so a runtime or a script that holds an engine can hold the gate instead. An order the
limits refuse is not sent: its ack is ``REJECTED`` with the reason, as a venue refusal is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self

from src.core.clock import Clock, SystemClock
from src.core.derivatives import (
    DerivativeInstrument,
    DerivativePosition,
    DerivativeTicker,
    FundingPayment,
    MarginSummary,
)
from src.core.errors import InvalidOrderError, OrderRejectedError
from src.core.execution import (
    AccountBalances,
    Fill,
    Order,
    OrderAck,
    OrderStatus,
    OrderUpdate,
    Position,
)
from src.core.futures_risk import FuturesExposure, FuturesRiskLimits, check_futures_order
from src.core.futures_settlement import closed_reason
from src.core.instruments import Instrument
from src.core.order_amend import AmendAck, OrderAmender

__all__ = ["AmendingFuturesRiskGate", "DerivativesEngine", "FuturesRiskGate"]

ZERO = Decimal(0)


class DerivativesEngine(Protocol):
    """An ``ExecutionEngine`` that also reports futures positions, marks and margin."""

    async def __aenter__(self) -> Any: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def get_account(self) -> AccountBalances:
        """Balances per asset."""
        ...

    async def get_positions(self) -> list[Position]:
        """Open positions."""
        ...

    async def get_futures_positions(self) -> list[DerivativePosition]:
        """Open positions with mark and margin."""
        ...

    async def get_orders(self, status: str = "open") -> list[OrderUpdate]:
        """Orders by status."""
        ...

    async def find_order(self, client_order_id: str) -> OrderUpdate | None:
        """The order with this client order id."""
        ...

    async def get_fills(self, since: datetime | None = None) -> list[Fill]:
        """Own fills."""
        ...

    async def get_instrument(self, symbol: str) -> DerivativeInstrument:
        """The contract."""
        ...

    async def get_ticker(self, symbol: str) -> DerivativeTicker:
        """Mark, index and funding."""
        ...

    async def margin_for(self, symbol: str) -> MarginSummary | None:
        """The margin account that backs ``symbol``."""
        ...

    async def get_funding_payments(self, since: datetime | None = None) -> list[FundingPayment]:
        """Funding received or paid."""
        ...

    async def submit_orders(self, orders: Sequence[Order]) -> list[OrderAck]:
        """Send orders."""
        ...

    async def cancel_order(self, order_id: str) -> Any:
        """Cancel one order."""
        ...

    async def cancel_all(self) -> int:
        """Cancel every open order."""
        ...

    def stream_fills(self) -> AsyncIterator[Fill]:
        """Own fills as they happen."""
        ...


class FuturesRiskGate:
    """Checks each order against ``limits`` with the engine's own positions, mark and margin.

    Args:
        engine: the futures engine (``KrakenFuturesAdapter``, say).
        limits: the futures risk limits.
        funding_paid_today: see the attribute.
        clock: when a dated contract has expired.
    """

    def __init__(
        self,
        engine: DerivativesEngine,
        limits: FuturesRiskLimits,
        funding_paid_today: Callable[[str], Decimal] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.engine = engine
        self.limits = limits
        self.clock: Clock = clock or SystemClock()
        #: Funding a contract already paid today (positive = paid), for the funding budget;
        #: the runtime passes its own book's figure. Without one, today counts as nothing paid.
        self.funding_paid_today = funding_paid_today
        self.refusals: list[str] = []

    async def __aenter__(self) -> Self:
        await self.engine.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.engine.__aexit__(exc_type, exc, tb)

    async def exposure(self, symbol: str, extra: Decimal = ZERO) -> FuturesExposure:
        """What the limits see for ``symbol`` now (``extra``: contracts already approved)."""
        instrument = await self.engine.get_instrument(symbol)
        ticker = await self.engine.get_ticker(instrument.symbol)
        margin = await self.engine.margin_for(instrument.symbol)
        positions = await self.engine.get_futures_positions()
        mine = next((p for p in positions if p.symbol == instrument.symbol), None)
        others = ZERO  # the value of the same margin group's other positions
        for other in positions:
            if other.symbol == instrument.symbol or other.mark_price is None:
                continue
            contract = await self.engine.get_instrument(other.symbol)
            if contract.settlement_currency == instrument.settlement_currency:
                others += contract.settlement_value(other.quantity, other.mark_price)
        mark = ticker.mark_price or ticker.last
        if mark is None:
            raise InvalidOrderError(f"{instrument.symbol}: no mark price to check the order")
        return FuturesExposure(
            instrument=instrument,
            position=(mine.quantity if mine else ZERO) + extra,
            entry=mine.average_price if mine else None,
            mark=mark,
            equity=margin.margin_equity if margin else ZERO,
            group_value=others,
            funding_rate=ticker.funding_rate,
            funding_paid_today=(
                self.funding_paid_today(instrument.symbol) if self.funding_paid_today else ZERO
            ),
        )

    async def submit_orders(self, orders: Sequence[Order]) -> list[OrderAck]:
        """Send the orders the limits allow; the others get a ``REJECTED`` ack with the reason."""
        acks: dict[int, OrderAck] = {}
        allowed: list[tuple[int, Order]] = []
        approved: dict[str, Decimal] = {}
        for i, order in enumerate(orders):
            quantity = order.quantity or ZERO
            instrument = await self.engine.get_instrument(order.symbol)
            reason = closed_reason(instrument, self.clock.now())
            if reason is None:
                exposure = await self.exposure(order.symbol, approved.get(order.symbol, ZERO))
                reason = check_futures_order(self.limits, exposure, order.side, quantity)
            if reason is None:
                allowed.append((i, order))
                approved[order.symbol] = (
                    approved.get(order.symbol, ZERO) + order.side.sign * quantity
                )
                continue
            self.refusals.append(reason)
            acks[i] = OrderAck(
                client_order_id=order.client_order_id, order_id=None, symbol=order.symbol,
                status=OrderStatus.REJECTED, message=f"futures risk limits: {reason}",
            )  # fmt: skip
        if allowed:
            sent = await self.engine.submit_orders([o for _, o in allowed])
            acks.update({i: ack for (i, _), ack in zip(allowed, sent, strict=True)})
        return [acks[i] for i in range(len(orders))]

    # ------------------------------------------------------------------ straight through
    async def get_account(self) -> AccountBalances:
        """The engine's balances."""
        return await self.engine.get_account()

    async def get_positions(self) -> list[Position]:
        """The engine's positions."""
        return await self.engine.get_positions()

    async def get_orders(self, status: str = "open") -> list[OrderUpdate]:
        """The engine's orders."""
        return await self.engine.get_orders(status)

    async def find_order(self, client_order_id: str) -> OrderUpdate | None:
        """The engine's lookup."""
        return await self.engine.find_order(client_order_id)

    async def get_fills(self, since: datetime | None = None) -> list[Fill]:
        """The engine's fills."""
        return await self.engine.get_fills(since)

    async def get_instrument(self, symbol: str) -> Instrument:
        """The engine's contract."""
        return await self.engine.get_instrument(symbol)

    async def cancel_order(self, order_id: str) -> Any:
        """Cancel through the engine (never limited: cancelling reduces risk)."""
        return await self.engine.cancel_order(order_id)

    async def cancel_all(self) -> int:
        """Cancel everything through the engine."""
        return await self.engine.cancel_all()

    def stream_fills(self) -> AsyncIterator[Fill]:
        """The engine's fill stream."""
        return self.engine.stream_fills()

    async def get_futures_positions(self) -> list[DerivativePosition]:
        """The engine's positions with mark and margin."""
        return await self.engine.get_futures_positions()

    async def margin_for(self, symbol: str) -> MarginSummary | None:
        """The engine's margin account behind ``symbol``."""
        return await self.engine.margin_for(symbol)

    async def get_ticker(self, symbol: str) -> DerivativeTicker:
        """The engine's ticker."""
        return await self.engine.get_ticker(symbol)

    async def get_funding_payments(self, since: datetime | None = None) -> list[FundingPayment]:
        """The engine's funding payments."""
        return await self.engine.get_funding_payments(since)


class AmendingFuturesRiskGate(FuturesRiskGate):
    """A ``FuturesRiskGate`` over an engine that amends in place (``OrderAmender``).

    Only an engine that amends gets this gate, so the runtime's working orders re-price in
    place exactly when the venue can. A price-only amend passes straight through (the futures
    limits read the mark, not the order's price); one that adds contracts is checked like a
    new order of the added contracts on top of the order's open part; none is sent on an
    expired contract.
    """

    async def amend_working_order(
        self,
        order_id: str,
        *,
        client_order_id: str | None = None,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
    ) -> AmendAck:
        """The engine's amend, after the limits allow what it adds.

        Raises:
            OrderRejectedError: the limits refuse it (the reason is in ``refusals`` too).
        """
        engine = self.engine
        assert isinstance(engine, OrderAmender)
        if quantity is not None and client_order_id is not None:
            order = await self.engine.find_order(client_order_id)
            if order is not None:
                await self._check_amend(order, quantity)
        return await engine.amend_working_order(
            order_id, client_order_id=client_order_id, quantity=quantity,
            limit_price=limit_price,
        )  # fmt: skip

    async def _check_amend(self, order: OrderUpdate, quantity: Decimal) -> None:
        instrument = await self.engine.get_instrument(order.symbol)
        reason = closed_reason(instrument, self.clock.now())
        added = quantity - order.quantity
        if reason is None and added > 0:  # the order's open part already counts as approved
            resting = order.side.sign * (order.quantity - order.filled_quantity)
            exposure = await self.exposure(order.symbol, resting)
            reason = check_futures_order(self.limits, exposure, order.side, added)
        if reason is not None:
            self.refusals.append(reason)
            raise OrderRejectedError(f"futures risk limits: {reason}", endpoint="amend")

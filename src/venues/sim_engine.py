"""An in-memory ExecutionEngine: instant, deterministic fills for tests, replays and benchmarks.

Market orders fill at once at the current price (plus slippage) with a taker fee; limit orders
fill when marketable (at once, or later when ``set_price`` crosses them) with a maker fee;
``fill`` executes part of a resting order, as a venue's matching would; ``amend_working_order``
changes one in place. No I/O and no sleeping, so the runtime can be exercised quickly and
exactly.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

from src.core.clock import Clock, ManualClock
from src.core.errors import (
    BrokerError,
    InsufficientFundsError,
    InvalidOrderError,
    UnknownOrderError,
    UnknownSymbolError,
)
from src.core.execution import (
    AccountBalances,
    Balance,
    Fill,
    Liquidity,
    Order,
    OrderAck,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Position,
    Side,
)
from src.core.instruments import Instrument
from src.core.market_data import Quote
from src.core.order_amend import AmendAck

ZERO = Decimal(0)


class SimEngine:
    """In-memory venue implementing ``ExecutionEngine`` (and ``QuoteSource``, ``OrderAmender``).

    Args:
        instruments: tradable pairs by symbol.
        balances: starting balances by asset.
        clock: timestamps for orders and fills.
        taker_fee / maker_fee: fee rates (fraction of notional, charged in quote currency).
        spread_bps: quoted spread around the price; market orders pay half of it.
    """

    def __init__(
        self,
        instruments: Mapping[str, Instrument],
        balances: Mapping[str, Decimal],
        clock: Clock | None = None,
        taker_fee: Decimal = Decimal("0.0026"),
        maker_fee: Decimal = Decimal("0.0016"),
        spread_bps: Decimal = ZERO,
    ) -> None:
        self.instruments = dict(instruments)
        self.balances: dict[str, Decimal] = {k: Decimal(v) for k, v in balances.items()}
        self.clock = clock or ManualClock()
        self.taker_fee, self.maker_fee, self.spread_bps = taker_fee, maker_fee, spread_bps
        self.prices: dict[str, Decimal] = {}
        self.orders: dict[str, OrderUpdate] = {}
        self.by_client_id: dict[str, str] = {}
        self.fills: list[Fill] = []
        self.submitted: list[tuple[float, Order]] = []
        #: Set to an exception to make the next submit fail; ``fail_after_accept`` decides if
        #: the order still reached the book first (a lost response).
        self.fail_next_submit: BrokerError | None = None
        self.fail_after_accept = False
        #: The same levers for the next amend and the next cancel: ``fail_after_change``
        #: decides whether the change still took effect before the reply was lost.
        self.fail_next_amend: BrokerError | None = None
        self.fail_next_cancel: BrokerError | None = None
        self.fail_after_change = False
        #: Every amend that took effect: (order id, new total quantity, new limit price).
        self.amends: list[tuple[str, Decimal | None, Decimal | None]] = []
        self._ids = itertools.count(1)
        #: One queue per running ``stream_fills()``: each subscriber sees every fill.
        self._fill_queues: list[asyncio.Queue[Fill]] = []

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move the market; resting limit orders that become marketable fill now."""
        self.prices[symbol] = Decimal(price)
        for order in list(self.orders.values()):
            if order.symbol == symbol and not order.status.is_final:
                self._try_fill_limit(order)

    def fill(self, order_id: str, quantity: Decimal, price: Decimal | None = None) -> None:
        """Execute ``quantity`` of an open order now, at ``price`` (default: its limit), as maker.

        The venue-side lever of tests (the conformance suite's partial fills): the order is
        ``PARTIALLY_FILLED`` until its whole quantity has executed.
        """
        order = self.orders.get(order_id)
        if order is None or order.status.is_final:
            raise UnknownOrderError(f"no open order {order_id}")
        quantity = Decimal(quantity)
        if not 0 < quantity <= order.remaining_quantity:
            raise ValueError(
                f"fill quantity {quantity}: must be in (0, {order.remaining_quantity}]"
            )
        at = price if price is not None else order.limit_price or self._price(order.symbol)
        self._fill(order, Decimal(at), Liquidity.MAKER, quantity)

    async def get_quote(self, symbol: str) -> Quote:
        """Bid and ask ``spread_bps`` around the current price."""
        price = self._price(symbol)
        half = price * self.spread_bps / Decimal(20_000)
        return Quote(symbol=symbol, bid=price - half, ask=price + half, timestamp=self.clock.now())

    async def get_account(self) -> AccountBalances:
        """The simulated balances."""
        return AccountBalances([Balance(asset=a, total=v) for a, v in self.balances.items()])

    async def get_positions(self) -> list[Position]:
        """Always empty: the simulator keeps no positions."""
        return []

    async def get_orders(self, status: str = "open") -> list[OrderUpdate]:
        """Open orders for ``open``; final ones for any other status."""
        if status == "open":
            return [o for o in self.orders.values() if not o.status.is_final]
        return [o for o in self.orders.values() if o.status.is_final]

    async def find_order(self, client_order_id: str) -> OrderUpdate | None:
        """The order with this client order id, or None."""
        order_id = self.by_client_id.get(client_order_id)
        return None if order_id is None else self.orders[order_id]

    async def get_fills(self, since: datetime | None = None) -> list[Fill]:
        """Fills so far; only those at or after ``since`` if given."""
        return [f for f in self.fills if since is None or f.timestamp >= since]

    async def get_instrument(self, symbol: str) -> Instrument:
        """The instrument of ``symbol``.

        Raises:
            UnknownSymbolError: The simulator does not list it.
        """
        try:
            return self.instruments[symbol]
        except KeyError:
            raise UnknownSymbolError(f"unknown symbol {symbol!r}") from None

    async def submit_orders(self, orders: Sequence[Order]) -> list[OrderAck]:
        """Accept each order in turn; one ack each.

        Raises:
            BrokerError: The failure armed in ``fail_next_submit`` (raised after accepting the
                order if ``fail_after_accept``), or the order's rejection (duplicate client id,
                unknown symbol, minimums, funds).
        """
        acks = []
        for order in orders:
            self.submitted.append((self.clock.monotonic(), order))
            failure, self.fail_next_submit = self.fail_next_submit, None
            if failure is not None and not self.fail_after_accept:
                raise failure
            acks.append(self._accept(order))
            if failure is not None:
                raise failure
        return acks

    def _accept(self, order: Order) -> OrderAck:
        if order.client_order_id in self.by_client_id:
            raise BrokerError(f"duplicate client order id {order.client_order_id}")
        instrument = self.instruments.get(order.symbol)
        if instrument is None or order.quantity is None:
            raise UnknownSymbolError(f"unknown symbol {order.symbol!r}")
        price = order.limit_price or self._price(order.symbol)
        instrument.check_minimums(order.quantity, price)
        self._check_funds(order, instrument, price)
        order_id = f"SIM-{next(self._ids):06d}"
        now = self.clock.now()
        update = OrderUpdate(
            order_id=order_id,
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            order_type=order.order_type,
            status=OrderStatus.OPEN,
            quantity=order.quantity,
            limit_price=order.limit_price,
            created_at=now,
            updated_at=now,
        )
        self.orders[order_id] = update
        self.by_client_id[order.client_order_id] = order_id
        if order.order_type is OrderType.MARKET:
            self._fill(update, self._taker_price(order.symbol, order.side), Liquidity.TAKER)
        else:
            self._try_fill_limit(self.orders[order_id])
        final = self.orders[order_id]
        return OrderAck(
            client_order_id=order.client_order_id,
            order_id=order_id,
            symbol=order.symbol,
            status=final.status,
        )

    def _check_funds(self, order: Order, instrument: Instrument, price: Decimal) -> None:
        assert order.quantity is not None
        if order.side is Side.BUY:
            need = order.quantity * price * (1 + self.taker_fee)
            have = self.balances.get(instrument.quote, ZERO)
            asset = instrument.quote
        else:
            need, have, asset = (
                order.quantity,
                self.balances.get(instrument.base, ZERO),
                instrument.base,
            )
        if need > have:
            raise InsufficientFundsError(f"insufficient {asset}: need {need}, have {have}")

    def _price(self, symbol: str) -> Decimal:
        if symbol not in self.prices:
            raise UnknownSymbolError(f"no price for {symbol!r}; call set_price first")
        return self.prices[symbol]

    def _taker_price(self, symbol: str, side: Side) -> Decimal:
        price = self._price(symbol)
        return price * (1 + side.sign * self.spread_bps / Decimal(20_000))

    def _try_fill_limit(self, order: OrderUpdate) -> None:
        if order.limit_price is None or order.symbol not in self.prices:
            return
        price = self.prices[order.symbol]
        marketable = (
            price <= order.limit_price if order.side is Side.BUY else price >= order.limit_price
        )
        if marketable:
            self._fill(order, order.limit_price, Liquidity.MAKER)

    def _fill(
        self,
        order: OrderUpdate,
        price: Decimal,
        liquidity: Liquidity,
        quantity: Decimal | None = None,
    ) -> None:
        instrument = self.instruments[order.symbol]
        quantity = order.remaining_quantity if quantity is None else quantity
        rate = self.taker_fee if liquidity is Liquidity.TAKER else self.maker_fee
        fee = (quantity * price * rate).quantize(Decimal("1e-8"))
        fill = Fill(
            fill_id=f"T{len(self.fills) + 1:06d}",
            order_id=order.order_id,
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=quantity,
            price=price,
            fee=fee,
            fee_currency=instrument.quote,
            liquidity=liquidity,
            timestamp=self.clock.now(),
        )
        sign = order.side.sign
        self.balances[instrument.base] = self.balances.get(instrument.base, ZERO) + sign * quantity
        self.balances[instrument.quote] = (
            self.balances.get(instrument.quote, ZERO) - sign * quantity * price - fee
        )
        self.fills.append(fill)
        for queue in self._fill_queues:
            queue.put_nowait(fill)
        filled = order.filled_quantity + quantity
        cost = (order.average_price or ZERO) * order.filled_quantity + price * quantity
        self.orders[order.order_id] = order.model_copy(
            update={
                "status": (
                    OrderStatus.FILLED if filled >= order.quantity else OrderStatus.PARTIALLY_FILLED
                ),
                "filled_quantity": filled,
                "average_price": cost / filled,
                "fee": order.fee + fee,
                "updated_at": fill.timestamp,
            }
        )

    async def cancel_order(self, order_id: str) -> Any:
        """Cancel an open order.

        Raises:
            UnknownOrderError: The order is unknown or no longer open.
            BrokerError: The failure armed in ``fail_next_cancel`` (raised after cancelling if
                ``fail_after_change``).
        """
        order = self._open(order_id)
        failure, self.fail_next_cancel = self.fail_next_cancel, None
        if failure is not None and not self.fail_after_change:
            raise failure
        self.orders[order_id] = order.model_copy(update={"status": OrderStatus.CANCELED})
        if failure is not None:
            raise failure
        return {"count": 1}

    def _open(self, order_id: str) -> OrderUpdate:
        order = self.orders.get(order_id)
        if order is None:
            raise UnknownOrderError(f"unknown order {order_id}")
        if order.status.is_final:  # as a venue says of an order that is no longer open
            raise UnknownOrderError(f"order {order_id} is not open ({order.status.value})")
        return order

    async def amend_working_order(
        self,
        order_id: str,
        *,
        client_order_id: str | None = None,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
    ) -> AmendAck:
        """Change an open order in place (``OrderAmender``), as Kraken's AmendOrder does.

        ``quantity`` is the new total, filled part included; at or below what has filled the
        rest is cancelled (the order ends filled). A new limit that crosses the market fills
        at once, at the limit, as maker.

        Raises:
            UnknownOrderError: The order is unknown or no longer open.
            InvalidOrderError: Nothing to change, or a limit price for a market order.
            OrderMinimumError: The amended order is under the minimums.
            BrokerError: The failure armed in ``fail_next_amend`` (raised after amending if
                ``fail_after_change``).
        """
        order = self._open(order_id)
        failure, self.fail_next_amend = self.fail_next_amend, None
        if failure is not None and not self.fail_after_change:
            raise failure
        if (quantity is None and limit_price is None) or (limit_price and not order.limit_price):
            raise InvalidOrderError(f"order {order_id}: nothing to amend, or no limit price")
        total = Decimal(quantity) if quantity is not None else order.quantity
        price = Decimal(limit_price) if limit_price is not None else order.limit_price
        self.instruments[order.symbol].check_minimums(total, price)
        filled = order.filled_quantity >= total
        self.orders[order_id] = order.model_copy(
            update={
                "quantity": max(total, order.filled_quantity),
                "limit_price": price,
                "status": OrderStatus.FILLED if filled else order.status,
                "updated_at": self.clock.now(),
            }
        )
        self.amends.append((order_id, quantity, limit_price))
        if not filled:
            self._try_fill_limit(self.orders[order_id])
        if failure is not None:
            raise failure
        amend_id, now = f"SIMA-{len(self.amends):06d}", self.orders[order_id]
        return AmendAck(order_id=order_id, client_order_id=order.client_order_id,
                        quantity=quantity, limit_price=limit_price, amend_id=amend_id,
                        order=now)  # fmt: skip

    async def cancel_all(self) -> int:
        """Cancel every open order; returns how many."""
        count = 0
        for order_id, order in list(self.orders.items()):
            if not order.status.is_final:
                await self.cancel_order(order_id)
                count += 1
        return count

    async def stream_fills(self) -> AsyncIterator[Fill]:
        """Yield every fill made from now on, in order, until the caller stops."""
        queue: asyncio.Queue[Fill] = asyncio.Queue()
        self._fill_queues.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._fill_queues.remove(queue)


__all__ = ["SimEngine"]

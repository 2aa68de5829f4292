"""The simulator's account: cash, positions, orders, fill activities and a tiny matching model.

Market orders fill at the current price; limit orders fill when marketable, otherwise rest until
the price moves (``set_price``) or a test fills them (``fill``). Every fill emits Alpaca's
``trade_updates`` event and records a ``FILL`` account activity.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any

from src.venues.alpaca_sim.catalog import DEFAULT_PRICES, SimAsset, default_assets
from src.venues.alpaca_sim.orders import SimError, SimOrder
from src.venues.alpaca_sim.positions import SimPosition
from src.venues.alpaca_sim.timefmt import TimeStyle
from src.venues.alpaca_sim.validate import order_from_request

Listener = Callable[[dict[str, Any]], None]


class SimState:
    """All mutable state of one simulated Alpaca account."""

    def __init__(self, cash: Decimal = Decimal("100000"), time_zone: str | tzinfo = "UTC") -> None:
        self.style = TimeStyle(time_zone)
        self.account_id = str(uuid.uuid4())
        self.cash = cash
        self.assets = default_assets()
        self.prices = dict(DEFAULT_PRICES)
        self.orders: dict[str, SimOrder] = {}
        self.positions: dict[str, SimPosition] = {}
        self.activities: list[dict[str, Any]] = []
        self.listeners: list[Listener] = []
        self.last_event: dict[str, Any] | None = None
        self.created_at = datetime.now(UTC)

    def order_json(self, order: SimOrder) -> dict[str, Any]:
        """``order`` as Alpaca's REST API returns it, in this account's timestamp style."""
        return order.to_json(self.style.iso)

    # -- lookups -------------------------------------------------------------------------

    def asset(self, symbol_or_id: str) -> SimAsset:
        """The asset with this symbol, position symbol or id.

        Raises:
            SimError: 404 if there is none.
        """
        for asset in self.assets.values():
            if symbol_or_id in (asset.symbol, asset.id, asset.position_symbol):
                return asset
        raise SimError(404, 40410000, "asset not found")

    def order(self, order_id: str) -> SimOrder:
        """The order with this id.

        Raises:
            SimError: 404 if there is none.
        """
        found = self.orders.get(order_id)
        if found is None:
            raise SimError(404, 40410000, "order not found")
        return found

    def order_by_client_id(self, client_order_id: str) -> SimOrder:
        """The order with this client order id.

        Raises:
            SimError: 404 if there is none.
        """
        for order in self.orders.values():
            if order.client_order_id == client_order_id:
                return order
        raise SimError(404, 40410000, "order not found")

    # -- account -------------------------------------------------------------------------

    def reserved_cash(self) -> Decimal:
        """Cash held by open buys: remaining qty times limit/stop/last price, or dollars left."""
        total = Decimal(0)
        for o in self.orders.values():
            if o.is_open and o.side == "buy":
                price = o.limit_price or o.stop_price or self.prices[o.asset.symbol]
                total += (
                    o.remaining_at(price) * price if o.qty is not None else o.remaining_notional
                )
        return total

    def account_json(self) -> dict[str, Any]:
        """The account object as ``GET /v2/account`` returns it."""
        long_value = sum(
            (p.qty * self.prices[p.asset.symbol] for p in self.positions.values() if p.qty > 0),
            Decimal(0),
        )
        power = format(self.cash - self.reserved_cash(), "f")
        equity = format(self.cash + long_value, "f")
        return {
            "id": self.account_id,
            "account_number": "PA3SIM000001",
            "status": "ACTIVE",
            "crypto_status": "ACTIVE",
            "currency": "USD",
            "buying_power": power,
            "regt_buying_power": power,
            "daytrading_buying_power": "0",
            "non_marginable_buying_power": power,
            "options_buying_power": power,
            "cash": format(self.cash, "f"),
            "accrued_fees": "0",
            "pending_transfer_in": "0",
            "portfolio_value": equity,
            "pattern_day_trader": False,
            "trading_blocked": False,
            "transfers_blocked": False,
            "account_blocked": False,
            "created_at": self.style.iso(self.created_at),
            "trade_suspended_by_user": False,
            "multiplier": "1",
            "shorting_enabled": False,
            "equity": equity,
            "last_equity": equity,
            "long_market_value": format(long_value, "f"),
            "short_market_value": "0",
            "position_market_value": format(long_value, "f"),
            "initial_margin": "0",
            "maintenance_margin": "0",
            "last_maintenance_margin": "0",
            "sma": "0",
            "daytrade_count": 0,
        }

    def positions_json(self) -> list[dict[str, Any]]:
        """Non-zero positions, valued at the last prices."""
        return [
            p.to_json(self.prices[p.asset.symbol]) for p in self.positions.values() if p.qty != 0
        ]

    # -- orders --------------------------------------------------------------------------

    def submit(self, body: Any) -> SimOrder:
        """Validate, check funds, accept and (if marketable) fill an order."""
        cloid = body.get("client_order_id") if isinstance(body, dict) else None
        if cloid is not None and not isinstance(cloid, str):
            raise SimError(422, 40010001, "invalid client_order_id")
        if cloid and any(o.client_order_id == cloid for o in self.orders.values()):
            raise SimError(422, 40010001, "client_order_id must be unique")
        order = order_from_request(body, self.assets, cloid)
        self._check_funds(order, self.prices[order.asset.symbol])
        self.orders[order.id] = order
        self.emit("new", order)
        self._match(order)
        return order

    def _check_funds(self, order: SimOrder, price: Decimal) -> None:
        qty = order.remaining_at(order.limit_price or price)
        if order.side == "buy":
            cost = order.notional or qty * (order.limit_price or price)
            available = self.cash - self.reserved_cash()
            if cost > available:
                raise SimError(403, 40310000, "insufficient buying power")
            return
        held = self.positions.get(order.asset.symbol)
        available_qty = held.qty if held else Decimal(0)
        committed = sum(
            (
                o.remaining_at(self.prices[o.asset.symbol])
                for o in self.orders.values()
                if o.is_open and o.side == "sell" and o.asset == order.asset
            ),
            Decimal(0),
        )
        if qty > available_qty - committed:
            raise SimError(
                403,
                40310000,
                f"insufficient qty available for order (requested: {qty}, "
                f"available: {available_qty - committed})",
            )

    def _marketable(self, order: SimOrder, price: Decimal) -> bool:
        if order.type == "market":
            return True
        if order.type == "limit":
            assert order.limit_price is not None
            return price <= order.limit_price if order.side == "buy" else price >= order.limit_price
        if order.type in ("stop", "stop_limit"):
            assert order.stop_price is not None
            triggered = (
                price >= order.stop_price if order.side == "buy" else price <= order.stop_price
            )
            if not triggered:
                return False
            if order.type == "stop":
                order.type = "market"
                return True
            order.type = "limit"
            return self._marketable(order, price)
        return False  # trailing stops rest in the simulator

    def _match(self, order: SimOrder) -> None:
        price = self.prices[order.asset.symbol]
        if self._marketable(order, price):
            self.fill(order.id, order.remaining_at(price), price)
        elif order.time_in_force in ("ioc", "fok"):
            self.cancel(order.id, reason="expired")

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move the market price and fill every order that becomes marketable."""
        self.prices[self.asset(symbol).symbol] = price
        for order in list(self.orders.values()):
            if order.is_open and order.asset.symbol == symbol:
                self._match(order)

    def fill(self, order_id: str, qty: Decimal, price: Decimal | None = None) -> dict[str, Any]:
        """Execute ``qty`` of an open order at ``price`` (its limit, or the market, by default)."""
        order = self.order(order_id)
        if not order.is_open:
            raise SimError(422, 42210000, f'order is already in "{order.status}" state')
        price = price or order.limit_price or self.prices[order.asset.symbol]
        qty = min(qty, order.remaining_at(price))
        if qty <= 0:
            raise SimError(422, 42210000, "nothing left to fill")
        now = order.touch()
        order.filled_qty += qty
        order.filled_cost += qty * price
        done = order.remaining_at(price) == 0
        order.status = "filled" if done else "partially_filled"
        if done:
            order.filled_at = now
        position = self.positions.setdefault(order.asset.symbol, SimPosition(order.asset))
        signed = qty if order.side == "buy" else -qty
        if order.side == "buy":
            position.cost += qty * price
            self.cash -= qty * price
        else:
            if position.qty:
                position.cost -= position.cost * qty / position.qty
            self.cash += qty * price
        position.qty += signed
        execution_id = str(uuid.uuid4())
        self._record_activity(order, qty, price, now, execution_id)
        return self.emit(
            "fill" if done else "partial_fill",
            order,
            execution_id=execution_id,
            timestamp=self.style.iso(now),
            price=format(price, "f"),
            qty=format(qty, "f"),
            position_qty=format(position.qty, "f"),
        )

    def _record_activity(
        self,
        order: SimOrder,
        qty: Decimal,
        price: Decimal,
        when: datetime,
        execution_id: str,
    ) -> None:
        # Activity ids are "<timestamp>::<uuid>" and page in that order.
        stamp = when.strftime("%Y%m%d%H%M%S%f")[:17]
        self.activities.append(
            {
                "id": f"{stamp}::{execution_id}",
                "activity_type": "FILL",
                "transaction_time": self.style.iso(when),
                "type": "fill" if order.status == "filled" else "partial_fill",
                "price": format(price, "f"),
                "qty": format(qty, "f"),
                "side": order.side,
                "symbol": order.asset.symbol,
                "leaves_qty": format(order.remaining_at(price), "f"),
                "order_id": order.id,
                "cum_qty": format(order.filled_qty, "f"),
                "order_status": order.status,
            }
        )

    def cancel(self, order_id: str, reason: str = "canceled") -> SimOrder:
        """Cancel (or, with ``reason='expired'``, expire) an open order and emit the event.

        Raises:
            SimError: 404 if unknown, 422 if the order is no longer open.
        """
        order = self.order(order_id)
        if not order.is_open:
            raise SimError(422, 42210000, f'order is already in "{order.status}" state')
        now = order.touch()
        order.status = reason
        if reason == "expired":
            order.expired_at = now
        else:
            order.canceled_at = now
        self.emit(reason, order, timestamp=self.style.iso(now))
        return order

    def replace(self, order_id: str, body: Any) -> SimOrder:
        """``PATCH /v2/orders/{id}``: a new order replaces the old one."""
        old = self.order(order_id)
        if not old.is_open:
            raise SimError(422, 42210000, f'order is already in "{old.status}" state')
        if not isinstance(body, dict):
            raise SimError(400, 40010000, "request body format is invalid")
        request = self._replacement(old, body)
        new = order_from_request(request, self.assets, request["client_order_id"])
        new.replaces = old.id
        now = old.touch()
        old.status, old.replaced_at, old.replaced_by = "replaced", now, new.id
        self.orders[new.id] = new
        self.emit("replaced", old, timestamp=self.style.iso(now))
        self._match(new)
        return new

    @staticmethod
    def _replacement(old: SimOrder, body: dict[str, Any]) -> dict[str, Any]:
        """The submit body of the order that replaces ``old`` (PATCH fields on top of it)."""
        request = old.to_json() | {k: v for k, v in body.items() if v is not None}
        if "qty" in body:
            request.pop("notional", None)
        trail = request.pop("trail", None)
        if trail is not None:  # PATCH's ``trail`` is whichever of the two the order has
            request["trail_percent" if old.trail_percent is not None else "trail_price"] = trail
        request["client_order_id"] = body.get("client_order_id") or str(uuid.uuid4())
        return request

    def set_status(self, order_id: str, status: str) -> SimOrder:
        """Put an order in any state (Alpaca's rarer ones, or one it may add) for tests."""
        order = self.order(order_id)
        order.status = status
        order.touch()
        return order

    def fill_activities(self) -> list[dict[str, Any]]:
        """Fill activities so far, oldest first."""
        return list(self.activities)

    # -- events --------------------------------------------------------------------------

    def emit(self, event: str, order: SimOrder, **extra: Any) -> dict[str, Any]:
        """Send a trade-update event about ``order`` to every listener.

        Returns:
            The event's data.
        """
        data: dict[str, Any] = {"event": event, **extra, "order": self.order_json(order)}
        if event == "new":
            data["timestamp"] = self.style.iso(order.created_at)
        self.last_event = data
        for listener in list(self.listeners):
            listener(data)
        return data

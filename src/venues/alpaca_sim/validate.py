"""Validation of ``POST /v2/orders`` (and ``PATCH``) bodies, refused as Alpaca refuses them.

Written from Alpaca's documentation, independently of the adapter (no shared code):

- https://docs.alpaca.markets/reference/postorder: required fields, ``qty`` xor ``notional``,
  notional equity orders are market orders, ``extended_hours`` only on ``limit`` + ``day``.
- https://docs.alpaca.markets/docs/crypto-orders: crypto types ``market``, ``limit``,
  ``stop_limit``; time in force ``gtc`` or ``ioc``.
- https://docs.alpaca.markets/docs/fractional-trading: fractional and notional equity orders
  are ``day`` orders.
- Alpaca's sub-penny rule: equity prices carry at most two decimals at or above $1.00 and at
  most four below ("sub-penny increment does not fulfill minimum pricing criteria").

Refusals are HTTP 422 with Alpaca's ``{"code", "message"}`` body.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from src.venues.alpaca_sim.catalog import SimAsset
from src.venues.alpaca_sim.orders import SimError, SimOrder

EQUITY_TIF = frozenset({"day", "gtc", "opg", "cls", "ioc", "fok"})
CRYPTO_TIF = frozenset({"gtc", "ioc"})
ORDER_TYPES = frozenset({"market", "limit", "stop", "stop_limit", "trailing_stop"})
CRYPTO_ORDER_TYPES = frozenset({"market", "limit", "stop_limit"})
RULE_CODE = 42210000  # Alpaca's code for an order its trading rules refuse


def unprocessable(message: str, code: int = 40010001) -> SimError:
    """A 422 ``SimError`` with Alpaca's validation code."""
    return SimError(422, code, message)


def number(body: dict[str, Any], name: str) -> Decimal | None:
    """``body[name]`` as a Decimal, or None if absent or empty.

    Raises:
        SimError: 422 if the value is not a number.
    """
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise unprocessable(f"invalid {name}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise unprocessable(f"invalid {name}") from None
    if not result.is_finite() or result <= 0:
        raise unprocessable(f"{name} must be > 0")
    return result


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _check_penny(order: SimOrder) -> None:
    if order.asset.is_crypto:
        return
    for name in ("limit_price", "stop_price"):
        price = getattr(order, name)
        if price is not None and _decimals(price) > (2 if price >= 1 else 4):
            raise unprocessable(
                f"invalid {name} {price}. sub-penny increment does not fulfill minimum "
                "pricing criteria",
                RULE_CODE,
            )


def _check_type_fields(order: SimOrder) -> None:
    needs_limit = order.type in ("limit", "stop_limit")
    needs_stop = order.type in ("stop", "stop_limit")
    if needs_limit and order.limit_price is None:
        raise unprocessable("limit_price is required for limit orders")
    if not needs_limit and order.limit_price is not None:
        raise unprocessable(f"limit_price must not be set for {order.type} orders")
    if needs_stop and order.stop_price is None:
        raise unprocessable("stop_price is required for stop orders")
    if order.type == "trailing_stop":
        if (order.trail_price is None) == (order.trail_percent is None):
            raise unprocessable("exactly one of trail_price or trail_percent is required")
    elif order.trail_price is not None or order.trail_percent is not None:
        raise unprocessable("trail_price and trail_percent are only for trailing_stop orders")
    _check_penny(order)


def _check_crypto(order: SimOrder) -> None:
    if order.type not in CRYPTO_ORDER_TYPES:
        raise unprocessable(f"invalid order type for crypto order: {order.type}", RULE_CODE)
    if order.time_in_force not in CRYPTO_TIF:
        raise unprocessable(f"invalid crypto time_in_force: {order.time_in_force}", RULE_CODE)
    if order.extended_hours:
        raise unprocessable("extended hours is not supported for crypto orders", RULE_CODE)
    minimum = order.asset.min_order_size or Decimal(0)
    if order.qty is not None and order.qty < minimum:
        raise unprocessable(f"qty must be >= {minimum}")


def _check_quantity(order: SimOrder) -> None:
    asset = order.asset
    if (order.qty is None) == (order.notional is None):
        raise unprocessable("qty or notional is required, but not both")
    if asset.is_crypto:
        _check_crypto(order)
        return
    if order.notional is not None and order.type != "market":
        raise unprocessable("notional orders are only allowed for market orders")
    if order.time_in_force not in EQUITY_TIF:
        raise unprocessable(f"invalid time_in_force: {order.time_in_force}")
    fractional = order.notional is not None or (
        order.qty is not None and order.qty != order.qty.to_integral_value()
    )
    if fractional and not asset.fractionable:
        raise unprocessable(f"asset {asset.symbol} is not fractionable")
    if fractional and order.time_in_force != "day":
        raise unprocessable("fractional orders must be DAY orders", RULE_CODE)
    if order.extended_hours and (order.type != "limit" or order.time_in_force != "day"):
        raise unprocessable("extended hours order must be DAY limit orders", RULE_CODE)


def order_from_request(
    body: Any, asset_lookup: dict[str, SimAsset], client_order_id: str | None
) -> SimOrder:
    """Validate a submit body and build the order, or raise ``SimError`` as Alpaca would."""
    if not isinstance(body, dict):
        raise SimError(400, 40010000, "request body format is invalid")
    symbol = body.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise unprocessable("symbol is required")
    asset = asset_lookup.get(symbol) or asset_lookup.get(symbol.upper())
    if asset is None:
        raise unprocessable(f'could not find asset "{symbol}"')
    if not asset.tradable or asset.status != "active":
        raise unprocessable(f"asset {symbol} is not tradable")
    side = body.get("side")
    if side not in ("buy", "sell"):
        raise unprocessable("side must be buy or sell")
    order_type = body.get("type", body.get("order_type"))
    if order_type not in ORDER_TYPES:
        raise unprocessable(f"invalid order type: {order_type}")
    tif = body.get("time_in_force")
    if not isinstance(tif, str):
        raise unprocessable("time_in_force is required")
    extended = body.get("extended_hours", False)
    if not isinstance(extended, bool):
        raise unprocessable("invalid extended_hours")
    order = SimOrder(
        asset=asset,
        side=side,
        type=order_type,
        time_in_force=tif,
        client_order_id=client_order_id or str(uuid.uuid4()),
        qty=number(body, "qty"),
        notional=number(body, "notional"),
        limit_price=number(body, "limit_price"),
        stop_price=number(body, "stop_price"),
        trail_price=number(body, "trail_price"),
        trail_percent=number(body, "trail_percent"),
        extended_hours=extended,
    )
    _check_quantity(order)
    _check_type_fields(order)
    return order

"""Alpaca's order rules, checked before anything is sent, on submit and on replace alike.

Each rule is Alpaca's own, so an order Alpaca would refuse is refused here with a message that
says which rule and what to change, and nothing reaches the venue:

- Crypto (https://docs.alpaca.markets/docs/crypto-orders): types ``market``, ``limit`` and
  ``stop_limit`` only; time in force ``gtc`` or ``ioc`` only; no ``extended_hours`` (crypto
  trades around the clock).
- Fractional and notional equity orders (https://docs.alpaca.markets/docs/fractional-trading):
  time in force ``day`` only; notional equity orders are market orders only.
- ``extended_hours`` (https://docs.alpaca.markets/reference/postorder): equities, ``limit``
  orders with time in force ``day`` only.
- Prices of equities (Alpaca's sub-penny rule, https://docs.alpaca.markets/docs/orders-at-alpaca):
  at most two decimals at or above $1.00, at most four below. Prices are rounded onto that grid,
  never in the aggressive direction; crypto uses the asset's ``price_increment``.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from src.brokers.alpaca.config import AlpacaTimeInForce
from src.core.errors import InvalidOrderError
from src.core.instruments import Instrument

CRYPTO_ORDER_TYPES = frozenset({"market", "limit", "stop_limit"})
CRYPTO_TIME_IN_FORCE = frozenset({AlpacaTimeInForce.GTC, AlpacaTimeInForce.IOC})
CENT = Decimal("0.01")
SUB_DOLLAR_TICK = Decimal("0.0001")
_ONE = Decimal(1)

# Core names of Alpaca's wire types, so a refusal speaks the caller's language.
_CORE_NAME = {
    "market": "market",
    "limit": "limit",
    "stop": "stop-loss",
    "stop_limit": "stop-loss-limit",
    "trailing_stop": "trailing-stop",
}


def is_crypto(symbol: str) -> bool:
    """Alpaca crypto pairs are written "BTC/USD"; equities are bare tickers."""
    return "/" in symbol


def is_fractional(quantity: Decimal | None) -> bool:
    """True for a quantity that is not a whole number of shares."""
    return quantity is not None and quantity != quantity.to_integral_value()


def equity_tick(price: Decimal) -> Decimal:
    """The price grid of an equity at ``price``: $0.01 from $1.00 up, $0.0001 below."""
    return CENT if price >= _ONE else SUB_DOLLAR_TICK


def round_price(instrument: Instrument, price: Decimal, side: str) -> Decimal:
    """``price`` on Alpaca's grid for ``instrument``: buys rounded down, sells up.

    Rounding away from the aggressive side means an order never pays more, or sells for less,
    than the caller asked. A sub-dollar sell that rounds up to $1.0000 is written ``1.00``.
    """
    if is_crypto(instrument.symbol):
        return instrument.round_price(price, side)
    rounding = ROUND_FLOOR if side == "buy" else ROUND_CEILING
    tick = equity_tick(price)
    rounded = (price / tick).to_integral_value(rounding) * tick
    return rounded.quantize(equity_tick(rounded))


def check(
    symbol: str,
    *,
    wire_type: str,
    time_in_force: AlpacaTimeInForce | None,
    fractional: bool = False,
    notional: bool = False,
    extended_hours: bool = False,
) -> None:
    """Refuse an order (or a replacement) that breaks one of Alpaca's rules.

    Args:
        symbol: "AAPL" or "BTC/USD".
        wire_type: Alpaca's ``type`` (``market``, ``limit``, ``stop``, ...).
        time_in_force: the value that would be sent (None: not known, its rules are skipped).
        fractional: the quantity is not a whole number of shares.
        notional: the order is for a dollar amount rather than a quantity.
        extended_hours: the order asks to trade outside regular hours.

    Raises:
        InvalidOrderError: naming the rule and what Alpaca accepts instead.
    """
    tif = "?" if time_in_force is None else time_in_force.value
    kind = _CORE_NAME.get(wire_type, wire_type)
    if is_crypto(symbol):
        if wire_type not in CRYPTO_ORDER_TYPES:
            raise InvalidOrderError(
                f"{symbol}: Alpaca takes crypto orders only as market, limit or stop-loss-limit "
                f"(stop_limit), not {kind}"
            )
        if time_in_force is not None and time_in_force not in CRYPTO_TIME_IN_FORCE:
            raise InvalidOrderError(
                f"{symbol}: Alpaca takes crypto orders only with time_in_force gtc or ioc, "
                f"not {tif}"
            )
        if extended_hours:
            raise InvalidOrderError(
                f"{symbol}: extended_hours is for equities; crypto trades around the clock"
            )
        return
    if notional and wire_type != "market":
        raise InvalidOrderError(
            f"{symbol}: notional: Alpaca takes notional equity orders only as market, not {kind}"
        )
    if time_in_force is None:
        return
    if (fractional or notional) and time_in_force is not AlpacaTimeInForce.DAY:
        what = "notional" if notional else "fractional"
        raise InvalidOrderError(
            f"{symbol}: {what} equity orders must be DAY orders on Alpaca "
            f"(time_in_force day), not {tif}"
        )
    if extended_hours and (wire_type != "limit" or time_in_force is not AlpacaTimeInForce.DAY):
        raise InvalidOrderError(
            f"{symbol}: extended_hours: Alpaca takes extended-hours orders only as limit orders "
            f"with time_in_force day, not {kind} {tif}"
        )

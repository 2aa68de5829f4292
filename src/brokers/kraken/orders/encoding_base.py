"""The encoder's shared parts: the client order id check, price rounding, ``KrakenCall``.

Part of the one Kraken order encoder (``orders/encoding.py`` re-exports every name here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from src.core.decimals import to_plain_string
from src.core.errors import InvalidOrderError
from src.core.instruments import Instrument

_UUID_LONG = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_UUID_SHORT = re.compile(r"^[0-9a-fA-F]{32}$")


def check_client_order_id(value: str) -> str:
    """Kraken's ``cl_ord_id`` forms: long UUID, 32-hex short UUID, or ≤ 18 printable ASCII chars.

    Raises:
        InvalidOrderError: any other form (Kraken would refuse the order).
    """
    if _UUID_LONG.match(value) or _UUID_SHORT.match(value):
        return value
    if len(value) <= 18 and value.isascii() and value.isprintable():
        return value
    raise InvalidOrderError(
        f"client_order_id {value!r}: Kraken accepts a UUID (36 chars or 32 hex) or at most "
        "18 ASCII characters"
    )


def round_limit(price: Decimal, inst: Instrument | None, side: str | None) -> Decimal:
    """A limit price on the tick, never more aggressive; nearest tick when the side is unknown."""
    if inst is None:
        return price
    if side is None:
        return round_trigger(price, inst)
    return inst.round_price(price, side)


def round_trigger(price: Decimal, inst: Instrument | None) -> Decimal:
    """A trigger price on the nearest tick (a trigger has no aggressive direction)."""
    if inst is None:
        return price
    return (price / inst.price_tick).to_integral_value(ROUND_HALF_EVEN) * inst.price_tick


def _qty(value: Decimal, inst: Instrument | None) -> Decimal:
    return value if inst is None else inst.round_quantity(value)


def _s(value: Decimal) -> str:
    return to_plain_string(value)


@dataclass(frozen=True)
class KrakenCall:
    """One order request, rendered for both transports.

    Attributes:
        rest_method: the REST endpoint ("AddOrder").
        rest: its form fields, every value a plain string.
        ws_method: the WS v2 method ("add_order"), or None when WS v2 cannot carry it.
        ws: the WS v2 ``params`` (numbers as Decimal), or None.
        pair: Kraken's altname the call trades on ("" when not tied to one pair).
    """

    rest_method: str
    rest: dict[str, Any]
    ws_method: str | None = None
    ws: dict[str, Any] | None = None
    pair: str = ""

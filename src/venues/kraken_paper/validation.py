"""Parsing of parameter values (numbers, booleans, times, ids) with Kraken's error strings.

Order requests are parsed in ``order_parse.py`` on top of these.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from src.venues.kraken_paper import errors as E
from src.venues.kraken_paper.errors import KrakenError, invalid_arguments, invalid_price_decimals
from src.venues.kraken_paper.pairs import PairSpec

_CL_ORD_ID = re.compile(
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{32}|[\x21-\x7e]{1,18})$"
)
INT32 = 2**31


def parse_bool(value: Any, name: str) -> bool:
    """Kraken booleans: ``True``/``true``/``false``/``1``/``0`` (case-insensitive) or JSON bool."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise invalid_arguments(name)


def parse_decimal(value: Any, name: str) -> Decimal:
    """A finite decimal from a string or JSON number, else ``EGeneral:Invalid arguments:<name>``."""
    if isinstance(value, bool) or value is None:
        raise invalid_arguments(name)
    try:
        result = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        raise invalid_arguments(name) from None
    # Absurd magnitudes would overflow Decimal arithmetic later; Kraken rejects them as arguments.
    if not result.is_finite() or result.adjusted() > 20 or result.adjusted() < -20:
        raise invalid_arguments(name)
    return result


def parse_int(value: Any, name: str, lo: int = -INT32, hi: int = INT32 - 1) -> int:
    """An integer in [lo, hi], else ``EGeneral:Invalid arguments:<name>``."""
    if isinstance(value, bool):
        raise invalid_arguments(name)
    try:
        result = int(str(value).strip())
    except ValueError:
        raise invalid_arguments(name) from None
    if not lo <= result <= hi:
        raise invalid_arguments(name)
    return result


def decimals_of(value: Decimal) -> int:
    """Number of decimals written (trailing zeros ignored)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def check_price(spec: PairSpec, value: Any, name: str) -> Decimal:
    """Parse a price and enforce the pair's decimals and tick size."""
    price = parse_decimal(value, name)
    if price <= 0:
        raise KrakenError(f"EOrder:Invalid price:{spec.key} price must be positive.")
    if decimals_of(price) > spec.pair_decimals:
        raise invalid_price_decimals(spec.key, spec.pair_decimals)
    if price % spec.tick_size != 0:
        raise KrakenError(E.TICK_SIZE)
    return price


def check_volume(spec: PairSpec, value: Any) -> Decimal:
    """Parse a volume and enforce lot decimals and positivity."""
    volume = parse_decimal(value, "volume")
    if volume <= 0 or decimals_of(volume) > spec.lot_decimals:
        raise invalid_arguments("volume")
    return volume


def check_minimums(spec: PairSpec, volume: Decimal, price: Decimal) -> None:
    """``EOrder:Order minimum not met`` / ``EOrder:Cost minimum not met``."""
    if volume < spec.ordermin:
        raise KrakenError(E.ORDER_MINIMUM)
    if volume * price < spec.costmin:
        raise KrakenError(E.COST_MINIMUM)


def parse_time(value: Any, now: float, name: str) -> float | None:
    """``0``/absent = none, ``+n`` = n seconds from now, else a unix timestamp."""
    if value is None or str(value).strip() in ("", "0"):
        return None
    text = str(value).strip()
    if text.startswith("+"):
        return now + float(parse_decimal(text[1:], name))
    return float(parse_decimal(text, name))


def check_cl_ord_id(value: Any) -> str:
    """A long UUID, a 32-hex short UUID, or free text of at most 18 printable ASCII characters."""
    text = str(value)
    if not _CL_ORD_ID.match(text):
        raise invalid_arguments("cl_ord_id")
    return text

"""Parsing and validation of order parameters with Kraken's error strings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from src.venues.kraken_paper import errors as E
from src.venues.kraken_paper.errors import KrakenError, invalid_arguments, invalid_price_decimals
from src.venues.kraken_paper.pairs import PairSpec, resolve_pair

ORDER_TYPES = (
    "market", "limit", "stop-loss", "take-profit", "stop-loss-limit", "take-profit-limit",
)  # fmt: skip
KNOWN_UNSUPPORTED = ("iceberg", "trailing-stop", "trailing-stop-limit", "settle-position")
OFLAGS = ("post", "fcib", "fciq", "nompp", "viqc")
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


@dataclass
class OrderRequest:
    """A validated AddOrder request (no account state checked yet)."""

    spec: PairSpec
    side: str
    ordertype: str
    volume: Decimal
    price: Decimal | None
    price2: Decimal | None
    userref: int | None
    cl_ord_id: str | None
    oflags: tuple[str, ...]
    timeinforce: str
    expiretm: float | None
    validate: bool
    close: CloseTerms | None = None


@dataclass(frozen=True)
class CloseTerms:
    """A conditional close (``close[ordertype]``, ``close[price]``, ``close[price2]``)."""

    ordertype: str
    price: Decimal
    price2: Decimal | None


CLOSE_TYPES = ("limit", "stop-loss", "take-profit", "stop-loss-limit", "take-profit-limit")


def parse_close(spec: PairSpec, value: Any) -> CloseTerms | None:
    """The close terms of AddOrder (form ``close[...]`` keys or a JSON ``close`` object).

    Raises:
        KrakenError: ``EGeneral:Invalid arguments:close[<field>]`` for a missing or bad one.
    """
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict):
        raise invalid_arguments("close")
    ordertype = str(value.get("ordertype") or "").lower()
    if ordertype not in CLOSE_TYPES:
        raise invalid_arguments("close[ordertype]")
    if value.get("price") in (None, ""):
        raise invalid_arguments("close[price]")
    price = check_price(spec, value["price"], "close[price]")
    price2 = None
    if ordertype.endswith("-limit"):
        if value.get("price2") in (None, ""):
            raise invalid_arguments("close[price2]")
        price2 = check_price(spec, value["price2"], "close[price2]")
    return CloseTerms(ordertype, price, price2)


def parse_oflags(value: Any, ordertype: str, side: str) -> tuple[str, ...]:
    """Comma-list of order flags with Kraken's combination rules."""
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list) else str(value).split(",")
    flags = tuple(dict.fromkeys(str(f).strip() for f in items if str(f).strip()))
    if any(f not in OFLAGS for f in flags) or {"fcib", "fciq"} <= set(flags):
        raise invalid_arguments("oflags")
    if "post" in flags and ordertype != "limit":
        raise invalid_arguments("oflags")
    if "viqc" in flags and (ordertype != "market" or side != "buy"):
        raise invalid_arguments("oflags")
    return flags


def _parse_prices(
    params: dict[str, Any], spec: PairSpec, ordertype: str
) -> tuple[Decimal | None, Decimal | None]:
    """``price`` (required unless market) and ``price2`` (required by ``*-limit`` types).

    Raises:
        KrakenError: A required price is missing, or a price is malformed or off the tick.
    """
    price = price2 = None
    if ordertype != "market":
        if params.get("price") in (None, ""):
            raise invalid_arguments("price")
        price = check_price(spec, params["price"], "price")
    if ordertype.endswith("-limit"):
        if params.get("price2") in (None, ""):
            raise invalid_arguments("price2")
        price2 = check_price(spec, params["price2"], "price2")
    return price, price2


def _parse_expiry(params: dict[str, Any], now: float) -> tuple[str, float | None]:
    """Time in force and its expiry; ``expiretm`` counts only for GTD, at least 5 s ahead.

    Raises:
        KrakenError: An unknown ``timeinforce``, or a GTD order without a valid ``expiretm``.
    """
    tif = str(params.get("timeinforce") or "GTC").upper()
    if tif not in ("GTC", "IOC", "GTD"):
        raise invalid_arguments("timeinforce")
    expiretm = parse_time(params.get("expiretm"), now, "expiretm")
    if tif == "GTD" and (expiretm is None or expiretm < now + 5):
        raise invalid_arguments("expiretm")
    if tif != "GTD":
        expiretm = None
    return tif, expiretm


def parse_order(params: dict[str, Any], now: float, last_price: Any = None) -> OrderRequest:
    """Validate AddOrder parameters (also used for each AddOrderBatch entry).

    Args:
        params: Request parameters (form strings or JSON values).
        now: Exchange time, for relative ``expiretm``.
        last_price: Callable pair_key -> last price, used for market-order cost minimums.
    """
    if not params.get("pair"):
        raise invalid_arguments("pair")
    spec = resolve_pair(str(params["pair"]))
    side = str(params.get("type", "")).lower()
    if side not in ("buy", "sell"):
        raise invalid_arguments("type")
    ordertype = str(params.get("ordertype", "")).lower()
    if ordertype not in ORDER_TYPES:
        raise invalid_arguments("ordertype")
    if params.get("volume") in (None, ""):
        raise invalid_arguments("volume")
    oflags = parse_oflags(params.get("oflags"), ordertype, side)
    volume = (
        parse_decimal(params["volume"], "volume") if "viqc" in oflags
        else check_volume(spec, params["volume"])
    )  # fmt: skip
    price, price2 = _parse_prices(params, spec, ordertype)
    userref = (
        parse_int(params["userref"], "userref") if params.get("userref") not in (None, "") else None
    )
    cl_ord_id = check_cl_ord_id(params["cl_ord_id"]) if params.get("cl_ord_id") else None
    if userref is not None and cl_ord_id is not None:
        raise invalid_arguments("cl_ord_id")
    tif, expiretm = _parse_expiry(params, now)
    ref_price = price2 or price or (last_price(spec.key) if last_price else None)
    if "viqc" not in oflags and ref_price is not None:
        check_minimums(spec, volume, Decimal(ref_price))
    return OrderRequest(
        spec, side, ordertype, volume, price, price2, userref, cl_ord_id, oflags, tif, expiretm,
        parse_bool(params.get("validate"), "validate"), parse_close(spec, params.get("close")),
    )  # fmt: skip

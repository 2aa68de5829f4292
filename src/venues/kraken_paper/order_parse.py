"""AddOrder parameters to a validated request, with Kraken's error strings.

Every order type Kraken's spot REST takes but ``settle-position`` (margin only): market, limit,
iceberg (``displayvol``), stop-loss, take-profit, their ``-limit`` variants, trailing-stop and
trailing-stop-limit; relative prices (``prices.py``); conditional close terms; self-trade
prevention (``stptype``); scheduled start (``starttm``), expiry (``expiretm``) and
``deadline``. Docs: rest-api/add-order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from src.venues.kraken_paper.errors import KrakenError, invalid_arguments
from src.venues.kraken_paper.pairs import PairSpec, resolve_pair
from src.venues.kraken_paper.prices import Offset, parse_prices
from src.venues.kraken_paper.validation import (
    check_cl_ord_id,
    check_minimums,
    check_price,
    check_volume,
    parse_bool,
    parse_decimal,
    parse_int,
    parse_time,
)

ORDER_TYPES = (
    "market", "limit", "iceberg", "stop-loss", "take-profit", "stop-loss-limit",
    "take-profit-limit", "trailing-stop", "trailing-stop-limit",
)  # fmt: skip
OFLAGS = ("post", "fcib", "fciq", "nompp", "viqc")
STP_TYPES = ("cancel-newest", "cancel-oldest", "cancel-both")
CLOSE_TYPES = ("limit", "stop-loss", "take-profit", "stop-loss-limit", "take-profit-limit")
DEADLINE = "EService:Deadline elapsed"
MAX_DEADLINE_S = 60.0


@dataclass(frozen=True)
class CloseTerms:
    """A conditional close (``close[ordertype]``, ``close[price]``, ``close[price2]``)."""

    ordertype: str
    price: Decimal
    price2: Decimal | None


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
    trail: Offset | None = None
    limit_offset: Offset | None = None
    displayvol: Decimal | None = None
    stptype: str = "cancel-newest"
    starttm: float | None = None


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
    if "post" in flags and ordertype not in ("limit", "iceberg"):
        raise invalid_arguments("oflags")
    if "viqc" in flags and (ordertype != "market" or side != "buy"):
        raise invalid_arguments("oflags")
    return flags


def _times(params: dict[str, Any], now: float) -> tuple[str, float | None, float | None]:
    """Time in force, expiry and scheduled start.

    ``expiretm`` also expires a GTC order (assumed: Kraken's docs tie it to GTD, older ones
    to any order); an expiry at least 5 s ahead, and after the start, is required for GTD.

    Raises:
        KrakenError: An unknown ``timeinforce``, a GTD order without a valid ``expiretm``, or
            an IOC order scheduled for later.
    """
    tif = str(params.get("timeinforce") or "GTC").upper()
    if tif not in ("GTC", "IOC", "GTD"):
        raise invalid_arguments("timeinforce")
    starttm = parse_time(params.get("starttm"), now, "starttm")
    if starttm is not None and starttm <= now:
        starttm = None  # a start in the past is now
    if starttm is not None and tif == "IOC":
        raise invalid_arguments("starttm")
    expiretm = parse_time(params.get("expiretm"), now, "expiretm")
    earliest = max(now, starttm or now) + 5
    if expiretm is not None and expiretm < earliest:
        raise invalid_arguments("expiretm")
    if tif == "GTD" and expiretm is None:
        raise invalid_arguments("expiretm")
    return tif, expiretm if tif != "IOC" else None, starttm


def check_deadline(value: Any, now: float) -> None:
    """``deadline`` (RFC3339): past it, ``EService:Deadline elapsed``; over 60 s ahead, refused.

    The paper engine answers at once, so a deadline elapses only when the request reached it
    late (injected latency, a slow client clock).
    """
    if value in (None, ""):
        return
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise invalid_arguments("deadline") from None
    if when < now:
        raise KrakenError(DEADLINE)
    if when > now + MAX_DEADLINE_S:
        raise invalid_arguments("deadline")


def _iceberg(params: dict[str, Any], spec: PairSpec, ordertype: str, volume: Decimal) -> Any:
    """``displayvol``: iceberg only, at least 1/15 of the volume and not above it."""
    raw = params.get("displayvol")
    if ordertype != "iceberg":
        return None
    if raw in (None, ""):
        raise invalid_arguments("displayvol")
    shown = check_volume(spec, raw)
    if shown * 15 < volume or shown > volume:
        raise invalid_arguments("displayvol")
    return shown


def _basics(params: dict[str, Any]) -> tuple[PairSpec, str, str]:
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
    return spec, side, ordertype


def _ids(params: dict[str, Any]) -> tuple[int | None, str | None]:
    raw_ref = params.get("userref")
    userref = parse_int(raw_ref, "userref") if raw_ref not in (None, "") else None
    cl_ord_id = check_cl_ord_id(params["cl_ord_id"]) if params.get("cl_ord_id") else None
    if userref is not None and cl_ord_id is not None:
        raise invalid_arguments("cl_ord_id")
    return userref, cl_ord_id


def _stp(params: dict[str, Any]) -> str:
    stp = str(params.get("stptype") or "cancel-newest").lower().replace("_", "-")
    if stp not in STP_TYPES:
        raise invalid_arguments("stptype")
    return stp


def parse_order(
    params: dict[str, Any], now: float, last_price: Callable[[str], Decimal] | None = None
) -> OrderRequest:
    """Validate AddOrder parameters (also used for each AddOrderBatch entry).

    Args:
        params: Request parameters (form strings or JSON values).
        now: Exchange time, for relative times and the deadline.
        last_price: pair key -> last price: relative prices, trails, market-order minimums.
    """
    spec, side, ordertype = _basics(params)
    check_deadline(params.get("deadline"), now)
    oflags = parse_oflags(params.get("oflags"), ordertype, side)
    viqc = "viqc" in oflags
    raw_volume = params["volume"]
    volume = parse_decimal(raw_volume, "volume") if viqc else check_volume(spec, raw_volume)
    last = last_price(spec.key) if last_price else Decimal(0)
    terms = parse_prices(params, spec, ordertype, side, last)
    userref, cl_ord_id = _ids(params)
    tif, expiretm, starttm = _times(params, now)
    ref_price = terms.price2 or terms.price or (last if last_price else None)
    if not viqc and ref_price is not None:
        check_minimums(spec, volume, Decimal(ref_price))
    return OrderRequest(
        spec, side, ordertype, volume, terms.price, terms.price2, userref, cl_ord_id, oflags,
        tif, expiretm, parse_bool(params.get("validate"), "validate"),
        parse_close(spec, params.get("close")), terms.trail, terms.limit_offset,
        _iceberg(params, spec, ordertype, volume), _stp(params), starttm,
    )  # fmt: skip


__all__ = [
    "CLOSE_TYPES", "DEADLINE", "ORDER_TYPES", "OrderRequest", "check_deadline",
    "parse_close", "parse_oflags", "parse_order",
]  # fmt: skip

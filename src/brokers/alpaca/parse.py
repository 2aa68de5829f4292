"""Pure conversions from Alpaca's JSON (orders, positions, account, assets, fills) to core types.

Anything that is not the documented shape raises ``MalformedResponseError`` naming the field,
never a bare ``KeyError``; the one exception is an order status Alpaca may add later, which
maps to ``OrderStatus.UNKNOWN`` (see ``order_status``). Field names:
https://docs.alpaca.markets/reference (order, position, account, asset, account activity) and
/docs/websocket-streaming (trade_updates).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog

from src.core.errors import MalformedResponseError
from src.core.execution import (
    AccountBalances,
    Balance,
    Fill,
    OrderStatus,
    OrderType,
    Position,
    Side,
)
from src.core.instruments import Instrument, InstrumentStatus

log = structlog.get_logger(__name__)

# Every order state Alpaca documents (https://docs.alpaca.markets/docs/orders-at-alpaca#order-
# lifecycle; the same 18 values as alpaca-py's ``OrderStatus``). None of them is final unless
# Alpaca says the order can change no more; "not yet working" states are PENDING.
ORDER_STATUS: dict[str, OrderStatus] = {
    "new": OrderStatus.OPEN,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "done_for_day": OrderStatus.OPEN,  # resumes next session
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "replaced": OrderStatus.CANCELED,  # superseded by the order in ``replaced_by``
    "pending_cancel": OrderStatus.OPEN,  # may still fill until the cancel lands
    "pending_replace": OrderStatus.OPEN,  # likewise
    "pending_review": OrderStatus.PENDING,  # compliance review before it is routed
    "accepted": OrderStatus.PENDING,
    "pending_new": OrderStatus.PENDING,
    "accepted_for_bidding": OrderStatus.PENDING,
    "stopped": OrderStatus.OPEN,  # a trade is guaranteed but has not happened yet
    "rejected": OrderStatus.REJECTED,
    "suspended": OrderStatus.OPEN,  # not eligible for trading for now, not final
    "calculated": OrderStatus.OPEN,  # done for the day, settlement pending (see orders.py)
    "held": OrderStatus.PENDING,  # a bracket leg waiting for its parent to fill
}
# A status Alpaca adds later must not fail a whole order list: it is reported as UNKNOWN (not
# final, so the order stays tracked and its symbol is treated as unresolved) and logged once.
UNKNOWN_STATUS = OrderStatus.UNKNOWN
_REPORTED_UNKNOWN: set[str] = set()

ORDER_TYPE: dict[str, OrderType] = {
    "market": OrderType.MARKET,
    "limit": OrderType.LIMIT,
    "stop": OrderType.STOP_LOSS,
    "stop_limit": OrderType.STOP_LOSS_LIMIT,
    "trailing_stop": OrderType.TRAILING_STOP,
}

_CRYPTO_QUOTES = ("USDT", "USDC", "USD", "BTC")
EQUITY_TICK = Decimal("0.01")
FRACTIONAL_LOT = Decimal("0.000000001")
FRACTIONAL_MIN_NOTIONAL = Decimal("1")


def field(payload: Mapping[str, Any], name: str, what: str) -> Any:
    """A required field, or ``MalformedResponseError`` naming it."""
    if not isinstance(payload, Mapping) or payload.get(name) is None:
        raise MalformedResponseError(f"Alpaca {what} has no {name!r}", raw=str(payload)[:200])
    return payload[name]


def dec(value: Any, name: str) -> Decimal:
    """Parse a decimal string or number from Alpaca."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise MalformedResponseError(f"Alpaca field {name!r} is not a number: {value!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise MalformedResponseError(f"Alpaca field {name!r} is not a number: {value!r}") from None
    if not result.is_finite():
        raise MalformedResponseError(f"Alpaca field {name!r} is not finite: {value!r}")
    return result


def opt_dec(payload: Mapping[str, Any], name: str) -> Decimal | None:
    """``payload[name]`` as a Decimal, or None if absent or empty.

    Raises:
        MalformedResponseError: The value is not a number.
    """
    value = payload.get(name)
    return None if value in (None, "") else dec(value, name)


_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2})(?:[.,](?P<fraction>\d+))?"
    r"(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?",
    re.ASCII,
)


def _zone(text: str) -> tzinfo:
    if text in ("Z", "z"):
        return UTC
    hours, minutes = int(text[1:3]), int(text[-2:])
    if minutes >= 60:
        raise ValueError(text)
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if text[0] == "-" else offset)  # ValueError beyond +-24h


def timestamp(value: Any, name: str) -> datetime:
    """Parse an RFC 3339 timestamp as Alpaca writes it into a UTC datetime.

    Alpaca writes ``Z`` or a numeric offset (``-05:00`` on ``/v2/clock``), with no fraction or
    up to nine fractional digits. The instant is kept: the offset is applied, and the fraction
    is truncated to the microseconds a ``datetime`` holds (never rounded, which could carry
    into the next second).

    Raises:
        MalformedResponseError: Not a timestamp, or one without a UTC offset.
    """
    match = _RFC3339.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise MalformedResponseError(f"Alpaca field {name!r} is not a timestamp: {value!r}")
    if match["zone"] is None:
        # A local time without an offset is ambiguous (Alpaca's local time is New York's).
        raise MalformedResponseError(f"Alpaca field {name!r} has no UTC offset: {value!r}")
    micros = (match["fraction"] or "")[:6].ljust(6, "0")
    try:
        zone = _zone(match["zone"])
        parsed = datetime.fromisoformat(f"{match['date']}T{match['time']}.{micros}")
    except ValueError:
        raise MalformedResponseError(
            f"Alpaca field {name!r} is not a timestamp: {value!r}"
        ) from None
    return parsed.replace(tzinfo=zone).astimezone(UTC)


def opt_timestamp(payload: Mapping[str, Any], name: str) -> datetime | None:
    """``payload[name]`` as a UTC datetime, or None if absent or empty.

    Raises:
        MalformedResponseError: The value is not an ISO 8601 timestamp.
    """
    value = payload.get(name)
    return None if value in (None, "") else timestamp(value, name)


def normalize_symbol(symbol: str, asset_class: str | None = None) -> str:
    """Turn "BTCUSD" (how Alpaca names crypto positions) into "BTC/USD"; equities unchanged."""
    if "/" in symbol or asset_class != "crypto":
        return symbol
    for quote in _CRYPTO_QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return f"{symbol[: -len(quote)]}/{quote}"
    return symbol


def side(value: Any) -> Side:
    """Alpaca's ``side`` as a :class:`Side`.

    Raises:
        MalformedResponseError: Neither ``buy`` nor ``sell``.
    """
    try:
        return Side(value)
    except ValueError:
        raise MalformedResponseError(f"Alpaca side {value!r} is not buy or sell") from None


def order_status(value: Any) -> OrderStatus:
    """Alpaca's order ``status`` as an :class:`OrderStatus`.

    A string Alpaca does not document (yet) maps to ``OrderStatus.UNKNOWN`` and is logged once
    per value, so one new state never fails a whole order list.

    Raises:
        MalformedResponseError: The status is missing or not a string.
    """
    if not isinstance(value, str) or not value:
        raise MalformedResponseError(f"Alpaca order status {value!r} is not a string")
    status = ORDER_STATUS.get(value)
    if status is not None:
        return status
    if value not in _REPORTED_UNKNOWN and len(_REPORTED_UNKNOWN) < 100:
        _REPORTED_UNKNOWN.add(value)
        log.warning("alpaca.order.unknown_status", status=value[:40], mapped_to=UNKNOWN_STATUS)
    return UNKNOWN_STATUS


def order_type(value: Any) -> OrderType:
    """Alpaca's order ``type`` as an :class:`OrderType`.

    Raises:
        MalformedResponseError: Not one of Alpaca's documented types.
    """
    result = ORDER_TYPE.get(value) if isinstance(value, str) else None
    if result is None:
        raise MalformedResponseError(f"Alpaca order type {value!r} is not a documented type")
    return result


def position(payload: Mapping[str, Any]) -> Position:
    """``GET /v2/positions`` item -> ``Position`` (short positions negative)."""
    qty = dec(field(payload, "qty", "position"), "qty")
    if payload.get("side") == "short" and qty > 0:
        qty = -qty
    return Position(
        symbol=normalize_symbol(field(payload, "symbol", "position"), payload.get("asset_class")),
        quantity=qty,
        average_price=opt_dec(payload, "avg_entry_price"),
        unrealized_pnl=opt_dec(payload, "unrealized_pl"),
    )


def base_asset(symbol: str) -> str:
    """The base asset of a symbol: "BTC/USD" -> "BTC"; an equity ticker is its own asset."""
    return symbol.split("/", 1)[0]


def account_balances(account: Mapping[str, Any], positions: list[Position]) -> AccountBalances:
    """``/v2/account`` cash plus each position as a holding of its base asset.

    USD ``hold`` is cash committed to open buy orders: cash minus non-marginable buying power
    (what a cash account can still spend), never negative.
    """
    currency = account.get("currency") or "USD"
    cash = dec(field(account, "cash", "account"), "cash")
    spendable = opt_dec(account, "non_marginable_buying_power")
    hold = max(Decimal(0), cash - spendable) if spendable is not None else Decimal(0)
    balances = [Balance(asset=currency, total=cash, hold=min(hold, max(cash, Decimal(0))))]
    for p in positions:
        balances.append(Balance(asset=base_asset(p.symbol), total=p.quantity))
    return AccountBalances(balances, aliases={"ZUSD": "USD"} if currency == "USD" else None)


def instrument(asset: Mapping[str, Any]) -> Instrument:
    """``/v2/assets`` item -> ``Instrument``.

    Crypto uses the asset's ``min_order_size``, ``min_trade_increment`` and ``price_increment``.
    Equities trade in cents (sub-penny prices exist only below $1) and in whole shares, or to
    1e-9 of a share with a $1 minimum when ``fractionable``.
    """
    symbol = field(asset, "symbol", "asset")
    status = InstrumentStatus.ONLINE
    if asset.get("status") != "active":
        status = InstrumentStatus.DELISTED
    elif not asset.get("tradable", False):
        status = InstrumentStatus.CANCEL_ONLY
    if asset.get("class") == "crypto":
        base, _, quote = symbol.partition("/")
        return Instrument(
            symbol=symbol,
            base=base,
            quote=quote or "USD",
            price_tick=dec(field(asset, "price_increment", "asset"), "price_increment"),
            lot_step=dec(field(asset, "min_trade_increment", "asset"), "min_trade_increment"),
            min_quantity=dec(field(asset, "min_order_size", "asset"), "min_order_size"),
            status=status,
            venue_symbol=symbol,
        )
    fractionable = bool(asset.get("fractionable", False))
    return Instrument(
        symbol=symbol,
        base=symbol,
        quote="USD",
        price_tick=EQUITY_TICK,
        lot_step=FRACTIONAL_LOT if fractionable else Decimal(1),
        min_quantity=FRACTIONAL_LOT if fractionable else Decimal(1),
        min_cost=FRACTIONAL_MIN_NOTIONAL if fractionable else Decimal(0),
        status=status,
        venue_symbol=symbol,
    )


def fill_from_activity(activity: Mapping[str, Any]) -> Fill:
    """A ``FILL`` account activity -> ``Fill``; the id is the part after ``::``."""
    raw_id = str(field(activity, "id", "fill activity"))
    return Fill(
        fill_id=raw_id.split("::", 1)[-1],
        order_id=str(field(activity, "order_id", "fill activity")),
        client_order_id=None,
        symbol=normalize_symbol(str(field(activity, "symbol", "fill activity"))),
        side=side(activity.get("side")),
        quantity=dec(field(activity, "qty", "fill activity"), "qty"),
        price=dec(field(activity, "price", "fill activity"), "price"),
        fee=Decimal(0),
        fee_currency="USD",
        timestamp=timestamp(
            field(activity, "transaction_time", "fill activity"), "transaction_time"
        ),
    )


def fill_from_trade_update(data: Mapping[str, Any]) -> Fill:
    """A ``trade_updates`` ``fill``/``partial_fill`` event -> ``Fill``."""
    order = field(data, "order", "trade update")
    order_id = str(field(order, "id", "trade update order"))
    when = field(data, "timestamp", "trade update")
    qty = dec(field(data, "qty", "trade update"), "qty")
    fill_id = data.get("execution_id") or f"{order_id}:{when}:{qty}"
    return Fill(
        fill_id=str(fill_id),
        order_id=order_id,
        client_order_id=order.get("client_order_id"),
        symbol=str(field(order, "symbol", "trade update order")),
        side=side(order.get("side")),
        quantity=qty,
        price=dec(field(data, "price", "trade update"), "price"),
        fee=Decimal(0),
        fee_currency="USD",
        timestamp=timestamp(when, "timestamp"),
    )

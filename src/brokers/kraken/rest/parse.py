"""Pure conversions from Kraken REST payloads to the project's core types.

https://docs.kraken.com/api/docs/rest-api/get-open-orders (order object),
https://docs.kraken.com/api/docs/rest-api/get-trade-history (trade object)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from src.brokers.kraken.rest.replies import BalanceExEntry, OrderInfo, PositionInfo, TradeInfo
from src.brokers.kraken.symbols import PairInfo, SymbolMap
from src.core.decimals import to_decimal
from src.core.errors import MalformedResponseError
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
from src.core.market_data import Candle, PublicTrade

_ORDER_TYPES = {
    "iceberg": OrderType.LIMIT,
    "trailing-stop-limit": OrderType.TRAILING_STOP,
    "settle-position": OrderType.MARKET,
}
_STATUSES = {
    "pending": OrderStatus.PENDING,
    "open": OrderStatus.OPEN,
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
}


def from_unix(value: Any) -> datetime | None:
    """Float/int/str unix seconds -> UTC datetime (None for 0/absent)."""
    if value in (None, "", 0, "0"):
        return None
    return datetime.fromtimestamp(float(value), tz=UTC)


def _dec(value: Any, default: Decimal | None = None) -> Decimal | None:
    if value in (None, ""):
        return default
    result = to_decimal(value)
    return result


def _nonzero(value: Any) -> Decimal | None:
    result = _dec(value)
    return result if result else None


def order_type_of(wire: str) -> OrderType:
    """Kraken ``ordertype`` -> OrderType (iceberg counts as limit)."""
    try:
        return OrderType(wire)
    except ValueError:
        if wire in _ORDER_TYPES:
            return _ORDER_TYPES[wire]
        raise MalformedResponseError(f"unknown Kraken order type {wire!r}") from None


def _status(raw: Mapping[str, Any], filled: Decimal) -> OrderStatus:
    status = _STATUSES.get(str(raw.get("status")), OrderStatus.UNKNOWN)
    if status is OrderStatus.OPEN and filled > 0:
        return OrderStatus.PARTIALLY_FILLED
    return status


def _prices(otype: OrderType, descr: Mapping[str, Any]) -> tuple[Decimal | None, Decimal | None]:
    price, price2 = _nonzero(descr.get("price")), _nonzero(descr.get("price2"))
    if otype is OrderType.LIMIT:
        return price, None
    if otype in (OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT):
        return price2, price
    if otype in (OrderType.STOP_LOSS, OrderType.TAKE_PROFIT):
        return None, price
    return None, None


def parse_order(txid: str, raw: OrderInfo, symbols: SymbolMap | None) -> OrderUpdate:
    """One order object (OpenOrders/ClosedOrders/QueryOrders) -> OrderUpdate keeping ``raw``."""
    try:
        descr = raw.get("descr") or {}
        otype = order_type_of(str(descr["ordertype"]))
        filled = to_decimal(raw.get("vol_exec") or 0)
        limit_price, stop_price = _prices(otype, descr)
        pair = str(descr.get("pair", ""))
        return OrderUpdate(
            order_id=txid,
            client_order_id=raw.get("cl_ord_id") or None,
            symbol=symbols.symbol_of(pair) if symbols else pair,
            side=Side(str(descr["type"])),
            order_type=otype,
            status=_status(raw, filled),
            quantity=to_decimal(raw["vol"]),
            filled_quantity=filled,
            limit_price=limit_price,
            stop_price=stop_price,
            average_price=_nonzero(raw.get("price")) if filled else None,
            fee=to_decimal(raw.get("fee") or 0),
            created_at=from_unix(raw.get("opentm")),
            updated_at=from_unix(raw.get("closetm")) or from_unix(raw.get("opentm")),
            raw=dict(raw),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponseError(f"order {txid!r} has an unexpected shape: {exc}") from None


def parse_orders(orders: Mapping[str, OrderInfo], symbols: SymbolMap | None) -> list[OrderUpdate]:
    """A ``{txid: order}`` map -> list in the venue's order (newest first)."""
    if not isinstance(orders, Mapping):
        raise MalformedResponseError("orders result is not an object")
    return [parse_order(txid, raw, symbols) for txid, raw in orders.items()]


def _at_places(value: Decimal, places: int | None) -> Decimal:
    """``value`` with at least ``places`` decimals; never rounds a digit away.

    The result depends only on the number and ``places``, so "40000.0" (WS) and
    "40000.000" (REST) print the same.
    """
    if places is None or not value.is_finite():
        return value
    exponent = value.normalize().as_tuple().exponent
    own = -exponent if isinstance(exponent, int) else 0
    return value.quantize(Decimal(1).scaleb(-max(places, own, 0)))


def fill_at_precision(fill: Fill, pair: PairInfo) -> Fill:
    """``fill`` with price, quantity and fee at the pair's precision (same on WS and REST).

    Price gets the pair's price decimals (``pair_decimals``/tick), quantity its lot decimals,
    and the fee the pair's ``cost_decimals`` when charged in the quote asset (Kraken's
    default) or the lot decimals when charged in the base asset. Extra non-zero digits are
    kept rather than rounded away.
    """
    inst = pair.instrument
    fee_places = inst.quantity_decimals if fill.fee_currency == inst.base else pair.cost_decimals
    return fill.model_copy(
        update={
            "price": _at_places(fill.price, inst.price_decimals),
            "quantity": _at_places(fill.quantity, inst.quantity_decimals),
            "fee": _at_places(fill.fee, fee_places),
        }
    )


def parse_fill(
    trade_id: str,
    raw: TradeInfo | Mapping[str, Any],
    symbols: SymbolMap | None,
    client_order_id: str | None = None,
) -> Fill:
    """One TradesHistory/QueryTrades entry -> Fill (fee currency: the pair's quote).

    With ``symbols``, amounts are set to the pair's precision (``fill_at_precision``).
    ``raw`` is a ``TradeInfo`` from Kraken; a plain mapping (a row built by hand) is read
    the same way and checked the same way.
    """
    try:
        pair = str(raw["pair"])
        info = symbols.resolve(pair) if symbols and pair in symbols else None
        quote = info.instrument.quote if info else ""
        maker = raw.get("maker")
        liquidity = (
            Liquidity.UNKNOWN if maker is None else (Liquidity.MAKER if maker else Liquidity.TAKER)
        )
        timestamp = from_unix(raw["time"])
        if timestamp is None:
            raise ValueError("time is missing")
        fill = Fill(
            fill_id=trade_id,
            order_id=str(raw["ordertxid"]),
            client_order_id=client_order_id,
            symbol=symbols.symbol_of(pair) if symbols else pair,
            side=Side(str(raw["type"])),
            quantity=to_decimal(raw["vol"]),
            price=to_decimal(raw["price"]),
            fee=to_decimal(raw.get("fee") or 0),
            fee_currency=quote,
            liquidity=liquidity,
            timestamp=timestamp,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponseError(f"trade {trade_id!r} has an unexpected shape: {exc}") from None
    return fill if info is None else fill_at_precision(fill, info)


def parse_balances(
    balance: Mapping[str, str | BalanceExEntry],
    symbols: SymbolMap | None,
    *,
    extended: bool = False,
) -> AccountBalances:
    """Balance (``{code: "amount"}``) or BalanceEx (``{code: {balance, hold_trade}}``) reply.

    Codes are normalized ("XXBT" -> "BTC"); the venue codes resolve too, as aliases.
    """
    if not isinstance(balance, Mapping):
        raise MalformedResponseError("Balance result is not an object")
    rows: list[Balance] = []
    aliases: dict[str, str] = {}
    for code, value in balance.items():
        name = symbols.codes.normalize(code) if symbols else code
        try:
            if extended and isinstance(value, Mapping):
                total = to_decimal(value.get("balance") or 0)
                hold = to_decimal(value.get("hold_trade") or 0)
            else:
                total, hold = to_decimal(value), Decimal(0)
        except ValueError as exc:
            raise MalformedResponseError(f"balance of {code!r}: {exc}") from None
        rows.append(Balance(asset=name, total=total, hold=hold))
        if name != code:
            aliases[code] = name
            alt = symbols.codes.altname(code) if symbols else code
            if alt not in (code, name):
                aliases.setdefault(alt, name)
    return AccountBalances(rows, aliases)


def parse_positions(
    positions: Mapping[str, PositionInfo], symbols: SymbolMap | None
) -> list[Position]:
    """OpenPositions ``{posid: {...}}`` -> one net Position per pair (spot accounts: ``{}``)."""
    if not isinstance(positions, Mapping):
        raise MalformedResponseError("OpenPositions result is not an object")
    totals: dict[str, list[Decimal]] = {}
    for posid, raw in positions.items():
        try:
            pair = str(raw["pair"])
            sign = Decimal(1) if raw["type"] == "buy" else Decimal(-1)
            volume = to_decimal(raw["vol"]) - to_decimal(raw.get("vol_closed") or 0)
            cost = to_decimal(raw.get("cost") or 0)
            net = to_decimal(raw.get("net") or 0)
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponseError(f"position {posid!r}: {exc}") from None
        symbol = symbols.symbol_of(pair) if symbols else pair
        acc = totals.setdefault(symbol, [Decimal(0), Decimal(0), Decimal(0), Decimal(0)])
        acc[0] += sign * volume
        acc[1] += cost
        acc[2] += to_decimal(raw["vol"])
        acc[3] += net
    return [
        Position(
            symbol=symbol,
            quantity=qty,
            average_price=(cost / vol) if vol else None,
            unrealized_pnl=net,
        )
        for symbol, (qty, cost, vol, net) in totals.items()
    ]


def parse_candles(rows: Any, symbol: str, interval: int, *, drop_last: bool = True) -> list[Candle]:
    """OHLC rows ``[time, open, high, low, close, vwap, volume, count]`` -> candles.

    The last row is the still-forming candle and is dropped unless ``drop_last`` is False.
    """
    if not isinstance(rows, list):
        raise MalformedResponseError("OHLC rows are not a list", endpoint="OHLC")
    out: list[Candle] = []
    for row in rows[:-1] if drop_last else rows:
        try:
            ts, o, h, low, c, vwap, vol, count = row
            out.append(
                Candle(
                    symbol=symbol,
                    interval_minutes=interval,
                    timestamp=datetime.fromtimestamp(int(ts), tz=UTC),
                    open=to_decimal(o),
                    high=to_decimal(h),
                    low=to_decimal(low),
                    close=to_decimal(c),
                    volume=to_decimal(vol),
                    trades=int(count),
                    vwap=to_decimal(vwap),
                )
            )
        except (TypeError, ValueError) as exc:
            raise MalformedResponseError(f"OHLC row {row!r}: {exc}", endpoint="OHLC") from None
    return out


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def nanoseconds(moment: datetime) -> int:
    """``moment`` as the public ``Trades`` call's nanosecond cursor (exact: no float)."""
    delta = moment.astimezone(UTC) - _EPOCH
    return (delta // timedelta(microseconds=1)) * 1000


def parse_public_trade(row: list[Any], symbol: str) -> PublicTrade:
    """One public ``Trades`` row ``[price, volume, time, b|s, m|l, misc, trade_id]``."""
    seconds = Decimal(str(row[2]))  # a JSON number with 4 decimals: via str, not float maths
    return PublicTrade(
        symbol=symbol,
        price=Decimal(str(row[0])),
        quantity=Decimal(str(row[1])),
        side="buy" if str(row[3]).lower().startswith("b") else "sell",
        timestamp=_EPOCH + timedelta(microseconds=int(seconds * 1_000_000)),
        trade_id=str(row[6]) if len(row) > 6 and row[6] not in (None, "") else None,
    )


def order_ack(
    order: Order,
    symbol: str,
    order_id: str | None,
    status: OrderStatus,
    raw: Any = None,
    message: str | None = None,
) -> OrderAck:
    """The ack for one submitted order, keeping Kraken's reply (REST or WS) as ``raw``."""
    return OrderAck(
        client_order_id=order.client_order_id,
        order_id=order_id,
        symbol=symbol,
        status=status,
        message=message,
        raw=dict(raw) if isinstance(raw, dict) else {},
    )

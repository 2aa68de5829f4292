"""WebSocket v1 feed messages -> domain types: fills, order updates, tickers, trades, positions.

Field names per docs.kraken.com/api/docs/futures-api/websocket/{fills,open_orders,ticker,trade,
open_position}. Fills carry Kraken's own ``fee_paid``; ``buy`` is a boolean; times are epoch ms.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from src.brokers.kraken_futures.rest.parse import dec, opt_dec
from src.brokers.kraken_futures.symbols import normalize_asset
from src.brokers.kraken_futures.timefmt import from_ms
from src.core.derivatives import DerivativePosition, DerivativeTicker, MarginSummary
from src.core.errors import MalformedResponseError
from src.core.execution import Fill, Liquidity, OrderStatus, OrderType, OrderUpdate, Side
from src.core.market_data import PublicTrade

__all__ = ["ws_balances", "ws_fill", "ws_order_update", "ws_positions", "ws_ticker", "ws_trade"]

_TYPES = {
    "limit": OrderType.LIMIT, "lmt": OrderType.LIMIT, "stop": OrderType.STOP_LOSS,
    "take_profit": OrderType.TAKE_PROFIT, "trailing_stop": OrderType.TRAILING_STOP,
}  # fmt: skip


def ws_fill(raw: Mapping[str, Any]) -> Fill:
    """One element of a ``fills`` or ``fills_snapshot`` message."""
    try:
        kind = str(raw.get("fill_type", ""))
        return Fill(
            fill_id=str(raw["fill_id"]),
            order_id=str(raw["order_id"]),
            client_order_id=raw.get("cli_ord_id") or None,
            symbol=str(raw["instrument"]).upper(),
            side=Side.BUY if raw["buy"] else Side.SELL,
            quantity=dec(raw["qty"], "qty"),
            price=dec(raw["price"], "price"),
            fee=dec(raw.get("fee_paid", 0), "fee_paid"),
            fee_currency=normalize_asset(str(raw.get("fee_currency", "USD"))),
            liquidity=Liquidity.MAKER if kind == "maker" else Liquidity.TAKER,
            timestamp=from_ms(int(raw["time"])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponseError(f"fills feed: malformed fill ({exc!r})") from None


def ws_order_update(message: Mapping[str, Any]) -> OrderUpdate | str | None:
    """An ``open_orders`` delta: the live order, or the id of one that left (``is_cancel``).

    Returns the order id (str) for a removal without an order body, None for a frame
    without either.
    """
    order = message.get("order")
    if not isinstance(order, Mapping):
        order_id = message.get("order_id")
        return str(order_id) if order_id else None
    try:
        qty, filled = dec(order["qty"], "qty"), dec(order.get("filled", 0), "filled")
        limit = opt_dec(order.get("limit_price"), "limit_price")
        stop = opt_dec(order.get("stop_price"), "stop_price")
        kind = _TYPES.get(str(order.get("type", "limit")), OrderType.LIMIT)
        if kind is OrderType.STOP_LOSS and limit:
            kind = OrderType.STOP_LOSS_LIMIT
        if kind is OrderType.TAKE_PROFIT and limit:
            kind = OrderType.TAKE_PROFIT_LIMIT
        if message.get("is_cancel"):
            status = OrderStatus.FILLED if filled >= qty else OrderStatus.CANCELED
        else:
            status = OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.OPEN
        return OrderUpdate(
            order_id=str(order["order_id"]),
            client_order_id=order.get("cli_ord_id") or None,
            symbol=str(order["instrument"]).upper(),
            side=Side.BUY if int(order.get("direction", 0)) == 0 else Side.SELL,
            order_type=kind,
            status=status,
            quantity=qty,
            filled_quantity=filled,
            limit_price=limit or None,
            stop_price=stop or None,
            created_at=from_ms(int(order["time"])) if order.get("time") else None,
            updated_at=from_ms(int(order["last_update_time"]))
            if order.get("last_update_time")
            else None,
            raw=dict(message),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponseError(f"open_orders feed: malformed order ({exc!r})") from None


def ws_ticker(raw: Mapping[str, Any]) -> DerivativeTicker:
    """A ``ticker`` message."""
    return DerivativeTicker(
        symbol=str(raw["product_id"]).upper(),
        timestamp=from_ms(int(raw["time"])),
        bid=opt_dec(raw.get("bid"), "bid"),
        ask=opt_dec(raw.get("ask"), "ask"),
        last=opt_dec(raw.get("last"), "last"),
        mark_price=opt_dec(raw.get("markPrice"), "markPrice"),
        index_price=opt_dec(raw.get("index"), "index"),
        funding_rate=opt_dec(raw.get("funding_rate"), "funding_rate"),
        funding_rate_prediction=opt_dec(raw.get("funding_rate_prediction"), "prediction"),
        relative_funding_rate=opt_dec(raw.get("relative_funding_rate"), "relative_funding_rate"),
        open_interest=opt_dec(raw.get("openInterest"), "openInterest"),
        volume_24h=opt_dec(raw.get("volume"), "volume"),
        suspended=bool(raw.get("suspended", False)),
        post_only=bool(raw.get("post_only", False)),
    )


def ws_trade(raw: Mapping[str, Any]) -> PublicTrade:
    """A ``trade`` message (or a ``trade_snapshot`` row)."""
    return PublicTrade(
        symbol=str(raw["product_id"]).upper(),
        price=dec(raw["price"], "price"),
        quantity=dec(raw["qty"], "qty"),
        side=str(raw.get("side", "")),
        timestamp=from_ms(int(raw["time"])),
        trade_id=str(raw.get("uid") or raw.get("seq")),
    )


def ws_positions(message: Mapping[str, Any]) -> list[DerivativePosition]:
    """An ``open_positions`` message: Kraken's own mark, PnL, margins and liquidation price."""
    out = []
    for row in message.get("positions") or []:
        balance = dec(row["balance"], "balance")
        liquidation = opt_dec(row.get("liquidation_threshold"), "liquidation_threshold")
        out.append(
            DerivativePosition(
                symbol=str(row["instrument"]).upper(),
                quantity=balance,
                average_price=dec(row["entry_price"], "entry_price"),
                unrealized_pnl=opt_dec(row.get("pnl"), "pnl"),
                mark_price=opt_dec(row.get("mark_price"), "mark_price"),
                liquidation_price=liquidation or None,
                initial_margin=opt_dec(row.get("initial_margin"), "initial_margin"),
                maintenance_margin=opt_dec(row.get("maintenance_margin"), "maintenance_margin"),
                leverage=opt_dec(row.get("effective_leverage"), "effective_leverage"),
                unrealized_funding=opt_dec(row.get("unrealized_funding"), "unrealized_funding"),
                margin_currency=normalize_asset(str(row.get("pnl_currency", "USD"))),
            )
        )
    return out


def ws_balances(message: Mapping[str, Any]) -> dict[str, MarginSummary]:
    """A ``balances``/``balances_snapshot`` message: flex and each margin wallet's figures."""
    out: dict[str, MarginSummary] = {}
    flex = message.get("flex_futures")
    if isinstance(flex, Mapping):

        def get(key: str) -> Decimal:
            return dec(flex.get(key, 0), key)

        out["flex"] = MarginSummary(
            currency="USD", balance_value=get("balance_value"),
            portfolio_value=get("portfolio_value"), collateral_value=get("collateral_value"),
            initial_margin=get("initial_margin_without_orders"),
            initial_margin_with_orders=get("initial_margin"),
            maintenance_margin=get("maintenance_margin"), unrealized_pnl=get("pnl"),
            unrealized_funding=get("unrealized_funding"), margin_equity=get("margin_equity"),
            available_margin=get("available_margin"),
        )  # fmt: skip
    for name, wallet in (message.get("futures") or {}).items():
        if not isinstance(wallet, Mapping):
            continue
        pv = dec(wallet.get("portfolio_value", 0), "portfolio_value")
        im = dec(wallet.get("initial_margin", 0), "initial_margin")
        out[str(name)] = MarginSummary(
            currency=normalize_asset(str(wallet.get("unit", "XBT"))),
            balance_value=dec(wallet.get("balance", 0), "balance"), portfolio_value=pv,
            collateral_value=dec(wallet.get("balance", 0), "balance"), initial_margin=im,
            initial_margin_with_orders=im,
            maintenance_margin=dec(wallet.get("maintenance_margin", 0), "maintenance_margin"),
            unrealized_pnl=dec(wallet.get("pnl", 0), "pnl"),
            unrealized_funding=dec(wallet.get("unrealized_funding", 0), "unrealized_funding"),
            margin_equity=pv, available_margin=dec(wallet.get("available", 0), "available"),
        )  # fmt: skip
    return out

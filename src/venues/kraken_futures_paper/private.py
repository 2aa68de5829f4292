"""Private REST reads: accounts, positions, open orders, fills, order status, preferences, log."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from src.venues.kraken_futures_paper import payloads
from src.venues.kraken_futures_paper.api import Venue
from src.venues.kraken_futures_paper.contracts import FEE_SCHEDULE_UID
from src.venues.kraken_futures_paper.params import BadRequest, Params
from src.venues.kraken_futures_paper.state import Account
from src.venues.kraken_futures_paper.views import accounts_view, positions_view
from src.venues.kraken_futures_paper.wire import dumps, iso, ok_reply

__all__ = ["private_reads"]


async def accounts(ex: Venue, account: Account, params: Params) -> web.Response:
    """``GET /accounts``."""
    return ok_reply(ex.now(), accounts=accounts_view(ex, account))


async def openpositions(ex: Venue, account: Account, params: Params) -> web.Response:
    """``GET /openpositions``."""
    return ok_reply(ex.now(), openPositions=positions_view(ex, account))


async def openorders(ex: Venue, account: Account, params: Params) -> web.Response:
    """``GET /openorders``, newest first."""
    rows = [payloads.open_order_row(o) for o in ex.engine.open_orders(account.id)]
    return ok_reply(ex.now(), openOrders=rows)


async def fills(ex: Venue, account: Account, params: Params) -> web.Response:
    """``GET /fills[?lastFillTime=]``: the last 100 fills (before that time), newest first."""
    chosen = list(account.fills)
    before = params.get("lastFillTime")
    if before is not None:
        chosen = [f for f in chosen if iso(f.time) < before]
    rows = [payloads.fill_row(f) for f in reversed(chosen[-100:])]
    return ok_reply(ex.now(), fills=rows)


async def volumes(ex: Venue, account: Account, params: Params) -> web.Response:
    """``GET /feeschedules/volumes``."""
    return ok_reply(ex.now(), volumesByFeeSchedule={FEE_SCHEDULE_UID: account.volume_usd})


async def orders_status(ex: Venue, account: Account, params: Params) -> web.Response:
    """``/orders/status``: the asked orders if open, or closed in the last 5 s."""
    ids, clis = params.all("orderIds"), params.all("cliOrdIds")
    now = ex.now()
    rows = []
    for order in ex.engine.orders.values():
        if order.account != account.id:
            continue
        if order.order_id not in ids and (order.cli_ord_id is None or order.cli_ord_id not in clis):
            continue
        recent = order.closed_at is not None and (now - order.closed_at).total_seconds() <= (
            ex.status_window
        )
        if order.is_open or recent:
            rows.append(payloads.status_row(order))
    return ok_reply(now, orders=rows)


async def leverage(ex: Venue, account: Account, params: Params) -> web.Response:
    """``GET /leveragepreferences``."""
    rows = [{"symbol": s, "maxLeverage": v} for s, v in sorted(account.leverage.items())]
    return ok_reply(ex.now(), leveragePreferences=rows)


async def set_leverage(ex: Venue, account: Account, params: Params) -> web.Response:
    """``PUT /leveragepreferences?symbol=[&maxLeverage=]``: isolated with, cross without."""
    symbol = params.require("symbol").upper()
    contract = ex.engine.contracts.get(symbol)
    if contract is None or not contract.linear:
        raise BadRequest("contractNotFound" if contract is None else "invalidArgument")
    value = params.decimal("maxLeverage")
    if value is None:
        account.leverage.pop(symbol, None)
    elif value <= 0 or value > 1 / contract.tiers[0][1]:
        raise BadRequest("invalidArgument")
    else:
        account.leverage[symbol] = value
    return ok_reply(ex.now())


def _log_row(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id, "date": iso(entry.date), "asset": entry.asset, "info": entry.info,
        "booking_uid": str(entry.id), "margin_account": entry.margin_account,
        "old_balance": entry.old_balance, "new_balance": entry.new_balance,
        "contract": entry.contract, "realized_pnl": entry.realized_pnl, "fee": entry.fee,
        "funding_rate": entry.funding_rate, "realized_funding": entry.realized_funding,
        "trade_price": entry.trade_price, "mark_price": entry.mark_price,
    }  # fmt: skip


async def account_log(ex: Venue, account: Account, params: Params) -> web.Response:
    """``/api/history/v{2,3}/account-log``: newest first, ``since``/``before`` in ms, ``count``."""
    since, before = params.decimal("since"), params.decimal("before")
    count = int(params.decimal("count") or Decimal(500))
    rows = [
        e for e in account.log
        if (since is None or e.date.timestamp() * 1000 >= since)
        and (before is None or e.date.timestamp() * 1000 < before)
    ]  # fmt: skip
    if params.get("sort") != "asc":
        rows = list(reversed(rows))
    body = {"accountUid": account.id, "logs": [_log_row(e) for e in rows[:count]]}
    return web.json_response(text=dumps(body))


def private_reads() -> dict[tuple[str, str], Any]:
    """(method, endpoint) -> handler."""
    return {
        ("GET", "accounts"): accounts, ("GET", "openpositions"): openpositions,
        ("GET", "openorders"): openorders, ("GET", "fills"): fills,
        ("GET", "feeschedules/volumes"): volumes, ("POST", "orders/status"): orders_status,
        ("GET", "orders/status"): orders_status, ("GET", "leveragepreferences"): leverage,
        ("PUT", "leveragepreferences"): set_leverage,
    }  # fmt: skip

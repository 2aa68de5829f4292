"""Order endpoints: sendorder, editorder, cancelorder, cancelallorders, cancelallordersafter, batch.

Every business outcome is HTTP 200 ``result: success`` with the operation's status
(``sendStatus``, ``editStatus``, ``cancelStatus``, ``batchStatus``), as Kraken answers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from src.venues.kraken_futures_paper import payloads
from src.venues.kraken_futures_paper.api import Venue
from src.venues.kraken_futures_paper.orders import Refusal
from src.venues.kraken_futures_paper.params import (
    BadRequest,
    Params,
    batch_instructions,
    order_request,
)
from src.venues.kraken_futures_paper.state import Account
from src.venues.kraken_futures_paper.wire import iso, ok_reply

__all__ = ["order_calls"]


def _send(ex: Venue, account: Account, source: Any) -> dict[str, Any]:
    request = order_request(source)
    if request.symbol not in ex.engine.contracts:
        raise BadRequest("contractNotFound")
    placed = ex.engine.place(account.id, request)
    ex.after_orders()
    status: dict[str, Any] = {
        "order_id": placed.order.order_id,
        "status": placed.status,
        "receivedTime": iso(placed.order.received),
        "orderEvents": placed.events,
    }
    if request.cli_ord_id is not None:
        status["cliOrdId"] = request.cli_ord_id
    return status


async def sendorder(ex: Venue, account: Account, params: Params) -> web.Response:
    """``POST /sendorder``."""
    return ok_reply(ex.now(), sendStatus=_send(ex, account, params))


def _edit(ex: Venue, account: Account, source: Params) -> dict[str, Any]:
    order_id = source.get("orderId") or source.get("order_id")
    order = ex.engine.find(account.id, order_id, source.get("cliOrdId"))
    now = iso(ex.now())
    if order is None or not order.is_open:
        return {"status": "orderForEditNotFound", "receivedTime": now, "orderEvents": []}
    try:
        events = ex.engine.edit(
            order, source.decimal("size"), source.decimal("limitPrice"), source.decimal("stopPrice")
        )
    except Refusal as refusal:
        return {"status": refusal.status, "orderId": order.order_id, "receivedTime": now,
                "orderEvents": []}  # fmt: skip
    ex.after_orders()
    return {
        "status": "edited",
        "orderId": order.order_id,
        "receivedTime": now,
        "orderEvents": events,
    }


async def editorder(ex: Venue, account: Account, params: Params) -> web.Response:
    """``POST /editorder``."""
    return ok_reply(ex.now(), editStatus=_edit(ex, account, params))


def _cancel(ex: Venue, account: Account, source: Params) -> dict[str, Any]:
    order = ex.engine.find(account.id, source.get("order_id"), source.get("cliOrdId"))
    now = iso(ex.now())
    if order is None or not order.is_open:
        status = "filled" if order is not None and order.status == "filled" else "notFound"
        return {"status": status, "receivedTime": now, "orderEvents": []}
    ex.engine.cancel(order)
    ex.after_orders()
    out = {"status": "cancelled", "order_id": order.order_id, "receivedTime": now,
           "orderEvents": [payloads.cancel_event(order)]}  # fmt: skip
    if order.cli_ord_id:
        out["cliOrdId"] = order.cli_ord_id
    return out


async def cancelorder(ex: Venue, account: Account, params: Params) -> web.Response:
    """``POST /cancelorder`` by ``order_id`` or ``cliOrdId``."""
    return ok_reply(ex.now(), cancelStatus=_cancel(ex, account, params))


async def cancelallorders(ex: Venue, account: Account, params: Params) -> web.Response:
    """``POST /cancelallorders[?symbol=]``."""
    symbol = params.get("symbol")
    done = ex.engine.cancel_all(account.id, symbol.upper() if symbol else None, "cancelled_by_user")
    ex.after_orders()
    status = {
        "receivedTime": iso(ex.now()), "cancelOnly": symbol.upper() if symbol else "all",
        "status": "cancelled" if done else "noOrdersToCancel",
        "cancelledOrders": [{"order_id": o.order_id} for o in done],
        "orderEvents": [payloads.cancel_event(o) for o in done],
    }  # fmt: skip
    return ok_reply(ex.now(), cancelStatus=status)


async def cancelallordersafter(ex: Venue, account: Account, params: Params) -> web.Response:
    """``POST /cancelallordersafter?timeout=<s>``: arm the dead man's switch (0 disarms)."""
    timeout = params.decimal("timeout", required=True)
    assert timeout is not None
    if timeout < 0:
        raise BadRequest("invalidArgument")
    now = ex.now()
    if timeout == 0:
        account.dead_man_at = None
        trigger = "0"
    else:
        account.dead_man_at = now + timedelta(seconds=float(timeout))
        trigger = iso(account.dead_man_at)
    return ok_reply(now, status={"currentTime": iso(now), "triggerTime": trigger})


def _batch_row(ex: Venue, account: Account, row: dict[str, Any]) -> dict[str, Any]:
    kind = row.get("order")
    tag = row.get("order_tag")
    try:
        if kind == "send":
            status = _send(ex, account, {k: v for k, v in row.items() if k not in ("order",)})
            out = {**status, "order_tag": tag, "dateTimeReceived": status.pop("receivedTime")}
            return out
        params = Params([(k, str(v)) for k, v in row.items() if v is not None])
        if kind == "edit":
            result = _edit(ex, account, params)
        elif kind == "cancel":
            result = _cancel(ex, account, params)
        else:
            return {"status": "invalidOrderType", "order_tag": tag}
    except BadRequest as bad:
        return {"status": bad.error, "order_tag": tag}
    result["order_id"] = result.pop("orderId", result.get("order_id"))
    result["dateTimeReceived"] = result.pop("receivedTime", iso(ex.now()))
    return result


async def batchorder(ex: Venue, account: Account, params: Params) -> web.Response:
    """``POST /batchorder`` with ``json={"batchOrder":[...]}``: one status per instruction."""
    rows = batch_instructions(params)
    return ok_reply(ex.now(), batchStatus=[_batch_row(ex, account, r) for r in rows])


def order_calls() -> dict[str, Any]:
    """Endpoint name -> handler (all ``POST``)."""
    return {
        "sendorder": sendorder, "editorder": editorder, "cancelorder": cancelorder,
        "cancelallorders": cancelallorders, "cancelallordersafter": cancelallordersafter,
        "batchorder": batchorder,
    }  # fmt: skip

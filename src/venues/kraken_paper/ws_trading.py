"""WS v2 trading methods of the paper exchange, translated onto the REST-shaped service layer.

Docs: websocket-v2/add_order, amend_order, edit_order, cancel_order, cancel_all,
cancel_after, batch_add, batch_cancel. Each method returns the list of ``result`` objects to
send (``cancel_order`` answers once per cancelled order) or raises ``KrakenError``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from src.venues.kraken_paper.errors import KrakenError, invalid_arguments
from src.venues.kraken_paper.ws_venue import WsVenue

__all__ = ["TradingMethods", "rest_order_params"]

_TRIGGERED = ("stop-loss", "take-profit")
_TRIGGERED_LIMIT = ("stop-loss-limit", "take-profit-limit")


def _epoch(value: Any, name: str) -> str:
    try:
        return str(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp())
    except ValueError as exc:
        raise invalid_arguments(name) from exc


def _flags(params: dict[str, Any]) -> list[str]:
    flags: list[str] = []
    if params.get("post_only") is True:
        flags.append("post")
    preference = params.get("fee_preference")
    if preference in ("base", "quote"):
        flags.append("fcib" if preference == "base" else "fciq")
    if params.get("cash_order_qty") is not None:
        flags.append("viqc")
    return flags


def _close_params(conditional: Any) -> dict[str, Any]:
    """WS v2 ``conditional`` as REST's ``close`` terms.

    ``order_type``, ``limit_price`` and ``trigger_price`` map as for the order itself: the
    trigger is ``price`` for triggered types and the limit ``price2``.
    """
    if not isinstance(conditional, dict):
        raise invalid_arguments("conditional")
    order_type = conditional.get("order_type")
    close: dict[str, Any] = {"ordertype": order_type}
    if order_type == "limit":
        close["price"] = conditional.get("limit_price")
    else:
        close["price"] = conditional.get("trigger_price")
        close["price2"] = conditional.get("limit_price")
    return {k: v for k, v in close.items() if v is not None}


def _offset(value: Any, kind: Any, signed: bool = True) -> str | None:
    """A WS offset as REST's relative price: ``+5``, ``-5``, ``+2%`` (``kind``: quote/pct)."""
    if value is None:
        return None
    amount = Decimal(str(value))
    sign = "-" if signed and amount < 0 else "+"
    return f"{sign}{format(abs(amount), 'f')}" + ("%" if kind == "pct" else "")


def _prices(params: dict[str, Any], order_type: str) -> dict[str, Any]:
    """``price``/``price2`` from ``limit_price`` and ``triggers`` (static or relative).

    A trigger's ``price_type`` ``quote``/``pct`` makes it an offset from the reference price;
    a trailing stop's trigger is always its trail, and a trailing-stop-limit's
    ``limit_price`` its offset from the trigger (docs: websocket-v2/add_order).
    """
    raw_trigger = params.get("triggers")
    trigger: dict[str, Any] = raw_trigger if isinstance(raw_trigger, dict) else {}
    kind = trigger.get("price_type", "static")
    if order_type in ("limit", "iceberg"):
        return {"price": params.get("limit_price")}
    if order_type.startswith("trailing-stop"):
        out = {"price": _offset(trigger.get("price"), kind, signed=False)}
        if order_type == "trailing-stop-limit":
            out["price2"] = _offset(params.get("limit_price"), params.get("limit_price_type"))
        return out
    if order_type in _TRIGGERED or order_type in _TRIGGERED_LIMIT:
        price = trigger.get("price") if kind == "static" else _offset(trigger.get("price"), kind)
        out = {"price": price}
        if order_type in _TRIGGERED_LIMIT:
            out["price2"] = params.get("limit_price")
        return out
    return {}


def _extras(params: dict[str, Any]) -> dict[str, Any]:
    """Iceberg size, self-trade prevention, scheduled start and deadline, in REST's names."""
    out: dict[str, Any] = {"displayvol": params.get("display_qty")}
    if params.get("stp_type") is not None:
        out["stptype"] = str(params["stp_type"]).replace("_", "-")
    if params.get("effective_time"):
        out["starttm"] = _epoch(params["effective_time"], "effective_time")
    out["deadline"] = params.get("deadline")
    return out


def rest_order_params(params: dict[str, Any], symbol: Any) -> dict[str, Any]:
    """Translate one WS ``add_order`` parameter object to AddOrder's REST parameters."""
    order_type = params.get("order_type")
    rest: dict[str, Any] = {
        "pair": symbol,
        "type": params.get("side"),
        "ordertype": order_type,
        "volume": params.get("order_qty", params.get("cash_order_qty")),
        "oflags": ",".join(_flags(params)),
        "validate": params.get("validate", False),
    }
    rest.update(_prices(params, str(order_type)))
    rest.update(_extras(params))
    if params.get("time_in_force"):
        rest["timeinforce"] = str(params["time_in_force"]).upper()
    if params.get("expire_time"):
        rest["expiretm"] = _epoch(params["expire_time"], "expire_time")
    if params.get("cl_ord_id") is not None:
        rest["cl_ord_id"] = params["cl_ord_id"]
    if params.get("order_userref") is not None:
        rest["userref"] = params["order_userref"]
    if params.get("conditional") is not None:
        rest["close"] = _close_params(params["conditional"])
    return {k: v for k, v in rest.items() if v is not None}


def _ids(result: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if params.get("cl_ord_id") is not None:
        out["cl_ord_id"] = params["cl_ord_id"]
    if params.get("order_userref") is not None:
        out["order_userref"] = params["order_userref"]
    return {**result, **out}


class TradingMethods:
    """Dispatch of WS trading methods for one exchange."""

    def __init__(self, venue: WsVenue) -> None:
        self.venue = venue
        self._table: dict[str, Callable[[str, dict[str, Any]], list[dict[str, Any]]]] = {
            "add_order": self.add_order,
            "amend_order": self.amend_order,
            "edit_order": self.edit_order,
            "cancel_order": self.cancel_order,
            "cancel_all": self.cancel_all,
            "cancel_all_orders_after": self.cancel_all_orders_after,
            "batch_add": self.batch_add,
            "batch_cancel": self.batch_cancel,
        }

    def call(self, method: str, account_id: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Run ``method`` and commit its changes; ``EGeneral:Unknown method`` for anything else.

        The commit happens here, before the caller can write the reply (or the executions
        updates already queued) to the socket: an acknowledged order survives ``kill -9``.
        A failed call is committed too, since it may have changed state before failing.
        """
        handler = self._table.get(method)
        if handler is None:
            raise KrakenError("EGeneral:Unknown method")
        try:
            return handler(account_id, params)
        finally:
            self.venue.persist()

    def add_order(self, account_id: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """``add_order``: one order through AddOrder; echoes ``order_id`` and the client ids."""
        if not params.get("symbol"):
            raise invalid_arguments("symbol")
        result = self.venue.service.add_order(
            account_id, rest_order_params(params, params["symbol"])
        )
        txids = result.get("txid") or []
        return [_ids({"order_id": txids[0]} if txids else {}, params)]

    def amend_order(self, account_id: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """``amend_order``: change quantity, prices or post-only in place (AmendOrder)."""
        rest: dict[str, Any] = {
            "txid": params.get("order_id"),
            "cl_ord_id": params.get("cl_ord_id"),
        }
        for key in ("order_qty", "limit_price", "trigger_price", "post_only"):
            if key in params:
                rest[key] = params[key]
        result = self.venue.service.amend_order(account_id, rest)
        out = {"amend_id": result["amend_id"]}
        for key in ("order_id", "cl_ord_id"):
            if params.get(key):
                out[key] = params[key]
        return [out]

    def edit_order(self, account_id: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """``edit_order``: cancel and replace with a new order id (EditOrder)."""
        if not params.get("symbol"):
            raise invalid_arguments("symbol")
        rest: dict[str, Any] = {"txid": params.get("order_id"), "pair": params["symbol"]}
        if params.get("order_qty") is not None:
            rest["volume"] = params["order_qty"]
        if params.get("limit_price") is not None:
            rest["price"] = params["limit_price"]
        if params.get("order_userref") is not None:
            rest["userref"] = params["order_userref"]
        if "post_only" in params:
            rest["oflags"] = "post" if params["post_only"] is True else ""
        result = self.venue.service.edit_order(account_id, rest)
        return [{"order_id": result.get("txid"), "original_order_id": result["originaltxid"]}]

    def cancel_order(self, account_id: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """``cancel_order`` by order ids, client ids or userrefs; all must exist before any goes."""
        targets: list[tuple[str, Any]] = []
        for key, rest_key in (("order_id", "txid"), ("cl_ord_id", "cl_ord_id"),
                              ("order_userref", "txid")):  # fmt: skip
            values = params.get(key) or []
            if not isinstance(values, list):
                raise invalid_arguments(key)
            targets += [(rest_key, v) for v in values]
        if not targets:
            raise invalid_arguments("order_id")
        service = self.venue.service
        found = []
        for rest_key, value in targets:  # all must exist before anything is cancelled
            found += service._find(account_id, **{rest_key: value})
        out = []
        for order in {o.txid: o for o in found}.values():
            service.cancel_order(account_id, {"txid": order.txid})
            row = {"order_id": order.txid}
            if order.cl_ord_id:
                row["cl_ord_id"] = order.cl_ord_id
            out.append(row)
        return out

    def cancel_all(self, account_id: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """``cancel_all``: cancel every open order of the account."""
        return [self.venue.service.cancel_all(account_id)]

    def cancel_all_orders_after(
        self, account_id: str, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """``cancel_all_orders_after``: arm or disarm the dead man's switch."""
        return [self.venue.service.cancel_all_orders_after(account_id, params)]

    def batch_add(self, account_id: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """``batch_add``: orders on one symbol through AddOrderBatch; any error fails the call."""
        orders = params.get("orders")
        if not params.get("symbol"):
            raise invalid_arguments("symbol")
        if not isinstance(orders, list) or not all(isinstance(o, dict) for o in orders):
            raise invalid_arguments("orders")
        rest = {"pair": params["symbol"], "validate": params.get("validate", False),
                "orders": [rest_order_params(o, params["symbol"]) for o in orders]}  # fmt: skip
        result = self.venue.service.add_order_batch(account_id, rest)
        rows = result["orders"]
        errors = [r["error"] for r in rows if "error" in r]
        if errors:
            raise KrakenError(errors[0])
        return [[_ids({"order_id": r.get("txid")}, o) for r, o in zip(rows, orders, strict=True)]]  # type: ignore[list-item]

    def batch_cancel(self, account_id: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """``batch_cancel`` by order ids and client order ids (CancelOrderBatch)."""
        rest = {"orders": params.get("orders") or [], "cl_ord_ids": params.get("cl_ord_id") or []}
        return [self.venue.service.cancel_order_batch(account_id, rest)]

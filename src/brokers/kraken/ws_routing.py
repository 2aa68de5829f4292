"""Send the order desk's REST-shaped calls over the private WS v2 connection instead.

The desk validates and rounds every order once, into AddOrder's REST fields; this route only
renames those fields for WS v2 (``add_order``, ``amend_order``, ``edit_order``, ...) and gives
the replies back in REST's shape, so rounding, minimum checks, ``cl_ord_id``, error classes,
gate bookkeeping and unknown-outcome handling are the same on both transports.
Docs: websocket-v2/add_order, amend_order, edit_order, cancel_order, cancel_all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from src.brokers.kraken.gate import RequestGate
from src.brokers.kraken.order_manager import KrakenOrderManager
from src.core.errors import BrokerError, ConfigurationError, RateLimitError

__all__ = ["ORDER_TRANSPORTS", "WsOrderRoute", "check_order_transport"]

ORDER_TRANSPORTS = ("auto", "rest", "websocket")

# REST methods the route can carry; anything else (e.g. AddOrderBatch) stays on REST.
_WS_METHOD = {
    "AddOrder": "add_order",
    "AmendOrder": "amend_order",
    "EditOrder": "edit_order",
    "CancelOrder": "cancel_order",
    "CancelAll": "cancel_all",
    "CancelAllOrdersAfter": "cancel_all_orders_after",
}


def check_order_transport(value: str) -> str:
    """Validate an ``order_transport`` setting ("auto", "rest" or "websocket")."""
    if value not in ORDER_TRANSPORTS:
        raise ConfigurationError(
            f"order_transport {value!r}: use one of {', '.join(ORDER_TRANSPORTS)}"
        )
    return value


def carries(method: str, params: dict[str, Any]) -> bool:
    """True when ``method`` with these REST fields can go over WS v2 unchanged in meaning."""
    # WS v2 add_order has no leverage field, and edit_order no REST-style second price:
    # such calls stay on REST.
    if method == "EditOrder" and "price2" in params:
        return False
    return method in _WS_METHOD and "leverage" not in params


class WsOrderRoute:
    """REST-shaped order calls over a connected ``KrakenOrderManager``.

    Args:
        manager: the order manager whose private connection carries the requests.
        gate: told when Kraken answers "rate limited" (the adapter's shared gate).
    """

    def __init__(self, manager: KrakenOrderManager, gate: RequestGate) -> None:
        self.manager = manager
        self._gate = gate

    async def call(self, method: str, params: dict[str, Any], symbol: str | None = None) -> Any:
        """Send REST ``method`` with REST ``params`` as its WS v2 request; reply in REST shape.

        Args:
            method: "AddOrder", "AmendOrder", "EditOrder", "CancelOrder", "CancelAll" or
                "CancelAllOrdersAfter".
            params: the REST fields the desk built (already rounded and checked).
            symbol: the WS v2 symbol ("BTC/USD"), needed by AddOrder and EditOrder.

        Raises:
            BrokerError subclass: the same classes as the REST path; an AddOrder whose reply
                was lost raises with ``outcome_known=False`` unless the executions stream
                already shows the order (then its id is returned).
        """
        ws_method = _WS_METHOD[method]
        ws_params = _translate(method, params, symbol)
        try:
            result = await self.manager.request(ws_method, ws_params)
        except RateLimitError as exc:
            self._gate.on_rate_limited(exc, params.get("pair"))
            raise
        except BrokerError as exc:
            if method != "AddOrder" or exc.outcome_known:
                raise
            seen = self.manager.stream.order_id_for(str(params["cl_ord_id"]))
            if seen is None:
                raise
            return {"txid": [seen], "resolved_from": "executions"}
        return _rest_shape(method, result)


def _num(text: Any) -> Decimal:
    return Decimal(str(text))


def _translate(method: str, p: dict[str, Any], symbol: str | None) -> dict[str, Any]:
    if method == "AddOrder":
        return _add_params(p, symbol)
    ident: dict[str, Any] = {}
    if "txid" in p:
        ident["order_id"] = p["txid"]
    elif "cl_ord_id" in p:
        ident["cl_ord_id"] = p["cl_ord_id"]
    if method == "CancelOrder":
        return {k: [v] for k, v in ident.items()}
    if method == "AmendOrder":
        out = dict(ident)
        for key in ("order_qty", "limit_price", "trigger_price"):
            if key in p:
                out[key] = _num(p[key])
        if "post_only" in p:
            out["post_only"] = bool(p["post_only"])
        return out
    if method == "EditOrder":
        out = {**ident, "symbol": symbol or p["pair"]}
        if "volume" in p:
            out["order_qty"] = _num(p["volume"])
        if "price" in p:
            out["limit_price"] = _num(p["price"])
        return out
    if method == "CancelAllOrdersAfter":
        return {"timeout": int(p["timeout"])}
    return {}


def _add_params(p: dict[str, Any], symbol: str | None) -> dict[str, Any]:
    oflags = set(str(p.get("oflags", "")).split(",")) - {""}
    out: dict[str, Any] = {
        "order_type": p["ordertype"],
        "side": p["type"],
        "symbol": symbol or p["pair"],
        "cl_ord_id": p["cl_ord_id"],
    }
    out["cash_order_qty" if "viqc" in oflags else "order_qty"] = _num(p["volume"])
    price, price2 = p.get("price"), p.get("price2")
    if p["ordertype"] == "limit" and price is not None:
        out["limit_price"] = _num(price)
    elif p["ordertype"] == "trailing-stop" and price is not None:
        text = str(price).lstrip("+")
        kind = "pct" if text.endswith("%") else "quote"
        out["triggers"] = {"price": _num(text.rstrip("%")), "price_type": kind}
    elif price is not None:
        out["triggers"] = {"reference": "last", "price": _num(price), "price_type": "static"}
        if price2 is not None:
            out["limit_price"] = _num(price2)
    if "post" in oflags:
        out["post_only"] = True
    if "timeinforce" in p:
        out["time_in_force"] = str(p["timeinforce"]).lower()
    if "expiretm" in p:
        expiry = datetime.fromtimestamp(int(p["expiretm"]), UTC)
        out["expire_time"] = expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
    if p.get("reduce_only") == "true":
        out["reduce_only"] = True
    return out


def _rest_shape(method: str, result: Any) -> Any:
    row: dict[str, Any] = dict(result) if isinstance(result, dict) else {}
    if method == "AddOrder":
        return {**row, "txid": [str(row["order_id"])]} if "order_id" in row else row
    if method == "EditOrder":
        new_id, old_id = row.get("order_id"), row.get("original_order_id")
        return {**row, "txid": new_id, "originaltxid": old_id}
    if method == "CancelOrder":
        return {**row, "count": len(result) if isinstance(result, list) else 1}
    if method == "CancelAll":
        return {**row, "count": int(row.get("count", 0))}
    return row

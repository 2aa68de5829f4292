"""Send the order desk's calls over the private WS v2 connection instead of REST.

The desk encodes every order once (``encoding.KrakenCall``: REST fields and WS v2 params from
the same rounded values); this route sends the WS v2 rendering and gives the reply back in
REST's shape, so error classes, registry bookkeeping and unknown-outcome handling are the same
on both transports. Docs: websocket-v2/add_order, amend_order, edit_order, cancel_order.
"""

from __future__ import annotations

from typing import Any

from src.brokers.kraken.limits.gate import RequestGate
from src.brokers.kraken.orders.encoding import KrakenCall
from src.brokers.kraken.orders.manager import KrakenOrderManager
from src.core.errors import ConfigurationError, RateLimitError

__all__ = ["ORDER_TRANSPORTS", "WsOrderRoute", "check_order_transport"]

ORDER_TRANSPORTS = ("auto", "rest", "websocket")


def check_order_transport(value: str) -> str:
    """Validate an ``order_transport`` setting ("auto", "rest" or "websocket").

    Raises:
        ConfigurationError: any other value.
    """
    if value not in ORDER_TRANSPORTS:
        raise ConfigurationError(
            f"order_transport {value!r}: use one of {', '.join(ORDER_TRANSPORTS)}"
        )
    return value


def carries(call: KrakenCall) -> bool:
    """True when WS v2 has a request for ``call`` with the same meaning."""
    return call.ws_method is not None and call.ws is not None


class WsOrderRoute:
    """Order calls over a connected ``KrakenOrderManager``.

    Args:
        manager: the order manager whose private connection carries the requests.
        gate: told when Kraken answers "rate limited" (the adapter's shared gate).
    """

    def __init__(self, manager: KrakenOrderManager, gate: RequestGate) -> None:
        self.manager = manager
        self._gate = gate

    async def call(self, call: KrakenCall) -> Any:
        """Send ``call``'s WS v2 request; return its reply in the REST method's shape.

        Raises:
            BrokerError subclass: the same classes as the REST path (a lost reply raises
                with ``outcome_known=False``; the desk resolves it by client order id).
        """
        assert call.ws_method is not None and call.ws is not None  # checked by carries()
        try:
            result = await self.manager.request(call.ws_method, call.ws)
        except RateLimitError as exc:
            self._gate.on_rate_limited(exc, call.pair or None)
            raise
        return _rest_shape(call.rest_method, result)


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

"""Private WS v2 channels of the paper exchange: token checks, ``executions`` and ``balances``."""

from __future__ import annotations

import logging
from typing import Any

from src.venues.kraken_paper.errors import KrakenError
from src.venues.kraken_paper.events import BalanceEvent, OrderEvent, OrderSnapshot, OwnTradeEvent
from src.venues.kraken_paper.orders import PaperTrade
from src.venues.kraken_paper.pairs import ASSETS
from src.venues.kraken_paper.ws_session import WsSession
from src.venues.kraken_paper.ws_trading import TradingMethods
from src.venues.kraken_paper.ws_venue import WsVenue
from src.venues.kraken_paper.ws_wire import error_reply, ok_reply, rfc3339

__all__ = ["PrivateFeed", "order_report"]

log = logging.getLogger(__name__)

# REST order status -> WS v2 order_status
_STATUS = {"pending": "pending_new", "open": "new", "closed": "filled",
           "canceled": "canceled", "expired": "expired"}  # fmt: skip
#: Reports left out for a subscription with ``order_status: false``. Kraken: "Otherwise, only
#: open / close transitions will be streamed: new, filled, canceled, expired" (websocket-v2/
#: executions). ``pending_new`` and ``status`` (a trigger's state) are the transitions that are
#: neither; fills (``trade``), amends, restatements and iceberg refills are events, not
#: transitions, and still stream: an executions subscription that hid fills would not be one.
_TRANSITIONS_ONLY = frozenset({"pending_new", "status"})


def _asset(asset_id: str) -> str:
    spec = ASSETS.get(asset_id)
    return spec.ws_name if spec else asset_id


def _order_status(order: OrderSnapshot) -> str:
    status = _STATUS.get(order.status, order.status)
    if status == "new" and order.cum_qty > 0:
        return "partially_filled"
    return status


def order_report(order: OrderSnapshot, exec_type: str, timestamp: float) -> dict[str, Any]:
    """One executions report for an order (full order fields)."""
    report: dict[str, Any] = {
        "exec_type": exec_type,
        "order_id": order.txid,
        "symbol": order.symbol,
        "side": order.side,
        "order_type": order.order_type,
        "order_qty": order.order_qty,
        "time_in_force": order.time_in_force,
        "post_only": order.post_only,
        "cum_qty": order.cum_qty,
        "cum_cost": order.cum_cost,
        "avg_price": order.avg_price,
        "fee_ccy_pref": order.fee_ccy_pref,
        "order_status": _order_status(order),
        "timestamp": rfc3339(timestamp),
    }
    if order.cl_ord_id:
        report["cl_ord_id"] = order.cl_ord_id
    if order.userref is not None:
        report["order_userref"] = order.userref
    if order.limit_price is not None:
        report["limit_price"] = order.limit_price
    if order.trigger_price is not None:
        status = "triggered" if order.triggered else "untriggered"
        report["triggers"] = {"reference": "last", "price": order.trigger_price,
                              "price_type": "static", "status": status}  # fmt: skip
    if order.reason:
        report["reason"] = order.reason
    return report


def _trade_fields(fill: OwnTradeEvent | PaperTrade) -> dict[str, Any]:
    if isinstance(fill, OwnTradeEvent):
        exec_id, qty, liquidity = fill.trade_txid, fill.qty, fill.liquidity
    else:
        exec_id, qty, liquidity = fill.txid, fill.vol, "m" if fill.maker else "t"
    return {
        "exec_id": exec_id,
        "trade_id": fill.trade_id,
        "last_qty": qty,
        "last_price": fill.price,
        "cost": fill.cost,
        "liquidity_ind": liquidity,
        "fees": [{"asset": _asset(fill.fee_asset), "qty": fill.fee}],
    }


class PrivateFeed:
    """Private subscriptions and trading for every authenticated session of one hub."""

    def __init__(self, venue: WsVenue) -> None:
        self.venue = venue
        self.trading = TradingMethods(venue)

    def _authenticate(self, session: WsSession, token: Any) -> str:
        # A token once accepted on this connection does not expire while it stays open
        # (Kraken: "does not expire once a successful WebSocket connection and private
        # subscription has been made and is maintained"); only a new token is checked.
        if session.account_id is not None and token in session.tokens:
            return session.account_id
        account_id = self.venue.account_for_token(token)
        session.tokens.add(str(token))
        if session.account_id is not None and session.account_id != account_id:
            raise KrakenError("ESession:Invalid session")
        session.account_id = account_id
        return account_id

    def subscription(
        self, session: WsSession, method: str, params: dict[str, Any], req_id: Any, t_in: float
    ) -> None:
        """Subscribe/unsubscribe ``executions`` or ``balances`` (token required)."""
        channel = params["channel"]
        try:
            account_id = self._authenticate(session, params.get("token"))
        except KrakenError as exc:
            session.send(error_reply(method, exc.message, req_id, t_in, self.venue.now()))
            return
        now = self.venue.now()
        if method == "unsubscribe":
            if not (session.executions is not None if channel == "executions"
                    else session.balances):  # fmt: skip
                error = "Subscription Not Found"  # Kraken's reply names ``subscribe`` here
                session.send(error_reply("subscribe", error, req_id, t_in, now))
                return
            if channel == "executions":
                session.executions = None
            else:
                session.balances = False
            session.send(ok_reply(method, {"channel": channel}, req_id, t_in, now))
            return
        if channel == "executions":
            options = {"snap_orders": params.get("snap_orders", True) is not False,
                       "snap_trades": params.get("snap_trades", False) is True}  # fmt: skip
            # The ack echoes channel, snap_orders, snap_trades and maxratecount (Kraken's).
            result = {"channel": channel, **options, "maxratecount": 60}
            every_status = params.get("order_status", True) is not False
            session.executions = {**options, "order_status": every_status}
            session.send(ok_reply(method, result, req_id, t_in, now))
            self._executions_snapshot(session, account_id, options, now)
        else:
            session.balances = True
            result = {"channel": channel, "snapshot": params.get("snapshot", True) is not False}
            session.send(ok_reply(method, result, req_id, t_in, now))
            if result["snapshot"]:
                self._balances_snapshot(session, account_id)

    def _executions_snapshot(
        self, session: WsSession, account_id: str, options: dict[str, bool], now: float
    ) -> None:
        data: list[dict[str, Any]] = []
        if options["snap_orders"]:
            for order in self.venue.open_orders(account_id):
                data.append(order_report(order.snapshot(), "new", order.opentm))
        if options["snap_trades"]:
            for trade in self.venue.recent_trades(account_id):
                order = self.venue.engine.orders.get(trade.ordertxid)
                base = order_report(order.snapshot(), "trade", trade.time) if order else {}
                data.append({**base, **_trade_fields(trade), "timestamp": rfc3339(trade.time)})
        session.send({"channel": "executions", "type": "snapshot", "data": data,
                      "sequence": session.next_sequence("executions")})  # fmt: skip

    def _balances_snapshot(self, session: WsSession, account_id: str) -> None:
        data = [
            {"asset": _asset(asset), "asset_class": "currency", "balance": amount,
             "wallets": [{"type": "spot", "id": "main", "balance": amount}]}
            for asset, amount in sorted(self.venue.balances(account_id).items())
        ]  # fmt: skip
        session.send({"channel": "balances", "type": "snapshot", "data": data,
                      "sequence": session.next_sequence("balances")})  # fmt: skip

    def on_event(self, session: WsSession, event: OrderEvent | BalanceEvent) -> None:
        """Forward one of the session account's events to its private channels."""
        if isinstance(event, OrderEvent):
            options = session.executions
            if options is None or (
                event.exec_type in _TRANSITIONS_ONLY and not options["order_status"]
            ):
                return
            report = order_report(event.order, event.exec_type, event.timestamp)
            if event.fill is not None:
                report.update(_trade_fields(event.fill))
            if event.reason:
                report["reason"] = event.reason
            session.send({"channel": "executions", "type": "update", "data": [report],
                          "sequence": session.next_sequence("executions")})  # fmt: skip
        elif session.balances:
            data = {"ledger_id": event.ledger_id, "ref_id": event.ref_id,
                    "timestamp": rfc3339(event.timestamp), "type": event.type,
                    "subtype": event.subtype, "category": event.type,
                    "asset": _asset(event.asset), "asset_class": "currency",
                    "amount": event.amount, "fee": event.fee, "balance": event.balance,
                    "wallet_type": "spot", "wallet_id": "main"}  # fmt: skip
            session.send({"channel": "balances", "type": "update", "data": [data],
                          "sequence": session.next_sequence("balances")})  # fmt: skip

    async def trade(
        self, session: WsSession, method: str, params: dict[str, Any], req_id: Any, t_in: float
    ) -> None:
        """A trading method: authenticate, translate, call the service layer, reply."""
        try:
            account_id = self._authenticate(session, params.get("token"))
            results = self.trading.call(method, account_id, params)
        except KrakenError as exc:
            session.send(error_reply(method, exc.message, req_id, t_in, self.venue.now()))
            return
        except Exception:
            log.exception("ws %s failed", method)
            error = "EGeneral:Internal error"
            session.send(error_reply(method, error, req_id, t_in, self.venue.now()))
            return
        if method in ("add_order", "batch_add") and (lost := self.venue.fault_lost_reply()):
            log.info("ws %s executed; reply lost by fault injection (%s)", method, lost)
            if lost == "drop":
                await session.ws.close(code=1011, message=b"dropped")
            return
        for result in results:
            session.send(ok_reply(method, result, req_id, t_in, self.venue.now()))

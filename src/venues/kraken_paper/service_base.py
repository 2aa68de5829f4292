"""The service layer's shared part: lookups, cancels, timers and read-only queries.

``ExchangeService`` (``service.py``) adds order entry on top of it; the split keeps both
files short, not the layers apart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from src.venues.kraken_paper import errors as E
from src.venues.kraken_paper import queries
from src.venues.kraken_paper.errors import KrakenError, invalid_arguments
from src.venues.kraken_paper.matching import Engine
from src.venues.kraken_paper.orders import PaperOrder, check_txid
from src.venues.kraken_paper.pairs import resolve_pair
from src.venues.kraken_paper.ratelimit import CANCEL_PENALTY, RateLimits, age_penalty
from src.venues.kraken_paper.validation import parse_int


def iso(ts: float) -> str:
    """RFC3339 seconds, as CancelAllOrdersAfter reports times."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ServiceBase:
    """Lookups, cancels, timers and queries over an :class:`Engine`."""

    def __init__(self, engine: Engine, limits: RateLimits, monotonic: Callable[[], float]) -> None:
        self.engine = engine
        self.limits = limits
        self.monotonic = monotonic
        self.status = "online"
        self.dead_man: dict[str, float] = {}

    @property
    def now(self) -> float:
        """Exchange time, epoch seconds (the engine's clock)."""
        return self.engine.now()

    # ----- helpers ----------------------------------------------------------------------------
    def _account(self, account_id: str) -> Any:
        if account_id not in self.engine.accounts:
            raise KrakenError(E.INVALID_KEY)
        return self.engine.accounts[account_id]

    def _age(self, order: PaperOrder) -> float:
        return self.monotonic() - order.last_change

    def _find(self, account_id: str, txid: Any = None, cl_ord_id: Any = None) -> list[PaperOrder]:
        """Open orders matching a txid, a userref (integer txid) or a cl_ord_id."""
        opens = self.engine.open_orders(account_id)
        if cl_ord_id not in (None, ""):
            found = [o for o in opens if o.cl_ord_id == str(cl_ord_id)]
        elif txid not in (None, ""):
            text = str(txid).strip()
            if text.lstrip("-").isdigit():
                found = [o for o in opens if o.userref == int(text)]
            else:
                check_txid(text)
                found = [o for o in opens if o.txid == text]
        else:
            raise invalid_arguments("txid")
        if not found:
            raise KrakenError(E.UNKNOWN_ORDER)
        return found

    def _check_status(self, post_only: bool = False) -> None:
        if self.status == "maintenance":
            raise KrakenError(E.UNAVAILABLE)
        if self.status == "cancel_only":
            raise KrakenError(E.CANCEL_ONLY)
        if self.status == "post_only" and not post_only:
            raise KrakenError(E.POST_ONLY_MODE)

    def _last(self, pair_key: str) -> Decimal:
        return self.engine.markets[pair_key].last

    # ----- cancels ----------------------------------------------------------------------------
    def cancel_order(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """CancelOrder by txid, userref (integer ``txid``) or ``cl_ord_id``."""
        self._account(account_id)
        found = self._find(account_id, params.get("txid"), params.get("cl_ord_id"))
        now_m = self.monotonic()
        for o in found:
            self.limits.charge_trade(
                account_id, o.pair_key, age_penalty(CANCEL_PENALTY, self._age(o)), now_m
            )
        self._cancel(found, "User requested")
        return {"count": len(found)}

    def cancel_order_batch(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """CancelOrderBatch: ``orders`` (txids/userrefs or ``{"txid": ..}``) and ``cl_ord_ids``."""
        self._account(account_id)
        raw = params.get("orders") or []
        cl_ids = params.get("cl_ord_ids") or []
        if not isinstance(raw, list) or not isinstance(cl_ids, list):
            raise invalid_arguments("orders")
        if not 1 <= len(raw) + len(cl_ids) <= 50:
            raise invalid_arguments("orders")
        found: dict[str, PaperOrder] = {}
        for item in raw:
            ident = item.get("txid") if isinstance(item, dict) else item
            for o in self._find_quiet(account_id, txid=ident):
                found[o.txid] = o
        for cl in cl_ids:
            for o in self._find_quiet(account_id, cl_ord_id=cl):
                found[o.txid] = o
        now_m = self.monotonic()
        for o in found.values():
            points = age_penalty(CANCEL_PENALTY, self._age(o))
            self.limits.charge_trade(account_id, o.pair_key, points, now_m, force=True)
        self._cancel(list(found.values()), "User requested")
        return {"count": len(found)}

    def _find_quiet(self, account_id: str, **kw: Any) -> list[PaperOrder]:
        try:
            return self._find(account_id, **kw)
        except KrakenError:
            return []

    def _cancel(self, orders: list[PaperOrder], reason: str) -> None:
        for o in orders:
            self.engine.close(o, "canceled", reason, self.now)

    def cancel_all(self, account_id: str) -> dict[str, Any]:
        """CancelAll: ``{"count": N}``."""
        self._account(account_id)
        orders = self.engine.open_orders(account_id)
        self._cancel(orders, "User requested")
        return {"count": len(orders)}

    def cancel_all_orders_after(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """CancelAllOrdersAfter: arm (timeout > 0) or disarm (0) the dead man's switch."""
        self._account(account_id)
        if params.get("timeout") in (None, ""):
            raise invalid_arguments("timeout")
        timeout = parse_int(params["timeout"], "timeout", 0, 86399)
        now = self.now
        if timeout == 0:
            self.dead_man.pop(account_id, None)
            return {"currentTime": iso(now), "triggerTime": "0"}
        self.dead_man[account_id] = now + timeout
        return {"currentTime": iso(now), "triggerTime": iso(now + timeout)}

    def check_timers(self) -> None:
        """Fire due dead man's switches, start scheduled orders and expire due ones."""
        now = self.now
        for account_id, due in list(self.dead_man.items()):
            if due <= now:
                del self.dead_man[account_id]
                self._cancel(self.engine.open_orders(account_id), "Dead man's switch")
        self.engine.start_due(now)
        self.engine.expire_due(now)

    # ----- queries ----------------------------------------------------------------------------
    # ----- queries ----------------------------------------------------------------------------
    def query(self, method: str, account_id: str, params: dict[str, Any]) -> Any:
        """Read-only private methods by Kraken name (Balance, OpenOrders, ...)."""
        self._account(account_id)
        e = self.engine
        table: dict[str, Callable[[], Any]] = {
            "Balance": lambda: queries.balance(e, account_id),
            "BalanceEx": lambda: queries.balance_ex(e, account_id),
            "TradeBalance": lambda: queries.trade_balance(e, account_id, params),
            "OpenOrders": lambda: queries.open_orders(e, account_id, params),
            "ClosedOrders": lambda: queries.closed_orders(e, account_id, params),
            "QueryOrders": lambda: queries.query_orders(e, account_id, params),
            "TradesHistory": lambda: queries.trades_history(e, account_id, params),
            "QueryTrades": lambda: queries.query_trades(e, account_id, params),
            "Ledgers": lambda: queries.ledgers(e, account_id, params),
            "QueryLedgers": lambda: queries.query_ledgers(e, account_id, params),
            "TradeVolume": lambda: queries.trade_volume(e, account_id, params),
            "OpenPositions": lambda: queries.open_positions(params),
        }
        return table[method]()

    def trade_counter(self, account_id: str, pair: str) -> float:
        """Current per-pair trading counter (WS ``ratecounter``)."""
        return self.limits.trade_count(account_id, resolve_pair(pair).key, self.monotonic())

"""Transport-independent private operations: REST and WS v2 handlers are thin translators.

Every method takes an account id and plain parameters and returns a Kraken-shaped result or
raises :class:`~src.venues.kraken_paper.errors.KrakenError` carrying Kraken's exact error string.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from src.venues.kraken_paper import errors as E
from src.venues.kraken_paper.errors import KrakenError, invalid_arguments
from src.venues.kraken_paper.order_parse import OrderRequest, parse_order
from src.venues.kraken_paper.orders import PaperOrder, fmt, new_id
from src.venues.kraken_paper.own_book import is_resting, join_queue
from src.venues.kraken_paper.pairs import resolve_pair
from src.venues.kraken_paper.ratelimit import AMEND_PENALTY, EDIT_PENALTY, age_penalty
from src.venues.kraken_paper.service_base import ServiceBase
from src.venues.kraken_paper.validation import (
    check_minimums,
    check_price,
    check_volume,
    parse_bool,
)


class ExchangeService(ServiceBase):
    """Private operations of the paper exchange over an :class:`Engine`."""

    def _build(self, account_id: str, req: OrderRequest) -> PaperOrder:
        volume = req.volume
        if "viqc" in req.oflags:
            volume = self._viqc_volume(req)
        return PaperOrder(
            txid=new_id("O"), account_id=account_id, pair_key=req.spec.key, side=req.side,
            ordertype=req.ordertype, volume=volume, price=req.price, price2=req.price2,
            opentm=self.now, userref=req.userref, cl_ord_id=req.cl_ord_id, oflags=req.oflags,
            timeinforce=req.timeinforce, expiretm=req.expiretm, last_change=self.monotonic(),
            starttm=req.starttm, display_qty=req.displayvol, stptype=req.stptype,
            peak=self._last(req.spec.key) if req.trail else None,
            trail=req.trail.value if req.trail else None,
            trail_pct=bool(req.trail and req.trail.pct),
            limit_offset=req.limit_offset.sign * req.limit_offset.value
            if req.limit_offset else None,
            limit_offset_pct=bool(req.limit_offset and req.limit_offset.pct),
            close_ordertype=req.close.ordertype if req.close else None,
            close_price=req.close.price if req.close else None,
            close_price2=req.close.price2 if req.close else None,
        )  # fmt: skip

    def _viqc_volume(self, req: OrderRequest) -> Decimal:
        """Convert a quote-currency market buy into a base volume at the current ask."""
        market = self.engine.markets[req.spec.key]
        asks = market.book()[1]
        ask = asks[0][0] if asks else market.last
        lot = Decimal(1).scaleb(-req.spec.lot_decimals)
        volume = (req.volume / ask).quantize(lot, rounding="ROUND_DOWN")
        check_minimums(req.spec, volume, ask)
        return volume

    # ----- order entry ----------------------------------------------------------------------
    def add_order(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """AddOrder. Returns ``{"descr": {"order": ...}, "txid": [...]}`` (no txid if validate)."""
        acct = self._account(account_id)
        pair = resolve_pair(str(params["pair"])) if params.get("pair") else None
        if pair is not None:
            self.limits.charge_trade(account_id, pair.key, 1, self.monotonic())
        req = parse_order(params, self.now, self._last)
        self._check_status("post" in req.oflags)
        order = self._prepare(acct, req)
        if req.validate:
            return {"descr": _descr(order)}
        self.engine.submit(order)
        return {"descr": _descr(order), "txid": [order.txid]}

    def _prepare(self, acct: Any, req: OrderRequest) -> PaperOrder:
        opens = self.engine.open_orders(acct.id)
        if req.cl_ord_id and any(o.cl_ord_id == req.cl_ord_id for o in opens):
            raise invalid_arguments("cl_ord_id")
        same_pair = [o for o in opens if o.pair_key == req.spec.key]
        if self.limits.enabled and len(same_pair) >= self.limits.tier.max_open_per_pair:
            raise KrakenError(E.ORDERS_LIMIT)
        order = self._build(acct.id, req)
        self.engine.check_funds(acct, order)
        return order

    def add_order_batch(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """AddOrderBatch: validate all (one invalid rejects the batch), then fund each."""
        acct = self._account(account_id)
        orders = params.get("orders")
        if not isinstance(orders, list) or not 2 <= len(orders) <= 15:
            raise invalid_arguments("orders")
        if not params.get("pair"):
            raise invalid_arguments("pair")
        spec = resolve_pair(str(params["pair"]))
        self.limits.charge_trade(account_id, spec.key, len(orders) / 2, self.monotonic())
        reqs = []
        for item in orders:
            if not isinstance(item, dict):
                raise invalid_arguments("orders")
            entry = {**item, "pair": params["pair"]}
            if "type" not in entry and "side" in entry:
                entry["type"] = entry["side"]
            reqs.append(parse_order(entry, self.now, self._last))
        self._check_status(all("post" in r.oflags for r in reqs))
        validate = parse_bool(params.get("validate"), "validate")
        results: list[dict[str, Any]] = []
        for req in reqs:
            try:
                order = self._prepare(acct, req)
                if not validate:
                    self.engine.submit(order)
                row: dict[str, Any] = {"descr": _descr(order)}
                if not validate:
                    row["txid"] = order.txid
                results.append(row)
            except KrakenError as exc:
                results.append({"error": exc.message})
        return {"orders": results}

    def amend_order(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """AmendOrder: in-place change of quantity, limit or trigger price (ids kept)."""
        self._account(account_id)
        order = self._find(account_id, params.get("txid"), params.get("cl_ord_id"))[0]
        now_m = self.monotonic()
        self.limits.charge_trade(
            account_id, order.pair_key, 1 + age_penalty(AMEND_PENALTY, self._age(order)), now_m
        )
        self._check_status()
        spec = order.spec
        trial = _amend_trial(order, params)
        check_minimums(spec, trial.volume, trial.limit_price or trial.price or self._last(spec.key))
        if trial.post_only and trial.ordertype == "limit" and self.engine.marketable(trial):
            raise KrakenError(E.POST_ONLY)
        if trial.volume > order.vol_exec:
            self.engine.check_funds(self.engine.accounts[account_id], trial, exclude=order.txid)
        moved = trial.limit_price != order.limit_price
        order.volume, order.price, order.price2 = trial.volume, trial.price, trial.price2
        order.oflags = trial.oflags
        if moved and is_resting(order):  # a new price is a new place in the queue
            join_queue(self.engine, order, self.now)
        order.last_change = now_m
        if "amended" not in order.misc:
            order.misc.append("amended")
        self.engine.emit(order, "amended", self.now)
        if order.remaining <= 0:
            self.engine.close(order, "closed", None, self.now)
        self.engine.on_change()
        return {"amend_id": new_id("T")}

    def edit_order(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """EditOrder (legacy): cancel and replace with a new txid."""
        self._account(account_id)
        if not params.get("pair"):
            raise invalid_arguments("pair")
        if params.get("cl_ord_id"):
            raise invalid_arguments("cl_ord_id")
        spec = resolve_pair(str(params["pair"]))
        old = self._find(account_id, params.get("txid"))[0]
        if old.pair_key != spec.key:
            raise KrakenError(E.UNKNOWN_ORDER)
        self.limits.charge_trade(
            account_id, spec.key, 1 + age_penalty(EDIT_PENALTY, self._age(old)), self.monotonic()
        )
        self._check_status()
        if old.triggered or old.close_ordertype is not None or old.trail is not None:
            # Kraken: triggered stops and orders with close terms cannot be edited; a trail
            # (an offset, not a price) is not carried over here either
            raise KrakenError(E.INVALID_ORDER)
        new_params = {
            "pair": spec.key, "type": old.side, "ordertype": old.ordertype,
            "volume": params.get("volume") or str(old.volume),
            "price": params.get("price") or (str(old.price) if old.price else None),
            "price2": params.get("price2") or (str(old.price2) if old.price2 else None),
            "oflags": params.get("oflags", ",".join(old.oflags)),
            "userref": params.get("userref") or old.userref,
            "timeinforce": old.timeinforce, "expiretm": old.expiretm,
        }  # fmt: skip
        req = parse_order(new_params, self.now, self._last)
        if req.volume <= old.vol_exec:
            raise invalid_arguments("volume")
        order = self._build(account_id, req)
        self.engine.check_funds(self.engine.accounts[account_id], order, exclude=old.txid)
        validate = parse_bool(params.get("validate"), "validate")
        result: dict[str, Any] = {
            "status": "ok", "descr": {"order": order.descr_text()},
            "volume": fmt(order.volume, spec.lot_decimals),
            "price": fmt(order.price or Decimal(0), spec.pair_decimals),
            "price2": fmt(order.price2 or Decimal(0), spec.pair_decimals),
            "orders_cancelled": 0 if validate else 1, "originaltxid": old.txid,
        }  # fmt: skip
        if validate:
            return result
        self.engine.close(old, "canceled", "Order replaced", self.now)
        self.engine.submit(order)
        result["txid"] = order.txid
        if old.userref is not None or order.userref is not None:
            result["olduserref"], result["newuserref"] = old.userref, order.userref
        return result


def _descr(order: PaperOrder) -> dict[str, str]:
    """AddOrder's ``descr``: the order text, and the close text when there are close terms."""
    out = {"order": order.descr_text()}
    if order.close_ordertype is not None:
        out["close"] = order.close_text()
    return out


def _amend_trial(order: PaperOrder, params: dict[str, Any]) -> PaperOrder:
    """A copy of ``order`` with AmendOrder's new quantity, prices and post-only flag applied.

    Raises:
        KrakenError: A value is malformed, or names a price the order type does not have.
    """
    spec = order.spec
    qty = check_volume(spec, params["order_qty"]) if params.get("order_qty") else None
    limit = (
        check_price(spec, params["limit_price"], "limit_price")
        if params.get("limit_price") else None
    )  # fmt: skip
    trigger = (
        check_price(spec, params["trigger_price"], "trigger_price")
        if params.get("trigger_price") else None
    )  # fmt: skip
    if limit is not None and order.limit_price is None:
        raise invalid_arguments("limit_price")
    if trigger is not None and order.ordertype in ("market", "limit"):
        raise invalid_arguments("trigger_price")
    post = parse_bool(params.get("post_only"), "post_only") if "post_only" in params else None
    trial = PaperOrder(**{**order.__dict__, "misc": list(order.misc)})
    if qty is not None:
        trial.volume = qty
    if limit is not None:
        if order.ordertype == "limit":
            trial.price = limit
        else:
            trial.price2 = limit
    if trigger is not None:
        trial.price = trigger
    if post is not None:
        trial.oflags = tuple(f for f in order.oflags if f != "post") + (("post",) if post else ())
    return trial


__all__ = ["ExchangeService"]

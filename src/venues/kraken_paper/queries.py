"""Read-only private queries (balances, orders, trades, ledgers) shaped as Kraken returns them."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from src.venues.kraken_paper.errors import invalid_arguments
from src.venues.kraken_paper.matching import Engine
from src.venues.kraken_paper.orders import PaperOrder, PaperTrade, check_txid, fmt
from src.venues.kraken_paper.pairs import asset_decimals, resolve_asset, resolve_pair
from src.venues.kraken_paper.validation import parse_bool, parse_int

PAGE = 50
#: Seconds a stored trade may precede the one stored before it (a wall clock stepped back).
CLOCK_SLACK = 300.0


def _ids(value: Any, name: str, limit: int) -> list[str]:
    if value is None or value == "":
        raise invalid_arguments(name)
    items = value if isinstance(value, list) else str(value).split(",")
    ids = [str(i).strip() for i in items if str(i).strip()]
    if not ids or len(ids) > limit:
        raise invalid_arguments(name)
    return ids


def balance(engine: Engine, account_id: str) -> dict[str, str]:
    """Balance: total per asset (held funds included)."""
    acct = engine.accounts[account_id]
    return {a: fmt(v, asset_decimals(a)) for a, v in sorted(acct.balances.items())}


def balance_ex(engine: Engine, account_id: str) -> dict[str, dict[str, str]]:
    """BalanceEx: ``balance`` and ``hold_trade`` per asset."""
    acct = engine.accounts[account_id]
    holds = engine.holds(acct)
    return {
        a: {
            "balance": fmt(v, asset_decimals(a)),
            "hold_trade": fmt(holds.get(a, Decimal(0)), asset_decimals(a)),
        }
        for a, v in sorted(acct.balances.items())
    }


def trade_balance(engine: Engine, account_id: str, params: dict[str, Any]) -> dict[str, str]:
    """TradeBalance in USD (spot only: no margin, so e = tb and mf = e)."""
    asset = resolve_asset(str(params.get("asset") or "ZUSD")).id
    if asset != "ZUSD":
        raise invalid_arguments("asset")
    acct = engine.accounts[account_id]
    eb = sum((engine.usd_value(a, v) for a, v in acct.balances.items()), Decimal(0))
    uv = sum(
        (engine.usd_value(o.spec.quote, o.remaining * (o.limit_price or o.price or Decimal(0)))
         for o in engine.open_orders(account_id)),
        Decimal(0),
    )  # fmt: skip
    q = Decimal("0.0001")
    zero = "0.0000"
    eb_s = str(eb.quantize(q))
    return {"eb": eb_s, "tb": eb_s, "m": zero, "n": zero, "c": zero, "v": zero, "e": eb_s,
            "mf": eb_s, "uv": str(uv.quantize(q))}  # fmt: skip


def _filter(orders: list[PaperOrder], params: dict[str, Any]) -> list[PaperOrder]:
    if params.get("userref") not in (None, ""):
        ref = parse_int(params["userref"], "userref")
        orders = [o for o in orders if o.userref == ref]
    if params.get("cl_ord_id"):
        orders = [o for o in orders if o.cl_ord_id == str(params["cl_ord_id"])]
    return orders


def open_orders(engine: Engine, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """OpenOrders: ``{"open": {txid: order}}``."""
    trades = parse_bool(params.get("trades"), "trades")
    orders = _filter(engine.open_orders(account_id), params)
    return {"open": {o.txid: o.to_kraken(trades) for o in orders}}


def _bound(
    engine: Engine, value: Any, name: str, lookup: Callable[[str], float | None]
) -> float | None:
    if value in (None, ""):
        return None
    text = str(value)
    stamp = lookup(text)
    if stamp is not None:
        return stamp
    try:
        return float(text)
    except ValueError:
        raise invalid_arguments(name) from None


def closed_orders(engine: Engine, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """ClosedOrders: newest first, 50 per page from ``ofs``, with ``count``."""
    trades = parse_bool(params.get("trades"), "trades")
    ofs = parse_int(params.get("ofs") or 0, "ofs", 0)
    which = str(params.get("closetime") or "both")

    def opens(txid: str) -> float | None:
        order = engine.orders.get(txid)
        return None if order is None else order.opentm

    start = _bound(engine, params.get("start"), "start", opens)
    end = _bound(engine, params.get("end"), "end", opens)
    rows = [
        o for o in engine.orders.values()
        if o.account_id == account_id and o.closetm is not None
    ]  # fmt: skip
    rows = _filter(rows, params)

    def stamp(o: PaperOrder) -> float:
        return o.opentm if which == "open" else o.closetm or o.opentm

    rows = [o for o in rows if (start is None or stamp(o) > start)]
    rows = [o for o in rows if (end is None or stamp(o) <= end)]
    rows.sort(key=stamp, reverse=True)
    out: dict[str, Any] = {"closed": {o.txid: o.to_kraken(trades) for o in rows[ofs : ofs + PAGE]}}
    if not parse_bool(params.get("without_count"), "without_count"):
        out["count"] = len(rows)
    return out


def query_orders(engine: Engine, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """QueryOrders: the requested orders of this account keyed by txid (unknown ids omitted)."""
    trades = parse_bool(params.get("trades"), "trades")
    out = {}
    for txid in _ids(params.get("txid"), "txid", 50):
        order = engine.orders.get(check_txid(txid))
        if order is not None and order.account_id == account_id:
            out[txid] = order.to_kraken(trades)
    return out


def trades_history(engine: Engine, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """TradesHistory: newest first, 50 per page, with ``count``."""
    ofs = parse_int(params.get("ofs") or 0, "ofs", 0)

    def stamps(txid: str) -> float | None:
        trade = engine.trades.get(txid)
        return None if trade is None else trade.time

    start = _bound(engine, params.get("start"), "start", stamps)
    end = _bound(engine, params.get("end"), "end", stamps)
    rows = [
        t for t in _trades_after(engine, start)
        if t.account_id == account_id and (start is None or t.time > start)
        and (end is None or t.time <= end)
    ]  # fmt: skip
    rows.sort(key=lambda t: t.time, reverse=True)
    return {"trades": {t.txid: t.to_kraken() for t in rows[ofs : ofs + PAGE]}, "count": len(rows)}


def _trades_after(engine: Engine, start: float | None) -> list[PaperTrade]:
    """Trades newer than ``start``, without walking the whole history when ``start`` is set.

    Trades are stored in execution order, so walk back from the newest and stop well past
    ``start`` (the slack tolerates a wall clock stepped back a little between two trades).
    """
    if start is None:
        return list(engine.trades.values())
    out = []
    for trade in reversed(engine.trades.values()):
        if trade.time <= start - CLOCK_SLACK:
            break
        out.append(trade)
    return out


def query_trades(engine: Engine, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """QueryTrades: up to 20 trade txids."""
    out = {}
    for txid in _ids(params.get("txid"), "txid", 20):
        trade = engine.trades.get(txid)
        if trade is not None and trade.account_id == account_id:
            out[txid] = trade.to_kraken()
    return out


def ledgers(engine: Engine, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """Ledgers: newest first, 50 per page, optional ``asset`` filter."""
    ofs = parse_int(params.get("ofs") or 0, "ofs", 0)
    rows = list(engine.accounts[account_id].ledger)
    if params.get("asset") and str(params["asset"]) != "all":
        wanted = {resolve_asset(a).id for a in str(params["asset"]).split(",")}
        rows = [e for e in rows if e.asset in wanted]
    rows.reverse()
    return {"ledger": {e.id: e.to_kraken() for e in rows[ofs : ofs + PAGE]}, "count": len(rows)}


def query_ledgers(engine: Engine, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """QueryLedgers: up to 20 ledger ids."""
    wanted = set(_ids(params.get("id"), "id", 20))
    return {e.id: e.to_kraken() for e in engine.accounts[account_id].ledger if e.id in wanted}


def open_positions(params: dict[str, Any]) -> dict[str, Any] | list[Any]:
    """OpenPositions of a spot-only venue: none, in the shape the request asks for.

    Kraken answers ``{posid: position}``, or a list of per-pair aggregates with
    ``consolidation=market`` (what ccxt sends); with no positions that is ``{}`` or ``[]``.
    """
    consolidation = params.get("consolidation")
    if consolidation not in (None, "", "market"):
        raise invalid_arguments("consolidation")
    parse_bool(params.get("docalcs"), "docalcs")
    return [] if consolidation == "market" else {}


def trade_volume(engine: Engine, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """TradeVolume: 30-day USD volume and the current fee tier per requested pair."""
    acct = engine.accounts[account_id]
    out: dict[str, Any] = {
        "currency": "ZUSD",
        "volume": str(acct.volume_usd.quantize(Decimal("0.0001"))),
    }
    if params.get("pair"):
        fees, makers = {}, {}
        for name in str(params["pair"]).split(","):
            spec = resolve_pair(name)
            fees[spec.key] = spec.fee_object(acct.volume_usd, maker=False)
            makers[spec.key] = spec.fee_object(acct.volume_usd, maker=True)
        out["fees"], out["fees_maker"] = fees, makers
    return out

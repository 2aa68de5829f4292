"""WebSocket v1 feed messages built from venue state (Kraken's field names and samples).

https://docs.kraken.com/api/docs/futures-api/websocket/ (ticker, book, trade, open_orders,
open_positions, fills, balances).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from src.venues.kraken_futures_paper import payloads
from src.venues.kraken_futures_paper.api import Venue
from src.venues.kraken_futures_paper.margin import Figures
from src.venues.kraken_futures_paper.market import Print
from src.venues.kraken_futures_paper.state import Account
from src.venues.kraken_futures_paper.views import ticker_view
from src.venues.kraken_futures_paper.wire import ms

__all__ = ["balances", "book_snapshot", "fills_snapshot", "positions", "ticker", "trade"]

ZERO = Decimal(0)


def ticker(ex: Venue, symbol: str) -> dict[str, Any]:
    """A ``ticker`` message (every field, every time)."""
    rest = ticker_view(ex, symbol)
    market = ex.engine.markets[symbol]
    now = ex.now()
    msg: dict[str, Any] = {
        "time": ms(now), "feed": "ticker", "product_id": symbol,
        "bid": rest.get("bid"), "ask": rest.get("ask"), "bid_size": rest.get("bidSize"),
        "ask_size": rest.get("askSize"), "volume": rest.get("vol24h"),
        "volumeQuote": rest.get("volumeQuote"), "index": market.index,
        "premium": (market.mark(now) / market.index - 1) * 100 if market.index else ZERO,
        "last": rest.get("last"), "suspended": rest.get("suspended"),
        "post_only": rest.get("postOnly"), "tag": rest.get("tag"), "pair": rest.get("pair"),
        "openInterest": market.open_interest, "markPrice": market.mark(now),
    }  # fmt: skip
    contract = market.contract
    if contract.perpetual:
        life = ex.lifecycle
        relative = life.current.get(symbol, ZERO)
        predicted = life.prediction(symbol)
        if relative or predicted:  # Kraken omits the funding fields when zero
            msg.update({
                "funding_rate": life.absolute(symbol, relative),
                "funding_rate_prediction": life.absolute(symbol, predicted),
                "relative_funding_rate": relative,
                "relative_funding_rate_prediction": predicted,
                "next_funding_rate_time": ms(life.next_funding) if life.next_funding else None,
            })  # fmt: skip
    else:
        assert contract.last_trading is not None
        msg["maturityTime"] = ms(contract.last_trading)
        msg["dtm"] = max(0, (contract.last_trading - now).days)
    return {k: v for k, v in msg.items() if v is not None}


def levels(rows: list[tuple[Decimal, Decimal]]) -> list[dict[str, Any]]:
    """Book levels as ``[{price, qty}]``."""
    return [{"price": p, "qty": q} for p, q in rows]


def book_snapshot(ex: Venue, symbol: str, seq: int) -> dict[str, Any]:
    """A ``book_snapshot``."""
    bids, asks = ex.book_levels(symbol)
    return {
        "feed": "book_snapshot", "product_id": symbol, "timestamp": ms(ex.now()), "seq": seq,
        "tickSize": None, "bids": levels(bids), "asks": levels(asks),
    }  # fmt: skip


def trade(symbol: str, item: Print, seq: int, feed: str = "trade") -> dict[str, Any]:
    """A ``trade`` message (also the rows of ``trade_snapshot``)."""
    return {
        "feed": feed, "product_id": symbol, "uid": item.uid, "side": item.side,
        "type": item.kind, "seq": seq, "time": ms(item.time), "qty": item.size,
        "price": item.price,
    }  # fmt: skip


def fills_snapshot(account: Account) -> dict[str, Any]:
    """``fills_snapshot``: the account's last 100 fills, newest first."""
    rows = [payloads.ws_fill(f) for f in reversed(account.fills[-100:])]
    return {"feed": "fills_snapshot", "account": account.id, "fills": rows}


def positions(ex: Venue, account: Account, seq: int) -> dict[str, Any]:
    """``open_positions``: every position with mark, PnL, margins and liquidation threshold."""
    engine, now = ex.engine, ex.now()
    rows = []
    for symbol, position in account.positions.items():
        if position.size == 0:
            continue
        contract, market = engine.contracts[symbol], engine.markets[symbol]
        mark = market.mark(now)
        im, mm = contract.margins(position.size, mark)
        pnl = contract.pnl(position.size, position.entry, mark)
        fig = engine.figures(
            account, "flex" if contract.linear else f"fi_{contract.base.lower()}usd"
        )
        rows.append({
            "instrument": symbol, "balance": position.size, "entry_price": position.entry,
            "mark_price": mark, "index_price": market.index, "pnl": pnl,
            "liquidation_threshold": _liquidation(
                contract, position.size, position.entry, fig, mm, mark
            ),
            "return_on_equity": pnl / im if im else ZERO,
            "unrealized_funding": engine.accrued.get(account.id, {}).get(symbol, ZERO),
            "effective_leverage": (
                contract.value(position.size, mark) / fig.equity if fig.equity > 0 else ZERO
            ),
            "initial_margin": im, "maintenance_margin": mm,
            "initial_margin_with_orders": fig.initial_with_orders,
            "pnl_currency": "USD" if contract.linear else contract.base,
        })  # fmt: skip
    return {"feed": "open_positions", "account": account.id, "positions": rows, "seq": seq,
            "timestamp": ms(now)}  # fmt: skip


def _liquidation(
    contract: Any, size: Decimal, entry: Decimal, fig: Figures, mm: Decimal, mark: Decimal
) -> Decimal:
    # The price where this group's equity meets maintenance, other positions held at the mark
    # (the venue's own arithmetic: equity(p) = backing + pnl(p), mm(p) = rate * value(p)).
    rate = mm / contract.value(size, mark) if size else ZERO
    backing = fig.equity - contract.pnl(size, entry, mark)
    if contract.linear:
        denominator = size - abs(size) * rate
        price = (size * entry - backing) / denominator if denominator else ZERO
    else:
        denominator = backing + size / entry
        price = (size + abs(size) * rate) / denominator if denominator else ZERO
    return price if price > 0 else ZERO


def balances(ex: Venue, account: Account, seq: int, feed: str) -> dict[str, Any]:
    """``balances_snapshot`` / ``balances``: flex figures and each inverse wallet."""
    engine = ex.engine
    flex = engine.figures(account, "flex")
    futures = {}
    for base in sorted({c.base for c in engine.contracts.values() if not c.linear}):
        name = f"fi_{base.lower()}usd"
        fig = engine.figures(account, name)
        futures[name] = {
            "name": name, "pair": f"{base}/USD", "unit": base,
            "portfolio_value": fig.portfolio_value, "balance": fig.balance_value,
            "maintenance_margin": fig.maintenance, "initial_margin": fig.initial,
            "available": fig.available, "unrealized_funding": fig.unrealized_funding,
            "pnl": fig.pnl,
        }  # fmt: skip
    currencies = {
        c: {"quantity": q, "value": q, "collateral_value": q, "available": q, "haircut": ZERO,
            "conversion_spread": ZERO}
        for c, q in account.flex.items()
    }  # fmt: skip
    return {
        "feed": feed, "account": account.id, "timestamp": ms(ex.now()), "seq": seq,
        "holding": {}, "futures": futures,
        "flex_futures": {
            "currencies": currencies, "balance_value": flex.balance_value,
            "portfolio_value": flex.portfolio_value, "collateral_value": flex.collateral,
            "initial_margin": flex.initial_with_orders,
            "initial_margin_without_orders": flex.initial,
            "maintenance_margin": flex.maintenance, "pnl": flex.pnl,
            "unrealized_funding": flex.unrealized_funding,
            "total_unrealized": flex.pnl + flex.unrealized_funding,
            "total_unrealized_as_margin": flex.pnl + flex.unrealized_funding,
            "margin_equity": flex.equity, "available_margin": flex.available,
        },
    }  # fmt: skip

"""Conditional close orders (OTO): what a primary order's fill places on the book.

Kraken (docs: websocket-v2/add_order, batch_add, rest-api/add-order ``close[...]``): the
close terms are a template; each fill of the primary places a new opposite order of that
fill's size on the same pair, with the close order type and prices. The close order is an
order like any other (OpenOrders, executions), whose ``refid`` names the primary.
"""

from __future__ import annotations

from decimal import Decimal

from src.venues.kraken_paper.errors import KrakenError
from src.venues.kraken_paper.orders import PaperOrder, new_id
from src.venues.kraken_paper.own_book import Engine


def close_order(primary: PaperOrder, qty: Decimal, now: float) -> PaperOrder:
    """The close order one fill of ``qty`` places (not yet submitted)."""
    assert primary.close_ordertype is not None
    return PaperOrder(
        txid=new_id("O"), account_id=primary.account_id, pair_key=primary.pair_key,
        side="sell" if primary.side == "buy" else "buy", ordertype=primary.close_ordertype,
        volume=qty, price=primary.close_price, price2=primary.close_price2, opentm=now,
        userref=primary.userref, refid=primary.txid, last_change=primary.last_change,
    )  # fmt: skip


def place_close(engine: Engine, primary: PaperOrder, qty: Decimal, now: float) -> None:
    """Place the close order for one fill; unfunded, it is born canceled (still reported).

    Funding is checked as for any order: a sold-out base or spent quote cannot back it.
    """
    order = close_order(primary, qty, now)
    try:
        engine.check_funds(engine.accounts[order.account_id], order)
    except KrakenError as exc:
        engine.add_order(order)
        engine.emit(order, "pending_new", now)
        engine.close(order, "canceled", exc.message.split(":", 1)[-1], now)
        return
    engine.submit(order)

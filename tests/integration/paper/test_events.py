"""The event bus carries order, fill, balance and market events for the WS v2 server."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.venues.kraken_paper import PaperExchange
from src.venues.kraken_paper.events import (
    BalanceEvent,
    BookEvent,
    Event,
    OrderEvent,
    OwnTradeEvent,
    PublicTradeEvent,
    StatusEvent,
    TickerEvent,
)


async def test_order_lifecycle_events(exchange: PaperExchange) -> None:
    seen: list[Event] = []
    unsubscribe = exchange.bus.subscribe(seen.append)
    res = exchange.service.add_order(
        "demo", {"pair": "BTC/USD", "type": "buy", "ordertype": "limit", "volume": "0.1",
                 "price": "29000.0", "cl_ord_id": "ev-1"},
    )  # fmt: skip
    exchange.drive("XBTUSD", "28990.0", qty="0.04")
    exchange.drive("XBTUSD", "28980.0", qty="1")
    unsubscribe()
    orders = [e for e in seen if isinstance(e, OrderEvent)]
    assert [e.exec_type for e in orders] == ["pending_new", "new", "trade", "trade", "filled"]
    assert all(e.order.txid == res["txid"][0] and e.order.cl_ord_id == "ev-1" for e in orders)
    first_fill = orders[2]
    assert first_fill.fill is not None and first_fill.fill.liquidity == "m"
    assert first_fill.order.cum_qty == Decimal("0.04") and first_fill.order.symbol == "BTC/USD"
    assert orders[-1].order.avg_price == Decimal("29000") and orders[-1].order.status == "closed"
    own = [e for e in seen if isinstance(e, OwnTradeEvent)]
    assert sum((e.qty for e in own), Decimal(0)) == Decimal("0.1")
    bal = [e for e in seen if isinstance(e, BalanceEvent)]
    assert {e.asset for e in bal} == {"ZUSD", "XXBT"} and len(bal) == 4
    assert bal[-1].balance == exchange.engine.accounts["demo"].balances[bal[-1].asset]
    assert any(isinstance(e, PublicTradeEvent) for e in seen)
    books = [e for e in seen if isinstance(e, BookEvent)]
    assert books and books[-1].bids[0][0] < books[-1].asks[0][0]
    assert any(isinstance(e, TickerEvent) and e.last == Decimal("28980.0") for e in seen)


async def test_queue_subscription_and_status(exchange: PaperExchange) -> None:
    q = exchange.bus.queue()
    exchange.set_status("cancel_only")
    event = await q.get()
    assert isinstance(event, StatusEvent) and event.system == "cancel_only"
    exchange.bus.close_queue(q)
    from src.venues.kraken_paper import KrakenError

    with pytest.raises(KrakenError, match="EService:Market in cancel_only mode"):
        exchange.service.add_order(
            "demo", {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.001"}
        )

"""An adapter whose private socket runs through a fault proxy, and the orders such tests place.

REST goes straight to the paper exchange; only the authenticated WebSocket passes the proxy, so
a test decides which ``executions`` frames the adapter sees. Reconnects and gap rechecks are
quick, so a test waits fractions of a second for what a bot would wait seconds for.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from src.brokers.kraken.limits.gate import NullGate
from src.brokers.kraken.ws.backoff import Backoff
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.execution import Order, OrderType, Side

QTY = Decimal("0.002")


def adapter_behind(exchange: Any, private_url: str) -> KrakenAdapter:
    """An adapter (not opened yet) on ``exchange``, its private socket on ``private_url``."""
    options = {"backoff": Backoff(initial=0.02, cap=0.1, rng=random.Random(8)),
               "gap_recheck": 0.2}  # fmt: skip
    return KrakenAdapter(
        api_key=exchange.api_key, api_secret=exchange.api_secret, base_url=exchange.rest_url,
        ws_url=exchange.ws_url, ws_auth_url=private_url, gate=NullGate(),
        order_transport="rest", ws_options=options,
    )  # fmt: skip


def last_btc(exchange: Any) -> Decimal:
    """BTC/USD's last trade on the exchange, at its price precision."""
    return Decimal(str(exchange.markets["XXBTZUSD"].last)).quantize(Decimal("0.1"))


async def buy_limit(adapter: KrakenAdapter, price: Decimal) -> str:
    """Rest a BTC/USD limit buy of ``QTY`` at ``price``; return its order id."""
    order = Order(symbol="BTC/USD", side=Side.BUY, quantity=QTY,
                  order_type=OrderType.LIMIT, limit_price=price)  # fmt: skip
    [ack] = await adapter.submit_orders([order])
    assert ack.order_id is not None
    return ack.order_id

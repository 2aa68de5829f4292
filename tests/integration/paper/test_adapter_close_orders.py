"""The adapter's conditional close (``Order.close_*``) on the paper exchange, REST and WS."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.execution import Order, OrderStatus, OrderType, OrderUpdate, Side
from src.venues.kraken_paper import PaperExchange
from tests.support.waiting import eventually


@pytest.mark.parametrize("transport", ["rest", "websocket"])
async def test_entry_with_a_stop_attached(exchange: PaperExchange, transport: str) -> None:
    async with KrakenAdapter(
        api_key=exchange.api_key, api_secret=exchange.api_secret, base_url=exchange.rest_url,
        ws_url=exchange.ws_url, ws_auth_url=exchange.ws_auth_url, order_transport=transport,
    ) as adapter:  # fmt: skip
        entry = Order(
            symbol="BTC/USD", side=Side.BUY, quantity="0.01", order_type=OrderType.LIMIT,
            limit_price="29000", close_order_type=OrderType.STOP_LOSS_LIMIT,
            close_stop_price="28000.04", close_limit_price="27900.06",
        )  # fmt: skip
        [ack] = await adapter.submit_orders([entry])
        assert ack.status is OrderStatus.OPEN and adapter.last_order_transport == transport
        primary = exchange.engine.orders[ack.order_id or ""]
        # rounded for the sell the close becomes: trigger to the nearest tick, limit up
        assert (primary.close_ordertype, primary.close_price, primary.close_price2) == (
            "stop-loss-limit",
            Decimal("28000.0"),
            Decimal("27900.1"),
        )
        exchange.drive("XBTUSD", "29000.0", qty="1")

        async def close_listed() -> list[OrderUpdate]:
            return [o for o in await adapter.get_orders("open")
                    if o.get("refid") == ack.order_id]  # fmt: skip

        [close] = await eventually(close_listed, "the close order", ok=lambda r: len(r) == 1)
        assert close.side is Side.SELL and close.quantity == Decimal("0.01")
        assert close.order_type is OrderType.STOP_LOSS_LIMIT
        assert close.get("descr")["close"] == ""
        [entry_row] = [o for o in await adapter.get_orders("closed") if o.order_id == ack.order_id]
        assert entry_row.get("descr")["close"] == (
            "close position @ stop loss 28000.0 -> limit 27900.1"
        )

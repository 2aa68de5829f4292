"""The adapter's iceberg, self-trade prevention, scheduled start and deadline on the exchange."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.errors import BrokerError
from src.core.execution import Order, OrderStatus, OrderType, SelfTradePrevention, Side
from src.venues.kraken_paper import PaperExchange


@pytest.mark.parametrize("transport", ["rest", "websocket"])
async def test_options_reach_the_exchange(exchange: PaperExchange, transport: str) -> None:
    now = datetime.fromtimestamp(exchange.now(), UTC)
    async with KrakenAdapter(
        api_key=exchange.api_key, api_secret=exchange.api_secret, base_url=exchange.rest_url,
        ws_url=exchange.ws_url, ws_auth_url=exchange.ws_auth_url, order_transport=transport,
    ) as adapter:  # fmt: skip
        iceberg = Order(
            symbol="BTC/USD", side=Side.BUY, quantity="0.3", order_type=OrderType.LIMIT,
            limit_price="29000", display_quantity="0.02",
            self_trade_prevention=SelfTradePrevention.CANCEL_BOTH,
            start_at=now + timedelta(minutes=5), deadline=now + timedelta(seconds=30),
        )  # fmt: skip
        [ack] = await adapter.submit_orders([iceberg])
        assert ack.status in (OrderStatus.OPEN, OrderStatus.PENDING)
        placed = exchange.engine.orders[ack.order_id or ""]
        assert (placed.ordertype, placed.display_qty, placed.stptype, placed.status) == (
            "iceberg",
            Decimal("0.02"),
            "cancel-both",
            "pending",
        )
        assert placed.starttm == pytest.approx((now + timedelta(minutes=5)).timestamp())
        late = Order(symbol="BTC/USD", side=Side.BUY, quantity="0.01", order_type=OrderType.LIMIT,
                     limit_price="29000", deadline=now - timedelta(seconds=1))  # fmt: skip
        with pytest.raises(BrokerError, match="Deadline elapsed"):
            await adapter.submit_orders([late])

"""KrakenAdapter full order lifecycles against the paper exchange over loopback sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from src.brokers.kraken.limits.gate import NullGate
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.errors import (
    InsufficientFundsError,
    InvalidNonceError,
    OrderMinimumError,
    RestRateLimitError,
    TradingRateLimitError,
)
from src.core.execution import Order, OrderStatus, OrderType, Side
from src.utils.retry import RetryPolicy
from src.venues.kraken_paper import PaperExchange
from tests.integration.paper.kraken_client import Client


@pytest.fixture
async def adapter(exchange: PaperExchange) -> AsyncIterator[KrakenAdapter]:
    async with KrakenAdapter(
        api_key=exchange.api_key, api_secret=exchange.api_secret, base_url=exchange.rest_url,
        retry=RetryPolicy(max_attempts=1),
    ) as a:  # fmt: skip
        yield a


def _limit(price: str, qty: str = "0.01", side: Side = Side.BUY) -> Order:
    return Order(
        symbol="BTC/USD", side=side, quantity=Decimal(qty), order_type=OrderType.LIMIT,
        limit_price=Decimal(price),
    )  # fmt: skip


async def test_place_amend_cancel(adapter: KrakenAdapter, exchange: PaperExchange) -> None:
    (ack,) = await adapter.submit_orders([_limit("29000.0")])
    assert ack.status is OrderStatus.OPEN and ack.order_id
    assert exchange.engine.orders[ack.order_id].cl_ord_id == ack.client_order_id
    await adapter.amend_order(ack.order_id, quantity=Decimal("0.02"), limit_price=Decimal("29100"))
    (update,) = await adapter.get_orders("open")
    assert update.order_id == ack.order_id
    assert (update.quantity, update.limit_price) == (Decimal("0.02"), Decimal("29100.0"))
    await adapter.cancel_order(ack.order_id)
    assert await adapter.get_orders("open") == []
    found = await adapter.find_order(ack.client_order_id)
    assert found is not None and found.status is OrderStatus.CANCELED


async def test_partial_then_full_fill(adapter: KrakenAdapter, exchange: PaperExchange) -> None:
    (ack,) = await adapter.submit_orders([_limit("29000.0", "0.1")])
    assert ack.order_id
    exchange.drive("XBTUSD", "28990.0", qty="0.03", side="sell")
    found = await adapter.find_order(ack.client_order_id)
    assert found is not None and found.filled_quantity == Decimal("0.03")
    assert found.status is OrderStatus.PARTIALLY_FILLED
    exchange.drive("XBTUSD", "28980.0", qty="1", side="sell")
    found = await adapter.find_order(ack.client_order_id)
    assert found is not None and found.status is OrderStatus.FILLED
    assert found.average_price == Decimal("29000")
    fills = await adapter.get_fills()
    assert sum((f.quantity for f in fills), Decimal(0)) == Decimal("0.1")
    account = await adapter.get_account()
    assert account["BTC"] == Decimal("0.6")


async def test_stop_loss_triggers(adapter: KrakenAdapter, exchange: PaperExchange) -> None:
    order = Order(
        symbol="BTC/USD", side=Side.SELL, quantity=Decimal("0.05"),
        order_type=OrderType.STOP_LOSS, stop_price=Decimal("29500"),
    )  # fmt: skip
    (ack,) = await adapter.submit_orders([order])
    exchange.drive("XBTUSD", "29400.0")
    found = await adapter.find_order(ack.client_order_id)
    assert found is not None and found.status is OrderStatus.FILLED
    assert found.average_price is not None and found.average_price < Decimal("29400")


async def test_insufficient_funds_and_minimums(
    adapter: KrakenAdapter, exchange: PaperExchange
) -> None:
    with pytest.raises(InsufficientFundsError):
        await adapter.submit_orders([_limit("29000.0", "5")])
    with pytest.raises(OrderMinimumError):
        await adapter.submit_orders([_limit("29000.0", "0.00001")])
    assert exchange.engine.open_orders() == []


async def test_invalid_nonce(adapter: KrakenAdapter, exchange: PaperExchange) -> None:
    # Another client pushed the key's nonce far ahead (e.g. a different nonce scale).
    other = Client(exchange.rest_url, exchange.api_key, exchange.api_secret)
    big = str(2**63)
    assert (await other.raw("Balance", f"nonce={big}", big)).json()["error"] == []
    await other.aclose()
    with pytest.raises(InvalidNonceError):
        await adapter.get_account()


async def test_rate_limits(exchange: PaperExchange) -> None:
    # No local gate: it would only wait (3 real seconds) for a decay the exchange's manual
    # clock never sees; what is under test is the venue's refusal and how it maps.
    async with KrakenAdapter(
        api_key=exchange.api_key, api_secret=exchange.api_secret, base_url=exchange.rest_url,
        retry=RetryPolicy(max_attempts=1), gate=NullGate(),
    ) as adapter:  # fmt: skip
        for _ in range(15):  # starter tier: REST counter max 15
            await adapter.get_balance()
        with pytest.raises(RestRateLimitError):
            await adapter.get_balance()
        exchange.clock.advance(100)  # type: ignore[attr-defined]
        exchange.service.limits.charge_trade("demo", "XXBTZUSD", 60, exchange.clock.monotonic())
        with pytest.raises(TradingRateLimitError):
            await adapter.submit_orders([_limit("29000.0")])


async def test_lost_reply_leaves_exactly_one_order(
    adapter: KrakenAdapter, exchange: PaperExchange
) -> None:
    exchange.faults.lost_reply_next = 1
    order = _limit("29000.0")
    (ack,) = await adapter.submit_orders([order])
    assert ack.order_id and ack.status is OrderStatus.OPEN
    opened = exchange.engine.open_orders("demo")
    assert [o.txid for o in opened] == [ack.order_id]
    assert opened[0].cl_ord_id == order.client_order_id

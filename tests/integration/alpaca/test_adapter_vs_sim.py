"""AlpacaAdapter against the local Alpaca simulator over real loopback sockets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.brokers.alpaca_adapter import AlpacaAdapter
from src.core.errors import (
    AuthenticationError,
    MalformedResponseError,
    RestRateLimitError,
    UnknownOrderError,
    UnknownSymbolError,
)
from src.core.execution import ExecutionEngine, Order, OrderStatus, OrderType, Side
from src.venues.alpaca_sim import AlpacaSim


def test_adapter_satisfies_the_protocol(adapter: AlpacaAdapter) -> None:
    assert isinstance(adapter, ExecutionEngine)


async def test_guide_style_use_without_async_with(sim: AlpacaSim) -> None:
    alpaca = AlpacaAdapter(
        api_key=sim.api_key, api_secret=sim.api_secret, paper=True, base_url=sim.base_url
    )
    [ack] = await alpaca.submit_orders([Order(symbol="AAPL", side=Side.BUY, quantity=10)])
    assert ack.status is OrderStatus.FILLED
    await alpaca.close()


async def test_wrong_secret_is_an_authentication_error(sim: AlpacaSim) -> None:
    async with AlpacaAdapter(api_key=sim.api_key, api_secret="wrong", base_url=sim.base_url) as bad:
        with pytest.raises(AuthenticationError):
            await bad.get_account()


async def test_fractional_and_notional_equity_orders(adapter: AlpacaAdapter) -> None:
    acks = await adapter.submit_orders(
        [
            Order(symbol="AAPL", side=Side.BUY, quantity="0.5"),
            Order(symbol="AAPL", side=Side.BUY, notional="95"),
        ]
    )
    assert [a.status for a in acks] == [OrderStatus.FILLED, OrderStatus.FILLED]
    [position] = await adapter.get_positions()
    assert position.quantity == Decimal("0.5") + Decimal("95") / Decimal("190")


async def test_fractional_gtc_is_refused_by_alpaca_rules(adapter: AlpacaAdapter) -> None:
    from src.core.execution import TimeInForce

    order = Order(symbol="AAPL", side=Side.BUY, quantity="0.5", time_in_force=TimeInForce.GTC)
    [ack] = await adapter.submit_orders([order])
    assert ack.status is OrderStatus.REJECTED and "DAY" in (ack.message or "")


async def test_alpaca_time_in_force_override_per_order(adapter: AlpacaAdapter) -> None:
    opening = Order(
        symbol="SPY", side=Side.BUY, quantity=1, order_type=OrderType.LIMIT, limit_price=400
    )
    other = Order(
        symbol="SPY", side=Side.BUY, quantity=1, order_type=OrderType.LIMIT, limit_price=401
    )
    acks = await adapter.submit_orders(
        [opening, other], time_in_force={opening.client_order_id: "opg"}
    )
    assert [a.raw["time_in_force"] for a in acks] == ["opg", "day"]


async def test_replace_order_creates_the_replacement(adapter: AlpacaAdapter) -> None:
    resting = Order(
        symbol="AAPL", side=Side.BUY, quantity=2, order_type=OrderType.LIMIT, limit_price=150
    )
    [ack] = await adapter.submit_orders([resting])
    assert ack.order_id is not None
    new = await adapter.replace_order(ack.order_id, limit_price="155.5")
    assert new.limit_price == Decimal("155.5") and new.get("replaces") == ack.order_id
    old = await adapter.get_order(ack.order_id)
    assert old.status is OrderStatus.CANCELED and old.get("replaced_by") == new.order_id


async def test_unknown_symbols_and_orders(adapter: AlpacaAdapter) -> None:
    with pytest.raises(UnknownSymbolError, match="NOPE"):
        await adapter.get_instrument("NOPE")
    with pytest.raises(UnknownSymbolError, match="did you mean"):
        await adapter.get_instrument("BTC/EUR")
    with pytest.raises(UnknownOrderError):
        await adapter.cancel_order("00000000-0000-0000-0000-000000000000")
    assert await adapter.find_order("never-sent") is None


async def test_closed_orders_and_clock(adapter: AlpacaAdapter) -> None:
    await adapter.submit_orders([Order(symbol="TSLA", side=Side.BUY, quantity=1)])
    closed = await adapter.get_orders(status="closed")
    assert [o.symbol for o in closed] == ["TSLA"]
    assert await adapter.get_orders(status="open") == []
    with pytest.raises(ValueError, match="status"):
        await adapter.get_orders(status="pending")
    assert (await adapter.get_clock())["is_open"] is True


async def test_malformed_submit_reply_is_resolved_not_resent(
    adapter: AlpacaAdapter, sim: AlpacaSim
) -> None:
    sim.malform_next_reply("POST", "/v2/orders")
    order = Order(symbol="AAPL", side=Side.BUY, quantity=3)
    [ack] = await adapter.submit_orders([order])
    assert ack.status is OrderStatus.FILLED
    assert (
        len([o for o in sim.state.orders.values() if o.client_order_id == order.client_order_id])
        == 1
    )


async def test_malformed_read_reply_raises_and_next_read_works(
    adapter: AlpacaAdapter, sim: AlpacaSim
) -> None:
    sim.malform_next_reply("GET", "/v2/account")
    with pytest.raises(MalformedResponseError):
        await adapter.get_account()
    assert (await adapter.get_account())["USD"] == Decimal("100000")


async def test_5xx_reads_are_retried_transparently(adapter: AlpacaAdapter, sim: AlpacaSim) -> None:
    sim.fail_next(500, path_prefix="/v2/positions", times=2)
    assert await adapter.get_positions() == []


async def test_server_rate_limit_header_window() -> None:
    limited = AlpacaSim(rate_limit=2)
    async with (
        limited,
        AlpacaAdapter(
            api_key=limited.api_key,
            api_secret=limited.api_secret,
            base_url=limited.base_url,
            max_read_retries=0,
        ) as engine,
    ):
        await engine.get_clock()
        await engine.get_clock()
        with pytest.raises(RestRateLimitError) as info:
            await engine.get_clock()
        assert info.value.retry_after is not None and 0 < info.value.retry_after <= 60


async def test_stop_stop_limit_and_trailing_orders_reach_the_venue(
    adapter: AlpacaAdapter, sim: AlpacaSim
) -> None:
    await adapter.submit_orders([Order(symbol="AAPL", side=Side.BUY, quantity=5)])
    stop = Order(
        symbol="AAPL", side=Side.SELL, quantity=2, order_type=OrderType.STOP_LOSS, stop_price=180
    )
    stop_limit = Order(
        symbol="AAPL",
        side=Side.SELL,
        quantity=1,
        order_type=OrderType.STOP_LOSS_LIMIT,
        stop_price=170,
        limit_price=169,
    )
    trailing = Order(
        symbol="AAPL",
        side=Side.SELL,
        quantity=1,
        order_type=OrderType.TRAILING_STOP,
        trail_offset=5,
        trail_percent=True,
    )
    acks = await adapter.submit_orders([stop, stop_limit, trailing])
    assert [a.raw["type"] for a in acks] == ["stop", "stop_limit", "trailing_stop"]
    assert acks[2].raw["trail_percent"] == "5"
    assert all(a.status is OrderStatus.OPEN for a in acks)
    sim.set_price("AAPL", "179")  # through the stop: it becomes a market order and fills
    triggered = await adapter.find_order(stop.client_order_id)
    assert triggered is not None and triggered.status is OrderStatus.FILLED
    still = await adapter.find_order(stop_limit.client_order_id)
    assert still is not None and still.status is OrderStatus.OPEN


async def test_crypto_pair_trades_in_slash_form(adapter: AlpacaAdapter) -> None:
    [ack] = await adapter.submit_orders([Order(symbol="BTC/USD", side=Side.BUY, notional="600")])
    assert ack.status is OrderStatus.FILLED and ack.raw["time_in_force"] == "gtc"
    [position] = await adapter.get_positions()
    assert position.symbol == "BTC/USD" and position.quantity == Decimal("0.01")
    assert (await adapter.get_account())["BTC"] == Decimal("0.01")

"""Core Order -> Alpaca order body: types, time in force, rounding, minimums, refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from src.brokers.alpaca import parse
from src.brokers.alpaca.config import AlpacaTimeInForce
from src.brokers.alpaca.orders import build_order_body
from src.core.errors import InvalidOrderError, OrderMinimumError
from src.core.execution import Order, OrderType, Side, TimeInForce
from tests.unit.brokers.alpaca.payloads import load

AAPL = parse.instrument(
    {
        "symbol": "AAPL",
        "class": "us_equity",
        "status": "active",
        "tradable": True,
        "fractionable": True,
    }
)
BRK = parse.instrument(
    {
        "symbol": "BRK.A",
        "class": "us_equity",
        "status": "active",
        "tradable": True,
        "fractionable": False,
    }
)
BTC = parse.instrument(load("http_asset_crypto"))


def test_market_equity_defaults_to_day_and_carries_client_order_id() -> None:
    order = Order(symbol="AAPL", side=Side.BUY, quantity=10)
    body = build_order_body(order, AAPL)
    assert body == {
        "symbol": "AAPL",
        "side": "buy",
        "type": "market",
        "time_in_force": "day",
        "client_order_id": order.client_order_id,
        "qty": "10",
    }


def test_crypto_defaults_to_gtc_and_limit_buy_rounds_down_to_tick() -> None:
    order = Order(
        symbol="BTC/USD",
        side=Side.BUY,
        quantity=0.0012345678901,
        order_type=OrderType.LIMIT,
        limit_price=60000.9,
    )
    body = build_order_body(order, BTC)
    assert body["time_in_force"] == "gtc"
    assert body["limit_price"] == "60000"
    assert body["qty"] == "0.001234567"  # 1e-9 lot, rounded down


def test_sell_limit_rounds_up_never_cheaper() -> None:
    order = Order(
        symbol="AAPL", side=Side.SELL, quantity=1, order_type=OrderType.LIMIT, limit_price="190.001"
    )
    assert build_order_body(order, AAPL)["limit_price"] == "190.01"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"order_type": OrderType.STOP_LOSS, "stop_price": 180},
            {"type": "stop", "stop_price": "180.00"},
        ),
        (
            {"order_type": OrderType.STOP_LOSS_LIMIT, "stop_price": 180, "limit_price": 179.5},
            {"type": "stop_limit", "stop_price": "180.00", "limit_price": "179.50"},
        ),
        (
            {"order_type": OrderType.TRAILING_STOP, "trail_offset": 2.5},
            {"type": "trailing_stop", "trail_price": "2.5"},
        ),
        (
            {"order_type": OrderType.TRAILING_STOP, "trail_offset": 1, "trail_percent": True},
            {"type": "trailing_stop", "trail_percent": "1"},
        ),
    ],
)
def test_stop_and_trailing_orders(kwargs: dict[str, object], expected: dict[str, str]) -> None:
    body = build_order_body(Order(symbol="AAPL", side=Side.SELL, quantity=3, **kwargs), AAPL)
    assert {k: body[k] for k in expected} == expected
    assert "trail_price" not in body or "trail_percent" not in body


def test_time_in_force_mapping_and_overrides() -> None:
    gtc = Order(symbol="AAPL", side=Side.BUY, quantity=1, time_in_force=TimeInForce.GTC)
    ioc = Order(symbol="AAPL", side=Side.BUY, quantity=1, time_in_force=TimeInForce.IOC)
    assert build_order_body(gtc, AAPL)["time_in_force"] == "gtc"
    assert build_order_body(ioc, AAPL)["time_in_force"] == "ioc"
    for value in ("opg", "cls", "fok", AlpacaTimeInForce.DAY):
        assert build_order_body(gtc, AAPL, value)["time_in_force"] == str(value)
    with pytest.raises(InvalidOrderError, match="not an Alpaca value"):
        build_order_body(gtc, AAPL, "gtd")


def test_gtd_has_no_alpaca_equivalent() -> None:
    order = Order(
        symbol="AAPL",
        side=Side.BUY,
        quantity=1,
        time_in_force=TimeInForce.GTD,
        expire_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    with pytest.raises(InvalidOrderError, match="GTD"):
        build_order_body(order, AAPL)


def test_notional_and_fractional_quantities() -> None:
    notional = build_order_body(Order(symbol="AAPL", side=Side.BUY, notional="500.759"), AAPL)
    assert notional["notional"] == "500.75" and "qty" not in notional
    fractional = build_order_body(Order(symbol="AAPL", side=Side.BUY, quantity="3.654"), AAPL)
    assert fractional["qty"] == "3.654"
    with pytest.raises(OrderMinimumError, match="notional"):
        build_order_body(Order(symbol="AAPL", side=Side.BUY, notional="0.5"), AAPL)
    limit = Order(
        symbol="AAPL", side=Side.BUY, notional=100, order_type=OrderType.LIMIT, limit_price=150
    )
    with pytest.raises(InvalidOrderError, match="notional"):
        build_order_body(limit, AAPL)


def test_whole_share_assets_round_quantity_down_and_refuse_zero() -> None:
    assert build_order_body(Order(symbol="BRK.A", side=Side.BUY, quantity="2.7"), BRK)["qty"] == "2"
    with pytest.raises(OrderMinimumError, match="rounds to 0"):
        build_order_body(Order(symbol="BRK.A", side=Side.BUY, quantity="0.5"), BRK)


def test_crypto_minimum_order_size_is_enforced_before_sending() -> None:
    with pytest.raises(OrderMinimumError, match="minimum order size"):
        build_order_body(Order(symbol="BTC/USD", side=Side.BUY, quantity="0.00001"), BTC)


def test_unsupported_features_are_refused_clearly() -> None:
    take_profit = Order(
        symbol="AAPL", side=Side.SELL, quantity=1, order_type=OrderType.TAKE_PROFIT, stop_price=200
    )
    with pytest.raises(InvalidOrderError, match="take-profit"):
        build_order_body(take_profit, AAPL)
    post_only = Order(
        symbol="AAPL",
        side=Side.BUY,
        quantity=1,
        order_type=OrderType.LIMIT,
        limit_price=1,
        post_only=True,
    )
    with pytest.raises(InvalidOrderError, match="post_only"):
        build_order_body(post_only, AAPL)
    assert (
        Decimal(build_order_body(Order(symbol="AAPL", side=Side.BUY, quantity=1), AAPL)["qty"]) == 1
    )

"""Alpaca's order rules, before anything is sent: crypto, day-only, extended hours, pennies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.brokers.alpaca import parse
from src.brokers.alpaca.orders import build_order_body, replace_body
from src.core.errors import InvalidOrderError, OrderMinimumError
from src.core.execution import Order, OrderType, Side, TimeInForce
from tests.unit.brokers.alpaca.payloads import load

AAPL = parse.instrument(
    {"symbol": "AAPL", "class": "us_equity", "status": "active", "tradable": True}
    | {"fractionable": True}
)
BTC = parse.instrument(load("http_asset_crypto"))


def _limit(symbol: str, side: Side, price: str, **kwargs: object) -> Order:
    return Order(
        symbol=symbol,
        side=side,
        quantity=kwargs.pop("quantity", 1),
        order_type=OrderType.LIMIT,
        limit_price=price,
        **kwargs,
    )


# -- crypto -------------------------------------------------------------------------------


@pytest.mark.parametrize("tif", ["day", "fok", "opg", "cls"])
def test_crypto_time_in_force_is_gtc_or_ioc_only(tif: str) -> None:
    with pytest.raises(InvalidOrderError, match="gtc or ioc"):
        build_order_body(Order(symbol="BTC/USD", side=Side.BUY, quantity="0.01"), BTC, tif)
    for fine in ("gtc", "ioc"):
        body = build_order_body(Order(symbol="BTC/USD", side=Side.BUY, quantity="0.01"), BTC, fine)
        assert body["time_in_force"] == fine


@pytest.mark.parametrize(
    "kwargs",
    [
        {"order_type": OrderType.STOP_LOSS, "stop_price": 50000},
        {"order_type": OrderType.TRAILING_STOP, "trail_offset": 100},
    ],
)
def test_crypto_order_types_are_market_limit_and_stop_limit(kwargs: dict[str, object]) -> None:
    order = Order(symbol="BTC/USD", side=Side.SELL, quantity="0.01", **kwargs)
    with pytest.raises(InvalidOrderError, match="market, limit or stop-loss-limit"):
        build_order_body(order, BTC)
    stop_limit = Order(
        symbol="BTC/USD",
        side=Side.SELL,
        quantity="0.01",
        order_type=OrderType.STOP_LOSS_LIMIT,
        stop_price=50000,
        limit_price=49900,
    )
    assert build_order_body(stop_limit, BTC)["type"] == "stop_limit"


# -- fractional and notional equities ---------------------------------------------------------


@pytest.mark.parametrize("tif", [TimeInForce.GTC, TimeInForce.IOC])
def test_fractional_and_notional_equity_orders_are_day_only(tif: TimeInForce) -> None:
    fractional = Order(symbol="AAPL", side=Side.BUY, quantity="0.5", time_in_force=tif)
    with pytest.raises(InvalidOrderError, match="fractional equity orders must be DAY"):
        build_order_body(fractional, AAPL)
    notional = Order(symbol="AAPL", side=Side.BUY, notional="50", time_in_force=tif)
    with pytest.raises(InvalidOrderError, match="notional equity orders must be DAY"):
        build_order_body(notional, AAPL)
    with pytest.raises(InvalidOrderError, match="DAY"):
        build_order_body(Order(symbol="AAPL", side=Side.BUY, quantity="0.5"), AAPL, "opg")
    whole = Order(symbol="AAPL", side=Side.BUY, quantity=2, time_in_force=tif)
    assert build_order_body(whole, AAPL)["time_in_force"] == tif.value.lower()
    assert build_order_body(Order(symbol="AAPL", side=Side.BUY, quantity="0.5"), AAPL)


# -- extended hours -------------------------------------------------------------------------


def test_extended_hours_only_for_day_limit_equity_orders() -> None:
    body = build_order_body(_limit("AAPL", Side.BUY, "150"), AAPL, extended_hours=True)
    assert body["extended_hours"] is True and body["time_in_force"] == "day"
    assert "extended_hours" not in build_order_body(_limit("AAPL", Side.BUY, "150"), AAPL)
    refused = [
        (Order(symbol="AAPL", side=Side.BUY, quantity=1), None, "not market day"),
        (_limit("AAPL", Side.BUY, "150"), "gtc", "not limit gtc"),
        (
            Order(
                symbol="AAPL",
                side=Side.SELL,
                quantity=1,
                order_type=OrderType.STOP_LOSS_LIMIT,
                stop_price=180,
                limit_price=179,
            ),
            None,
            "not stop-loss-limit day",
        ),
    ]
    for order, tif, reason in refused:
        with pytest.raises(InvalidOrderError, match=f"extended_hours.*{reason}"):
            build_order_body(order, AAPL, tif, extended_hours=True)
    with pytest.raises(InvalidOrderError, match="crypto trades around the clock"):
        build_order_body(_limit("BTC/USD", Side.BUY, "50000", quantity="0.01"), BTC, None, True)


# -- the penny grid -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "price", "sent"),
    [
        (Side.BUY, "190.019", "190.01"),
        (Side.SELL, "190.011", "190.02"),
        (Side.BUY, "1.00", "1.00"),
        (Side.BUY, "0.51239", "0.5123"),  # four decimals below $1
        (Side.SELL, "0.51231", "0.5124"),
        (Side.SELL, "0.99999", "1.00"),  # rounded up to a dollar: cents again
        (Side.BUY, "0.0001", "0.0001"),
    ],
)
def test_equity_prices_on_alpacas_grid_never_more_aggressive(
    side: Side, price: str, sent: str
) -> None:
    body = build_order_body(_limit("AAPL", side, price, quantity=20_000), AAPL)
    assert body["limit_price"] == sent


def test_stop_prices_follow_the_grid_away_from_the_market() -> None:
    stop = Order(
        symbol="AAPL",
        side=Side.SELL,
        quantity=100,
        order_type=OrderType.STOP_LOSS,
        stop_price="0.45678",
    )
    assert build_order_body(stop, AAPL)["stop_price"] == "0.4567"  # a sell stop rounds down


# -- replace_order: the same treatment ------------------------------------------------------


def _resting(**fields: object) -> dict[str, object]:
    base: dict[str, object] = load("http_order_filled_limit")
    base |= {"status": "new", "filled_qty": "0"}
    return (
        base | {"symbol": "AAPL", "side": "buy", "type": "limit", "time_in_force": "day"} | fields
    )


def test_replace_rounds_prices_and_quantity_like_submit() -> None:
    body = replace_body(_resting(), AAPL, limit_price=Decimal("0.51239"), quantity=Decimal("3.7"))
    assert body == {"limit_price": "0.5123", "qty": "3.7"}
    sell = replace_body(_resting(side="sell"), AAPL, limit_price=Decimal("190.011"))
    assert sell == {"limit_price": "190.02"}


def test_replace_checks_alpacas_rules() -> None:
    with pytest.raises(InvalidOrderError, match="fractional equity orders must be DAY"):
        replace_body(_resting(time_in_force="gtc"), AAPL, quantity=Decimal("0.5"))
    crypto = _resting(symbol="BTC/USD", time_in_force="gtc", qty="0.01")
    with pytest.raises(InvalidOrderError, match="gtc or ioc"):
        replace_body(crypto, BTC, tif="day")
    with pytest.raises(InvalidOrderError, match="at least one field"):
        replace_body(_resting(), AAPL)
    with pytest.raises(OrderMinimumError, match="minimum order size"):
        replace_body(_resting(symbol="BTC/USD", time_in_force="gtc"), BTC, quantity=Decimal("1e-5"))

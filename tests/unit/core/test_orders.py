"""Order construction: Decimal conversion as written, UTC timestamps, field-named refusals."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from src.core.execution import (
    AccountBalances,
    Balance,
    Order,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)


def test_floats_are_converted_as_written() -> None:
    order = Order(
        symbol="BTC/USD",
        side=Side.BUY,
        quantity=0.1,
        order_type=OrderType.LIMIT,
        limit_price=40000.1,
    )
    assert order.quantity == Decimal("0.1")
    assert str(order.quantity) == "0.1"
    assert order.limit_price == Decimal("40000.1")


def test_client_order_id_is_fresh_per_order() -> None:
    a = Order(symbol="BTC/USD", side=Side.BUY, quantity=1)
    b = Order(symbol="BTC/USD", side=Side.BUY, quantity=1)
    assert a.client_order_id != b.client_order_id
    assert len(a.client_order_id) == 36


@pytest.mark.parametrize(
    ("kwargs", "field", "why"),
    [
        ({"quantity": -1}, "quantity", "greater than 0"),
        ({"quantity": 0}, "quantity", "greater than 0"),
        ({"order_type": OrderType.LIMIT}, "limit_price", "required"),
        ({"order_type": OrderType.STOP_LOSS}, "stop_price", "required"),
        ({"order_type": OrderType.STOP_LOSS_LIMIT, "stop_price": 1}, "limit_price", "required"),
        ({"order_type": OrderType.TRAILING_STOP}, "trail_offset", "required"),
        ({"time_in_force": TimeInForce.GTD}, "expire_at", "required"),
        ({"limit_price": 10}, "limit_price", "market order"),
        ({"post_only": True}, "post_only", "limit orders"),
        ({"quantity": "abc"}, "quantity", "not a decimal"),
        ({"quantity": float("nan")}, "quantity", "finite"),
        ({"notional": 100}, "quantity", "exactly one"),
    ],
)
def test_invalid_orders_name_the_field_and_why(
    kwargs: dict[str, object], field: str, why: str
) -> None:
    params: dict[str, object] = {"symbol": "BTC/USD", "side": Side.BUY, "quantity": 1} | kwargs
    with pytest.raises(ValidationError) as info:
        Order(**params)
    text = str(info.value)
    assert f"{field}:" in text
    assert why in text


def test_naive_expiry_is_refused_and_aware_is_normalized_to_utc() -> None:
    with pytest.raises(ValidationError, match="expire_at: naive"):
        Order(
            symbol="BTC/USD",
            side=Side.SELL,
            quantity=1,
            time_in_force=TimeInForce.GTD,
            expire_at=datetime(2030, 1, 1),
        )
    plus_two = timezone(timedelta(hours=2))
    order = Order(
        symbol="BTC/USD",
        side=Side.SELL,
        quantity=1,
        time_in_force=TimeInForce.GTD,
        expire_at=datetime(2030, 1, 1, 2, 0, tzinfo=plus_two),
    )
    assert order.expire_at == datetime(2030, 1, 1, 0, 0, tzinfo=UTC)
    assert order.expire_at is not None and order.expire_at.tzinfo is UTC


def test_assignment_is_validated_and_converted() -> None:
    order = Order(symbol="BTC/USD", side=Side.BUY, quantity=1)
    order.leverage = 2.0  # type: ignore[assignment]
    assert order.leverage == Decimal("2.0")
    with pytest.raises(ValidationError, match="leverage"):
        order.leverage = -1  # type: ignore[assignment]


def test_final_statuses() -> None:
    finals = {s for s in OrderStatus if s.is_final}
    assert finals == {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.REJECTED,
        OrderStatus.EXPIRED,
    }


def test_account_balances_resolve_venue_aliases() -> None:
    balances = AccountBalances(
        [Balance(asset="BTC", total=Decimal("0.05"), hold=Decimal("0.01"))],
        aliases={"XXBT": "BTC"},
    )
    assert balances["XXBT"] == balances["BTC"] == Decimal("0.05")
    assert "XXBT" in balances and "ETH" not in balances
    assert balances.available("XXBT") == Decimal("0.04")
    assert balances.available("ETH") == Decimal(0)
    assert dict(balances) == {"BTC": Decimal("0.05")}

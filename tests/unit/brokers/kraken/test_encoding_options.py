"""Iceberg size, self-trade prevention, start and deadline on an ``Order``, on both wires."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from src.brokers.kraken.orders.encoding import encode_order
from src.core.execution import Order, OrderType, SelfTradePrevention, Side, TimeInForce
from src.core.instruments import Instrument

INST = Instrument(
    symbol="BTC/USD", base="BTC", quote="USD", price_tick=Decimal("0.1"),
    lot_step=Decimal("0.00000001"), min_quantity=Decimal("0.0001"), min_cost=Decimal("0.5"),
)  # fmt: skip
START = datetime(2026, 12, 3, 8, 0, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 12, 3, 7, 59, 30, 250000, tzinfo=UTC)


def test_every_option_on_both_wires() -> None:
    order = Order(
        symbol="BTC/USD", side=Side.BUY, quantity="0.3", order_type=OrderType.LIMIT,
        limit_price="29000", display_quantity="0.020000001",
        self_trade_prevention=SelfTradePrevention.CANCEL_OLDEST, start_at=START,
        deadline=DEADLINE,
    )  # fmt: skip
    fields = encode_order(order, INST)
    rest, ws = fields.rest(), fields.ws()
    assert ws is not None
    assert (rest["ordertype"], Decimal(rest["displayvol"])) == ("iceberg", Decimal("0.02"))
    assert (ws["order_type"], ws["display_qty"]) == ("iceberg", Decimal("0.02"))
    assert (rest["stptype"], ws["stp_type"]) == ("cancel-oldest", "cancel_oldest")
    assert (rest["starttm"], ws["effective_time"]) == (
        str(int(START.timestamp())),
        "2026-12-03T08:00:00.000Z",
    )
    assert rest["deadline"] == ws["deadline"] == "2026-12-03T07:59:30.250Z"


def test_without_options_no_option_fields() -> None:
    order = Order(symbol="BTC/USD", side=Side.BUY, quantity="0.3", order_type=OrderType.LIMIT,
                  limit_price="29000")  # fmt: skip
    rest = encode_order(order, INST).rest()
    assert rest["ordertype"] == "limit"
    assert not {"displayvol", "stptype", "starttm", "deadline"} & set(rest)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"display_quantity": "0.01"}, "from 1/15"),  # under 0.3 / 15
        ({"display_quantity": "0.5"}, "from 1/15"),
        ({"display_quantity": "0.1", "order_type": OrderType.MARKET, "limit_price": None},
         "only a limit order"),
        ({"start_at": START, "time_in_force": TimeInForce.IOC}, "cannot be scheduled"),
        ({"deadline": datetime(2026, 12, 3, 8, 0)}, "naive datetime"),
    ],
)  # fmt: skip
def test_options_are_checked(options: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"symbol": "BTC/USD", "side": Side.BUY, "quantity": "0.3",
                               "order_type": OrderType.LIMIT, "limit_price": "29000"}  # fmt: skip
    with pytest.raises(ValidationError, match=message):
        Order(**{**base, **options})

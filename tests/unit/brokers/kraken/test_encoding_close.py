"""Conditional close terms on an ``Order``: validated, rounded for the close's side, both wires."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from src.brokers.kraken.orders.encoding import encode_order
from src.core.execution import Order, OrderType, Side
from src.core.instruments import Instrument

INST = Instrument(
    symbol="BTC/USD", base="BTC", quote="USD", price_tick=Decimal("0.1"),
    lot_step=Decimal("0.00000001"), min_quantity=Decimal("0.0001"), min_cost=Decimal("0.5"),
)  # fmt: skip


def _entry(**close: object) -> Order:
    return Order(symbol="BTC/USD", side=Side.BUY, quantity="0.01", order_type=OrderType.LIMIT,
                 limit_price="29000", **close)  # fmt: skip


def test_take_profit_limit_close_rounds_for_the_sell_it_becomes() -> None:
    fields = encode_order(_entry(close_order_type="limit", close_limit_price="31000.01"), INST)
    rest, ws = fields.rest(), fields.ws()
    # the close of a buy is a sell: its limit rounds up (never more aggressive), to 31000.1
    assert (rest["close[ordertype]"], rest["close[price]"]) == ("limit", "31000.1")
    assert "close[price2]" not in rest
    assert ws is not None and ws["conditional"] == {
        "order_type": "limit",
        "limit_price": Decimal("31000.1"),
    }


def test_stop_limit_close_puts_the_trigger_first_on_rest() -> None:
    order = _entry(close_order_type="stop-loss-limit", close_stop_price="28000.04",
                   close_limit_price="27900.06")  # fmt: skip
    fields = encode_order(order, INST)
    rest, ws = fields.rest(), fields.ws()
    assert (rest["close[price]"], rest["close[price2]"]) == ("28000.0", "27900.1")
    assert ws is not None and ws["conditional"] == {
        "order_type": "stop-loss-limit", "trigger_price": Decimal("28000.0"),
        "limit_price": Decimal("27900.1"),
    }  # fmt: skip


def test_no_close_terms_no_close_fields() -> None:
    fields = encode_order(_entry(), INST)
    assert not any(k.startswith("close") for k in fields.rest())
    assert "conditional" not in (fields.ws() or {})


@pytest.mark.parametrize(
    ("close", "message"),
    [
        ({"close_limit_price": "31000"}, "close_order_type: required"),
        ({"close_order_type": "market"}, "close_order_type: one of"),
        ({"close_order_type": "limit"}, "close_limit_price: required"),
        ({"close_order_type": "stop-loss", "close_stop_price": "1", "close_limit_price": "1"},
         "close_limit_price: not taken"),
        ({"close_order_type": "take-profit-limit", "close_limit_price": "1"},
         "close_stop_price: required"),
        ({"close_order_type": "limit", "close_limit_price": "-1"}, "greater than 0"),
    ],
)  # fmt: skip
def test_close_terms_are_checked(close: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _entry(**close)

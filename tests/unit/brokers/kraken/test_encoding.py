"""One encoder: REST form fields and WS v2 params carry the same rounded values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from src.brokers.kraken.orders.encoding import encode_amend, encode_edit, encode_order
from src.core.errors import InvalidOrderError
from src.core.execution import Order, OrderType, Side
from src.core.instruments import Instrument

INST = Instrument(
    symbol="BTC/USD",
    base="BTC",
    quote="USD",
    price_tick=Decimal("0.1"),
    lot_step=Decimal("0.00000001"),
    min_quantity=Decimal("0.0001"),
    min_cost=Decimal("0.5"),
)
prices = st.decimals(min_value=Decimal("1000"), max_value=Decimal("99999"), places=4)
qtys = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("5"), places=11)


@given(limit=prices, stop=prices, qty=qtys, side=st.sampled_from(list(Side)))
def test_rest_and_ws_renderings_agree_on_every_value(
    limit: Decimal, stop: Decimal, qty: Decimal, side: Side
) -> None:
    order = Order(
        symbol="BTC/USD",
        side=side,
        quantity=qty,
        order_type=OrderType.STOP_LOSS_LIMIT,
        limit_price=limit,
        stop_price=stop,
    )
    fields = encode_order(order, INST, "XBTUSD")
    rest, ws = fields.rest(), fields.ws()
    assert ws is not None
    assert Decimal(rest["volume"]) == ws["order_qty"] == fields.volume <= qty
    assert Decimal(rest["price"]) == ws["triggers"]["price"]
    assert Decimal(rest["price2"]) == ws["limit_price"]
    # never more aggressive than asked: buys round down, sells up
    assert (ws["limit_price"] <= limit) if side is Side.BUY else (ws["limit_price"] >= limit)
    assert abs(ws["triggers"]["price"] - stop) <= Decimal("0.05")  # nearest tick


def test_amend_rounds_like_add_and_takes_floats_at_the_edge() -> None:
    call = encode_amend(
        "OID", None, inst=INST, side="buy", quantity=0.0200000009, limit_price=40000.07
    )
    assert call.rest["txid"] == "OID"
    assert Decimal(call.rest["order_qty"]) == Decimal("0.02")
    assert Decimal(call.rest["limit_price"]) == Decimal("40000")
    assert call.ws == {
        "order_id": "OID",
        "order_qty": Decimal("0.02"),
        "limit_price": Decimal("40000.0"),
    }


def test_edit_with_a_second_price_stays_on_rest() -> None:
    plain = encode_edit("OID", inst=INST, pair="XBTUSD", side="sell", limit_price="40000.01")
    assert plain.ws_method == "edit_order" and plain.rest["price"] == "40000.1"
    two = encode_edit("OID", inst=INST, pair="XBTUSD", side="sell", limit_price2="1")
    assert two.ws_method is None


def test_client_order_id_is_validated_once_for_both_transports() -> None:
    order = Order(symbol="BTC/USD", side=Side.BUY, quantity=1, client_order_id="x" * 19)
    with pytest.raises(InvalidOrderError, match="18 ASCII"):
        encode_order(order, INST, "XBTUSD")


def test_margin_orders_have_no_ws_rendering() -> None:
    order = Order(symbol="BTC/USD", side=Side.BUY, quantity=1, leverage=2)
    fields = encode_order(order, INST, "XBTUSD")
    assert fields.rest()["leverage"] == "2" and fields.ws() is None

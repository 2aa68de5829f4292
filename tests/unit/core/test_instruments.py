"""Instrument rounding never makes an order more aggressive or larger; minimums name themselves."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from src.core.errors import OrderMinimumError
from src.core.instruments import Instrument

BTC = Instrument(
    symbol="BTC/USD",
    base="BTC",
    quote="USD",
    price_tick="0.1",
    lot_step="0.00000001",
    min_quantity="0.0001",
    min_cost="0.5",
)
DOGE = Instrument(
    symbol="DOGE/USD", base="DOGE", quote="USD", price_tick="0.0000001", lot_step="0.00000001"
)

prices = st.decimals(min_value="0.0000001", max_value="1000000", places=9, allow_nan=False)


@given(prices)
def test_buy_limit_never_rounded_up(price: Decimal) -> None:
    rounded = BTC.round_price(price, "buy")
    assert rounded <= price
    assert price - rounded < BTC.price_tick
    assert rounded % BTC.price_tick == 0


@given(prices)
def test_sell_limit_never_rounded_down(price: Decimal) -> None:
    rounded = BTC.round_price(price, "sell")
    assert rounded >= price
    assert rounded - price < BTC.price_tick


@given(st.decimals(min_value="0", max_value="100000", places=12, allow_nan=False))
def test_quantity_never_rounded_up(quantity: Decimal) -> None:
    rounded = BTC.round_quantity(quantity)
    assert rounded <= quantity
    assert quantity - rounded < BTC.lot_step


def test_rounded_values_format_without_exponent() -> None:
    assert format(DOGE.round_price(Decimal("0.00000012345"), "buy"), "f") == "0.0000001"
    assert DOGE.price_decimals == 7
    assert BTC.quantity_decimals == 8


def test_minimums_name_the_minimum() -> None:
    with pytest.raises(OrderMinimumError, match=r"minimum order size 0\.0001 BTC"):
        BTC.check_minimums(Decimal("0.00005"), Decimal("50000"))
    with pytest.raises(OrderMinimumError, match=r"minimum cost 0\.5 USD"):
        BTC.check_minimums(Decimal("0.0001"), Decimal("1000"))
    BTC.check_minimums(Decimal("0.0001"), Decimal("50000"))


def test_non_positive_tick_is_refused() -> None:
    with pytest.raises(ValueError, match="price_tick: must be positive"):
        Instrument(symbol="X/Y", base="X", quote="Y", price_tick="0", lot_step="1")

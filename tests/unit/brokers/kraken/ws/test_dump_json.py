"""``dump_json``'s one-pass encoder writes exactly what the recursive one wrote (issue 19)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from src.brokers.kraken.ws.frames import _dump_slow, dump_json, encode_request

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=6) | st.sampled_from(["\x00", '"\x00"', "é", "\\u0000"]),
    st.decimals(allow_nan=False, allow_infinity=False),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=5) | st.integers() | st.booleans(), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=500, deadline=None)
@given(values)
def test_same_text_as_the_recursive_encoder(value: Any) -> None:
    assert dump_json(value) == _dump_slow(value)


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("-Infinity"), object()])
def test_same_errors_as_the_recursive_encoder(bad: Any) -> None:
    errors = []
    for encode in (dump_json, _dump_slow):
        with pytest.raises((ValueError, TypeError)) as caught:
            encode({"params": [1, bad]})
        errors.append((type(caught.value), str(caught.value)))
    assert errors[0] == errors[1]


def test_an_order_request_is_exact() -> None:
    params = {"order_type": "limit", "order_qty": Decimal("0.00010"),
              "limit_price": Decimal("1E+4"), "triggers": {"price": Decimal("-0.5")}}  # fmt: skip
    assert encode_request("add_order", params, 7) == (
        '{"method":"add_order","params":{"order_type":"limit","order_qty":0.00010,'
        '"limit_price":10000,"triggers":{"price":-0.5}},"req_id":7}'
    )

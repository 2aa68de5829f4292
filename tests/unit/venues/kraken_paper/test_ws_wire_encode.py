"""The paper exchange's one-pass frame encoder writes exactly what the recursive one wrote."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from src.venues.kraken_paper.ws_wire import encode, encode_reference, ok_reply

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
@given(st.dictionaries(st.text(max_size=5), values, max_size=5))
def test_same_text_as_the_recursive_encoder(frame: dict[str, Any]) -> None:
    assert encode(frame) == encode_reference(frame)


def test_an_executions_report_keeps_every_digit() -> None:
    report = {"order_qty": Decimal("0.10000000"), "cum_cost": Decimal("0E-8"),
              "limit_price": Decimal("1E+4"), "post_only": False, "id": "\x00"}  # fmt: skip
    frame = {"channel": "executions", "type": "update", "sequence": 3, "data": [report]}
    assert encode(frame) == (
        '{"channel":"executions","type":"update","sequence":3,"data":[{"order_qty":0.10000000,'
        '"cum_cost":0.00000000,"limit_price":10000,"post_only":false,"id":"\\u0000"}]}'
    )
    reply = ok_reply("add_order", {"order_id": "O-1"}, 7, 0.0, 0.000001)
    assert encode(reply) == encode_reference(reply)


@pytest.mark.parametrize("bad", [object(), {1, 2}])
def test_same_errors_as_the_recursive_encoder(bad: Any) -> None:
    errors = []
    for write in (encode, encode_reference):
        with pytest.raises(TypeError) as caught:
            write({"data": [1, bad]})
        errors.append(str(caught.value))
    assert errors[0] == errors[1]

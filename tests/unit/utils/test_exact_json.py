"""The one-pass exact-Decimal JSON encoder writes exactly what the recursive one writes.

Both the Kraken adapter's requests and the paper exchange's frames go through it (issue 19).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from src.utils.exact_json import dumps, dumps_recursive

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
    assert dumps(value) == dumps_recursive(value)


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("-Infinity"), object(), {1, 2}])
def test_same_errors_as_the_recursive_encoder(bad: Any) -> None:
    errors = []
    for encode in (dumps, dumps_recursive):
        with pytest.raises((ValueError, TypeError)) as caught:
            encode({"params": [1, bad]})
        errors.append((type(caught.value), str(caught.value)))
    assert errors[0] == errors[1]

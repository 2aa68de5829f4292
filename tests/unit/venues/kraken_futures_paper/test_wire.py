"""The venue writes Kraken's JSON with every Decimal exact."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from src.venues.kraken_futures_paper.wire import dumps, iso, plain_number


def test_decimals_are_written_exactly_never_through_a_float() -> None:
    value = Decimal("9392.749993345933123456")
    text = dumps({"a": value, "b": [Decimal("1E-11"), Decimal("100.00")], "c": None, "d": True})
    assert json.loads(text, parse_float=Decimal)["a"] == value
    assert text == '{"a":9392.749993345933123456,"b":[0.00000000001,100],"c":null,"d":true}'
    assert plain_number(Decimal("-0")) == "0"


def test_iso_has_milliseconds_and_z() -> None:
    assert iso(datetime(2016, 2, 25, 9, 45, 53, 818999, tzinfo=UTC)) == "2016-02-25T09:45:53.818Z"

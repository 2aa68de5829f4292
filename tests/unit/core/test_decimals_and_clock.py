"""Edge conversion to Decimal and the manual clock used by every timing test."""

from decimal import Decimal

import pytest

from src.core.clock import ManualClock
from src.core.decimals import to_decimal, to_plain_string


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.1, "0.1"), (1e-7, "1E-7"), (40000.0, "40000.0"), (3, "3"), ("  2.50 ", "2.50")],
)
def test_to_decimal_keeps_what_was_written(value: object, expected: str) -> None:
    assert to_decimal(value) == Decimal(expected)
    assert str(to_decimal(value)) == expected


@pytest.mark.parametrize("value", [True, None, "1e", float("inf"), [1]])
def test_to_decimal_refuses_non_numbers(value: object) -> None:
    with pytest.raises(ValueError, match="price"):
        to_decimal(value, field="price")


def test_plain_string_never_uses_an_exponent() -> None:
    assert to_plain_string(Decimal("1E-7")) == "0.0000001"
    assert to_plain_string(Decimal("1.2E+5")) == "120000"


async def test_manual_clock_advances_only_when_told() -> None:
    clock = ManualClock(start=10.0)
    wall = clock.now()
    await clock.sleep(2.5)
    assert clock.monotonic() == 12.5
    assert (clock.now() - wall).total_seconds() == 2.5
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)

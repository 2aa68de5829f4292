"""Conversion of edge inputs (float, int, str) to Decimal without binary-float artefacts."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

NumberLike = Decimal | float | int | str


def to_decimal(value: Any, *, field: str = "value") -> Decimal:
    """Convert ``value`` to Decimal as written: 0.1 is Decimal('0.1'), not 0.1000000000000000055.

    Floats go through ``repr`` (shortest round-tripping form), which is what the user typed.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError(f"{field}: expected a number, got a bool")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{field}: {value!r} is not a decimal number") from None
    else:
        raise ValueError(f"{field}: expected a number, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{field}: {value!r} is not a finite number")
    return result


def to_plain_string(value: Decimal) -> str:
    """Format a Decimal as a plain decimal string (never an exponent), trailing zeros kept."""
    return format(value, "f")

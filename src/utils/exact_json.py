"""Compact JSON in which each ``Decimal`` is written as its exact digits, never via float.

Kraken's WebSocket v2 carries prices and quantities as JSON numbers; the adapter's requests and
the paper exchange's frames are both written here. ``dumps`` is one pass of the C encoder;
``dumps_recursive`` is the reference it must equal, text and errors alike (a property test).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "dumps_recursive"]

_MARK = "\x00"  # stands in for each Decimal while the C encoder writes the rest
_MARKED = json.dumps(_MARK)  # how the mark comes out: "\u0000" in quotes


def dumps(value: Any) -> str:
    """Compact JSON in which a ``Decimal`` is written as its exact decimal text.

    The C encoder writes everything but the Decimals, each of which it asks ``mark`` for (in
    output order) and writes as a mark that the exact text then replaces: one pass in C, not a
    Python call per value. Anything unusual (a mark already in the data, a non-finite or
    non-Decimal object, keys that are not text) goes to the recursive encoder, which is the
    reference for the output and the errors.
    """
    numbers: list[str] = []

    def mark(obj: Any) -> str:
        if type(obj) is not Decimal or not obj.is_finite():
            raise TypeError("the recursive encoder decides")
        numbers.append(format(obj, "f"))
        return _MARK

    try:
        text = json.dumps(value, separators=(",", ":"), default=mark)
    except (TypeError, ValueError):
        return dumps_recursive(value)
    parts = text.split(_MARKED)
    if len(parts) != len(numbers) + 1 or not _text_keys(value):
        return dumps_recursive(value)
    if not numbers:
        return text
    out = [parts[0]]
    for number, part in zip(numbers, parts[1:], strict=True):
        out.append(number)
        out.append(part)
    return "".join(out)


def _text_keys(value: Any) -> bool:
    # The recursive encoder writes str(key); the C one writes true, null... for such keys.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if type(key) is not str:
                    return False
                if isinstance(child, dict | list | tuple):
                    stack.append(child)
        elif isinstance(item, list | tuple):
            stack.extend(child for child in item if isinstance(child, dict | list | tuple))
    return True


def dumps_recursive(value: Any) -> str:
    """What ``dumps`` writes, one Python call per value; non-finite numbers are refused."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send a non-finite number: {value}")
        return format(value, "f")
    if isinstance(value, dict):
        items = (json.dumps(str(k)) + ":" + dumps_recursive(v) for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps_recursive(v) for v in value) + "]"
    return json.dumps(value)

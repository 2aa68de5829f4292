"""Recorded Kraken WebSocket frames, decoded the way the client decodes them."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from tests.support.paths import FIXTURES

KRAKEN_FIXTURES = FIXTURES / "kraken"


def load_frame(name: str) -> dict[str, Any]:
    """A fixture frame decoded with ``parse_float=Decimal`` (as the client does)."""
    frame: dict[str, Any] = json.loads((KRAKEN_FIXTURES / name).read_text(), parse_float=Decimal)
    frame.pop("_source", None)
    return frame


__all__ = ["KRAKEN_FIXTURES", "load_frame"]

"""Fixture loading for the Kraken Futures unit tests (Kraken's documented payloads)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "kraken_futures"


def load(name: str) -> Any:
    """A fixture decoded as the transport decodes replies (numbers as Decimal)."""
    return json.loads((FIXTURES / f"{name}.json").read_text(), parse_float=Decimal)


def raw(name: str) -> bytes:
    """A fixture's bytes, as they would come over the wire."""
    return (FIXTURES / f"{name}.json").read_bytes()

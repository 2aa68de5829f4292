"""Load the stored Alpaca payloads in tests/fixtures/alpaca."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alpaca"


def load(name: str) -> Any:
    """Parse ``tests/fixtures/alpaca/<name>.json``."""
    return json.loads((FIXTURES / f"{name}.json").read_text())

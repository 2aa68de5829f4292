"""Load the stored Alpaca payloads in tests/fixtures/alpaca."""

from __future__ import annotations

import json
from typing import Any

from tests.support.paths import FIXTURES as TEST_FIXTURES

FIXTURES = TEST_FIXTURES / "alpaca"


def load(name: str) -> Any:
    """Parse ``tests/fixtures/alpaca/<name>.json``."""
    return json.loads((FIXTURES / f"{name}.json").read_text())

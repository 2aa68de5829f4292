"""Fixtures for the WebSocket unit tests: recorded frames, no sockets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.frames import load_frame


@pytest.fixture
def frames() -> Callable[[str], dict[str, Any]]:
    """``frames(name)``: a recorded frame from tests/fixtures/kraken."""
    return load_frame

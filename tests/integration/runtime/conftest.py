"""Fixtures for the trading-runtime integration tests (venues on loopback)."""

from __future__ import annotations

import pytest

from src.core.clock import ManualClock
from tests.support.runtime import START


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1000.0, wall_start=START)

"""Fixtures for the Alpaca unit tests: no ALPACA_* variable of the developer's leaks in."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_alpaca_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALPACA_BASE_URL", "ALPACA_STREAM_URL", "ALPACA_DATA_URL"):
        monkeypatch.delenv(name, raising=False)

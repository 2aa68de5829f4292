"""Shared fixtures for the WebSocket tests: recorded frames decoded the way the client decodes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kraken"


def load_frame(name: str) -> dict[str, Any]:
    """A fixture frame decoded with ``parse_float=Decimal`` (as the client does)."""
    frame: dict[str, Any] = json.loads((FIXTURES / name).read_text(), parse_float=Decimal)
    frame.pop("_source", None)
    return frame


@pytest.fixture
def frames() -> Any:
    return load_frame


@pytest.fixture
async def exchange() -> Any:
    """A paper exchange on loopback, market driven only by the test (``ex.drive``)."""
    from src.venues.kraken_paper import FaultConfig, PaperExchange

    async with PaperExchange(
        market="synthetic", auto_tick=False, rate_limits=False, faults=FaultConfig()
    ) as ex:
        yield ex


@pytest.fixture
async def adapter(exchange: Any) -> Any:
    from src.brokers.kraken_adapter import KrakenAdapter

    async with KrakenAdapter(
        api_key=exchange.api_key,
        api_secret=exchange.api_secret,
        base_url=exchange.rest_url,
        ws_url=exchange.ws_url,
        ws_auth_url=exchange.ws_auth_url,
    ) as ad:
        yield ad


async def eventually(check: Any, timeout: float = 5.0, interval: float = 0.02) -> None:
    """Poll ``check()`` until truthy (loopback delivery is asynchronous)."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            if check():
                return
        except Exception:
            if loop.time() > deadline:
                raise
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)

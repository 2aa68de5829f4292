"""End to end: a ``.env`` that points the client at the paper exchange is honoured.

The user's complaint in issue 12: ``KRAKEN_API_URL`` for the paper exchange written in ``.env``
was ignored and the adapter went to api.kraken.com. Here the exchange is a real loopback server
whose demo key no other venue knows, so a successful private call proves where it went.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from src.app.session import paper_venue
from src.brokers.credentials import BrokerCredentials
from src.brokers.kraken_adapter import KrakenAdapter
from src.venues.kraken_paper import PaperExchange

pytestmark = [pytest.mark.integration]


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # the .env each test writes, never a developer's
    for name in list(os.environ):
        if name.upper().startswith("KRAKEN_"):
            monkeypatch.delenv(name)


@pytest.fixture
async def exchange() -> AsyncIterator[PaperExchange]:
    async with PaperExchange(market="synthetic", seed=5, auto_tick=False) as ex:
        yield ex


async def test_dotenv_url_and_keys_reach_the_paper_exchange(
    exchange: PaperExchange, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        f"KRAKEN_API_URL={exchange.rest_url}\n"
        f"KRAKEN_API_KEY={exchange.api_key}\n"
        f"KRAKEN_API_SECRET={exchange.api_secret}\n"
        "KRAKEN_TIER=pro\n",
        encoding="utf-8",
    )
    creds = BrokerCredentials()
    async with KrakenAdapter(
        api_key=creds.require("kraken_api_key"), api_secret=creds.require("kraken_api_secret")
    ) as adapter:
        assert adapter.base_url == exchange.rest_url
        balances = await adapter.get_balance()  # signed: only the paper exchange knows this key
        assert balances


async def test_paper_venue_uses_its_own_urls_whatever_dotenv_says(tmp_path: Path) -> None:
    # A live configuration left in .env (here a port nothing listens on) must not divert paper.
    (tmp_path / ".env").write_text(
        "KRAKEN_API_URL=http://127.0.0.1:9\nKRAKEN_WS_URL=ws://127.0.0.1:9/ws/v2\n",
        encoding="utf-8",
    )
    async with paper_venue(speed=60) as venue:
        assert venue.exchange is not None
        assert venue.adapter.base_url == venue.exchange.rest_url
        assert venue.adapter.ws_url == venue.exchange.ws_url
        assert venue.adapter.ws_auth_url == venue.exchange.ws_auth_url
        assert await venue.adapter.get_balance()

"""Fixtures: a paper exchange on loopback, the guide's environment pointed at it, an adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from src.brokers.kraken_adapter import KrakenAdapter
from src.core.execution import Order, OrderType, Side
from src.venues.kraken_paper import PaperExchange
from src.venues.kraken_paper.exchange import DEMO_ACCOUNT
from tests.support.paper import PaperOptions

BTC_PRICE = Decimal("60000")  # the market is driven here, so the guide's $40,000 buy rests
ETH_PRICE = Decimal("3000")  # ... and so does its $2,500 ETH buy

_ENV_TO_CLEAR = (
    "KRAKEN_NONCE_SCALE",
    "KRAKEN_RATE_LIMIT_MODE",
    "KRAKEN_HISTORY_CALL_COST",
    "KRAKEN_RATE_LIMIT_MARGIN",
    "ALPACA_API_KEY",
    "ALPACA_API_SECRET",
    "ALPACA_BASE_URL",
    "ALPACA_STREAM_URL",
    "ALPACA_DATA_URL",
)


@pytest.fixture
def paper_options() -> PaperOptions:
    """A still market (no background ticks) at known prices, on the pro tier."""
    return PaperOptions({"BTC/USD": BTC_PRICE, "ETH/USD": ETH_PRICE}, seed=3, tier="pro")


@pytest.fixture
def paper(paper_exchange: PaperExchange) -> PaperExchange:
    """The guide's paper exchange (``paper_exchange`` with this folder's options)."""
    return paper_exchange


@pytest.fixture
def guide_env(
    paper: PaperExchange, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> PaperExchange:
    """The environment the guide relies on, pointed at ``paper``; cwd has no ``.env``."""
    monkeypatch.chdir(tmp_path)  # BrokerCredentials reads ./.env: never a developer's real one
    for name in _ENV_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KRAKEN_API_KEY", paper.api_key)
    monkeypatch.setenv("KRAKEN_API_SECRET", paper.api_secret)
    monkeypatch.setenv("KRAKEN_API_URL", paper.rest_url)
    monkeypatch.setenv("KRAKEN_WS_URL", paper.ws_url)
    monkeypatch.setenv("KRAKEN_WS_AUTH_URL", paper.ws_auth_url)
    monkeypatch.setenv("KRAKEN_TIER", "pro")  # the paper exchange's tier
    return paper


@pytest.fixture
async def adapter(guide_env: PaperExchange) -> AsyncIterator[KrakenAdapter]:
    """The adapter the guide's fragments run inside (configured from the environment only)."""
    async with KrakenAdapter(api_key=guide_env.api_key, api_secret=guide_env.api_secret) as kraken:
        yield kraken


def guide_names(adapter: KrakenAdapter, **more: Any) -> dict[str, Any]:
    """The names a fragment of the guide takes for granted."""
    return {"adapter": adapter, "Order": Order, "OrderType": OrderType, "Side": Side, **more}


def btc_order() -> Order:
    """The guide's standard order: buy 0.001 BTC at $40,000."""
    return Order(
        symbol="BTC/USD",
        side=Side.BUY,
        quantity=0.001,
        order_type=OrderType.LIMIT,
        limit_price=40000.0,
    )


def open_orders(ex: PaperExchange) -> dict[str, dict[str, Any]]:
    """The demo account's open orders, read inside the exchange (not through the adapter)."""
    result: dict[str, dict[str, Any]] = ex.service.query("OpenOrders", DEMO_ACCOUNT, {})["open"]
    return result


def only_open_order(ex: PaperExchange) -> dict[str, Any]:
    """The single open order on the exchange (fails when there are zero or several)."""
    orders = list(open_orders(ex).values())
    assert len(orders) == 1, orders
    return orders[0]


def assert_btc_order_resting(ex: PaperExchange, client_order_id: str | None = None) -> None:
    """The guide's 0.001 BTC @ 40000 buy rests on the exchange exactly as Kraken would show it."""
    order = only_open_order(ex)
    descr = order["descr"]
    assert (descr["pair"], descr["type"], descr["ordertype"]) == ("XBTUSD", "buy", "limit")
    assert descr["price"] == "40000.0" and order["vol"] == "0.00100000"
    assert Decimal(descr["price"]) == Decimal("40000") and Decimal(order["vol"]) == Decimal("0.001")
    assert descr["order"] == "buy 0.00100000 XBTUSD @ limit 40000.0"
    if client_order_id is not None:
        assert order["cl_ord_id"] == client_order_id

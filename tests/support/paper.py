"""The paper-exchange fixture every test kind uses: one loopback exchange, options per folder.

``paper_exchange`` starts a :class:`~src.venues.kraken_paper.PaperExchange` on 127.0.0.1 with
a still market (synthetic, no background ticks) unless told otherwise. A folder that needs a
different exchange overrides ``paper_options`` in its ``conftest.py``::

    @pytest.fixture
    def paper_options(clock: ManualClock) -> PaperOptions:
        return PaperOptions(seed=7, clock=clock, prices={"XBTUSD": "30000.0"})

Tests that start exchanges of their own (several at once, or restarted on one database) use
``start_paper`` with the same options.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import pytest

from src.venues.kraken_paper import PaperExchange

DEFAULTS: Mapping[str, Any] = {"market": "synthetic", "auto_tick": False}


class PaperOptions:
    """How to start a paper exchange for a test.

    Args:
        prices: Prices driven right after start (pair or symbol -> price), so the market is
            where the test expects it.
        **exchange: Keyword arguments of ``PaperExchange`` (``seed``, ``tier``, ``clock``,
            ``faults``, ``rate_limits``, ``db_path``, ...) on top of ``DEFAULTS`` (a synthetic
            market with no background ticks).
    """

    def __init__(self, prices: Mapping[str, str | Decimal] | None = None, **exchange: Any) -> None:
        self.prices = dict(prices or {})
        self.exchange = {**DEFAULTS, **exchange}

    def but(self, **exchange: Any) -> PaperOptions:
        """The same options with some ``PaperExchange`` arguments changed."""
        return PaperOptions(self.prices, **{**self.exchange, **exchange})


@asynccontextmanager
async def start_paper(options: PaperOptions | None = None) -> AsyncIterator[PaperExchange]:
    """Start a paper exchange per ``options``, drive its prices, stop it on exit."""
    options = options or PaperOptions()
    async with PaperExchange(**options.exchange) as exchange:
        for pair, price in options.prices.items():
            exchange.drive(pair, price)
        yield exchange


@pytest.fixture
def paper_options() -> PaperOptions:
    """The default: a still synthetic market (override in a folder's conftest)."""
    return PaperOptions()


@pytest.fixture
async def paper_exchange(paper_options: PaperOptions) -> AsyncIterator[PaperExchange]:
    """A paper exchange on loopback, started per ``paper_options``."""
    async with start_paper(paper_options) as exchange:
        yield exchange


__all__ = ["PaperOptions", "paper_exchange", "paper_options", "start_paper"]

"""The ``venue`` fixture: every broker the suite knows, one parameter each.

Add a broker by writing ``tests/conformance/venues/<name>.py`` with an async context manager
that yields a ``Venue``, and listing it in ``VENUES`` below.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import pytest

from tests.conformance.venue import Venue
from tests.conformance.venues.alpaca import alpaca_venue
from tests.conformance.venues.kraken import kraken_venue
from tests.conformance.venues.kraken_futures import kraken_futures_venue
from tests.conformance.venues.sim import sim_venue

VENUES: dict[str, Callable[[], AbstractAsyncContextManager[Venue]]] = {
    "alpaca": alpaca_venue,
    "kraken": kraken_venue,
    "kraken_futures": kraken_futures_venue,
    "sim": sim_venue,
}


@pytest.fixture(params=sorted(VENUES))
async def venue(request: pytest.FixtureRequest) -> AsyncIterator[Venue]:
    async with VENUES[request.param]() as built:
        yield built

"""A private socket whose resubscribe is refused for its token reconnects with a fresh one.

Found by the soak: a shared token that had expired on the exchange was refused on a reconnect;
the connection dropped the subscription and stayed "connected", so every later order and dead
man's switch re-arm on it failed with ``ESession:Invalid session``.
"""

from __future__ import annotations

from typing import Any

import pytest

from src.brokers.kraken_adapter import KrakenAdapter
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

EXECUTIONS = {"channel": "executions", "snap_orders": True, "snap_trades": False}


async def test_a_refused_token_is_forgotten_and_the_subscription_kept(
    exchange: Any, adapter: KrakenAdapter
) -> None:
    stream = adapter.private_stream(balances=False, snap_trades=False)
    await stream.start()
    try:
        connection = stream.connection
        assert connection.is_subscribed(EXECUTIONS)
        cache = adapter.websocket_token
        real = await cache()
        cache._token = "expired-" + real[:8]  # what the exchange no longer honours
        before = connection.connects
        await connection.reconnect(timeout=5)
        # The refused attempt is no connection; the next, with a fresh token, is.
        await eventually(lambda: connection.connects > before and connection.connected)
        assert connection.is_subscribed(EXECUTIONS)  # before the fix: dropped, socket up
        assert cache._token is not None and not cache._token.startswith("expired-")
    finally:
        await stream.close()

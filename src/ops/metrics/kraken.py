"""Kraken-only metrics: the rate-limit counters, REST and WS timings, reconnects, book checksums.

Attached only when the engine is a Kraken adapter (anything with a ``KrakenRateLimits`` gate
and a ``KrakenTransport`` under ``engine.rest``), and detached on exit, so no hook outlives the
session. The WebSocket hook is process-wide (``WsConnection.observers``): the adapter builds
its connections deep inside its streams, so it sees every Kraken socket of the process.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from src.brokers.kraken.limits.counters import KrakenRateLimits
from src.brokers.kraken.rest.transport import KrakenTransport, RestObserver
from src.brokers.kraken.ws.connection import WsConnection
from src.brokers.kraken.ws.public import KrakenMarketData
from src.ops.metrics.families import RuntimeMetrics


class _WsWatcher:
    """The WS observer: round trips and reconnects into the metrics, connections remembered."""

    def __init__(self, metrics: RuntimeMetrics) -> None:
        self.metrics = metrics
        self.connections: weakref.WeakSet[WsConnection] = weakref.WeakSet()

    def on_connect(self, connection: WsConnection) -> None:
        self.connections.add(connection)
        if connection.connects > 1:
            self.metrics.ws_reconnects.labels(connection.name).inc()

    def on_reply(self, connection: WsConnection, method: str, seconds: float) -> None:
        self.metrics.ws_seconds.labels(connection.name, method).observe(seconds)


class KrakenProbe:
    """Hooks into one Kraken adapter and samples what only Kraken has.

    Args:
        engine: the runtime's engine; :meth:`attach` returns None unless it is Kraken's.
        metrics: the families to update.
        market_data: public-data clients whose books' checksum failures are counted.
    """

    def __init__(
        self, engine: Any, metrics: RuntimeMetrics, market_data: list[KrakenMarketData]
    ) -> None:
        self.engine, self.metrics, self.market_data = engine, metrics, market_data
        self.gate: KrakenRateLimits = engine.gate
        self.transport: KrakenTransport = engine.rest.transport
        self.ws = _WsWatcher(metrics)
        self._previous: RestObserver | None = None
        self._checksums: dict[tuple[int, str], int] = {}

    @classmethod
    def attach(
        cls, engine: Any, metrics: RuntimeMetrics, market_data: Sequence[KrakenMarketData] = ()
    ) -> KrakenProbe | None:
        """Hook into ``engine`` if it is a Kraken adapter; None (nothing hooked) otherwise."""
        gate = getattr(engine, "gate", None)
        transport = getattr(getattr(engine, "rest", None), "transport", None)
        if not isinstance(gate, KrakenRateLimits) or not isinstance(transport, KrakenTransport):
            return None
        probe = cls(engine, metrics, list(market_data))
        probe._hook()
        return probe

    def _hook(self) -> None:
        self._previous = self.transport.observer
        self.transport.observer = self._on_rest
        WsConnection.observers.append(self.ws)

    def detach(self) -> None:
        """Remove both hooks (the transport gets back whatever observer it had)."""
        if self.transport.observer == self._on_rest:
            self.transport.observer = self._previous
        if self.ws in WsConnection.observers:
            WsConnection.observers.remove(self.ws)

    def _on_rest(self, method: str, seconds: float, ok: bool) -> None:
        self.metrics.rest_seconds.labels(method, "ok" if ok else "error").observe(seconds)
        if self._previous is not None:
            self._previous(method, seconds, ok)

    def sample(self) -> None:
        """Update the counters' levels, the sockets' state and the books' checksum failures."""
        m = self.metrics
        snapshot = self.gate.snapshot()
        m.rate_level.labels("rest").set(float(snapshot["rest"]))
        m.rate_max.labels("rest").set(self.gate.limits.rest_max)
        for pair, level in dict(snapshot.get("pairs", {})).items():
            m.rate_level.labels(pair).set(float(level))
            m.rate_max.labels(pair).set(self.gate.limits.trade_threshold)
        up: dict[str, int] = {}
        for connection in list(self.ws.connections):
            up[connection.name] = up.get(connection.name, 0) + int(connection.connected)
        for name, count in up.items():
            m.ws_connected.labels(name).set(count)
        for market in self.market_data:
            self._books(market)

    def _books(self, market: KrakenMarketData) -> None:
        for params in market.connection.subscriptions:
            if params.get("channel") != "book":
                continue
            for symbol in params.get("symbol", []):
                try:
                    failures = market.book(symbol).checksum_failures
                except KeyError:  # acknowledged, but no book frame has arrived yet
                    continue
                key = (id(market), symbol)
                grown = failures - self._checksums.get(key, 0)
                self._checksums[key] = failures
                counter = self.metrics.checksum_failures.labels(symbol)
                if grown > 0:
                    counter.inc(grown)

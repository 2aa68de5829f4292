"""``metrics_service(config)``: the session service that exports one runtime's metrics.

A session enters each service around ``runtime.run`` (``SessionPlan.services``): a factory
takes the runtime and returns an async context manager. This one samples the runtime every
``sample_seconds`` and before every scrape, and serves ``/metrics`` while the session runs.
Metrics never stop trading: a port that cannot be bound, or a sample that fails, is logged
and the session goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self

from prometheus_client import generate_latest

from src.core.runtime import TradingRuntime
from src.ops.metrics.config import MetricsConfig
from src.ops.metrics.families import RuntimeMetrics
from src.ops.metrics.sampler import RuntimeSampler
from src.ops.metrics.server import MetricsServer
from src.utils.logging import get_logger
from src.utils.periodic import start_periodic, stop_task

log = get_logger(__name__)


class RuntimeExporter:
    """Samples ``runtime`` into its own registry and serves it while entered.

    Args:
        runtime: the session's runtime.
        config: where to serve, how often to sample.
        market_data: Kraken public-data clients whose books' checksums are counted.
    """

    def __init__(
        self,
        runtime: TradingRuntime,
        config: MetricsConfig | None = None,
        market_data: Sequence[Any] = (),
    ) -> None:
        self.runtime = runtime
        self.config = config or MetricsConfig()
        self.metrics = RuntimeMetrics()
        self.sampler = RuntimeSampler(runtime, self.metrics, self.config.mode)
        self.market_data = list(market_data)
        self.probe: Any = None
        self.server: MetricsServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str | None:
        """The ``/metrics`` URL while served, else None."""
        return self.server.url if self.server is not None else None

    def sample(self) -> None:
        """Take one sample now (a failure is logged, never raised into the session)."""
        try:
            self.sampler.sample()
            if self.probe is not None:
                self.probe.sample()
        except Exception as exc:  # a metrics bug must not stop a trading session
            log.warning("metrics.sample_failed", error=f"{type(exc).__name__}: {exc}")

    def render(self) -> bytes:
        """Sample, then return the exposition text a scrape would get."""
        self.sample()
        return generate_latest(self.metrics.registry)

    async def __aenter__(self) -> Self:
        self.probe = _kraken_probe(self.runtime.engine, self.metrics, self.market_data)
        self.sample()  # the baseline: what earlier sessions stored is not counted again
        if self.config.enabled:
            server = MetricsServer(
                self.metrics.registry, self.config.host, self.config.port, self.sample
            )
            try:
                await server.start()
                self.server = server
                log.info("metrics.serving", url=server.url)
            except OSError as exc:
                log.warning("metrics.not_served", host=self.config.host,
                            port=self.config.port, error=str(exc))  # fmt: skip
        self._task = start_periodic(self.sample, self.config.sample_seconds, name="metrics-sampler")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task, self._task = self._task, None
        await stop_task(task)
        self.sample()
        if self.server is not None:
            await self.server.stop()
            self.server = None
        if self.probe is not None:
            self.probe.detach()


def _kraken_probe(engine: Any, metrics: RuntimeMetrics, market_data: Sequence[Any]) -> Any:
    """The Kraken hooks when ``engine`` is a Kraken adapter (imported only then)."""
    if "kraken" not in type(engine).__module__:
        return None
    from src.ops.metrics.kraken import KrakenProbe

    return KrakenProbe.attach(engine, metrics, market_data)


def metrics_service(
    config: MetricsConfig | None = None, *, market_data: Sequence[Any] = ()
) -> Callable[[TradingRuntime], RuntimeExporter]:
    """A ``SessionPlan.services`` factory: ``factory(runtime)`` is the exporter to enter.

    Args:
        config: defaults to ``MetricsConfig.load()`` (the config file's ``[metrics]`` table and
            ``KTRADE_METRICS_*``), read when the factory is called.
        market_data: Kraken public-data clients whose books' checksum failures are counted.
    """

    def factory(runtime: TradingRuntime) -> RuntimeExporter:
        return RuntimeExporter(runtime, config or MetricsConfig.load(), market_data)

    return factory

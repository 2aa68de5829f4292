"""The ``/metrics`` endpoint: an aiohttp server in the bot's event loop, on one registry.

In the event loop, not prometheus_client's thread server: a scrape then reads the runtime's
state between two of its steps, never halfway through one.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


class MetricsServer:
    """Serves ``registry`` at ``GET /metrics`` on ``host:port``.

    Args:
        registry: what to serve.
        host: address to bind.
        port: TCP port; 0 picks a free one (read ``port`` after ``start``).
        before_scrape: called before each scrape renders (a fresh sample).
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        host: str = "127.0.0.1",
        port: int = 0,
        before_scrape: Callable[[], None] | None = None,
    ) -> None:
        self.registry, self.host, self.port = registry, host, port
        self.before_scrape = before_scrape
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The endpoint's URL (after ``start``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    async def start(self) -> None:
        """Bind and serve.

        Raises:
            OSError: the address cannot be bound (in use, not local).
        """
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _metrics(self, request: web.Request) -> web.Response:
        if self.before_scrape is not None:
            self.before_scrape()
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

"""Fixtures for the ``ktrade`` integration tests: isolated folders, a runner, and a paper
exchange on loopback served from its own thread (``ktrade`` runs its own event loop)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from src.venues.kraken_paper import PaperExchange
from tests.unit.cli.cli_support import home, ktrade

__all__ = ["home", "ktrade", "threaded_exchange"]


class ThreadedExchange:
    """A ``PaperExchange`` running on its own event loop in a daemon thread."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.exchange: PaperExchange | None = None
        self.failure: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to the test by start()
            self.failure = exc
            self.ready.set()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with PaperExchange(**self.options) as exchange:
            self.exchange = exchange
            self.ready.set()
            await self._stop.wait()

    def start(self) -> PaperExchange:
        self.thread.start()
        assert self.ready.wait(30), "paper exchange did not start"
        if self.failure is not None:
            raise self.failure
        assert self.exchange is not None
        return self.exchange

    def call(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)`` on the exchange's loop and return its result."""

        async def job() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(job(), self.loop).result(10)

    def run(self, coroutine: Any) -> Any:
        """Await ``coroutine`` on the exchange's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def stop(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(30)


@pytest.fixture
def threaded_exchange() -> Iterator[ThreadedExchange]:
    runner = ThreadedExchange(speed=60)
    runner.start()
    yield runner
    runner.stop()

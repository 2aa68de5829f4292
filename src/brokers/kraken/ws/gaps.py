"""Close the gaps in a private stream: reconcile over REST whenever reports may have been missed.

A gap is anything after which the executions stream may lack reports: a reconnect, or a frame
that could not be read (broken JSON, wrong types, missing fields, unknown shapes). Both take
the one path: the stream's reconcile hooks (``WsFillSource.reconcile`` fetches TradesHistory
since just before the newest fill, ``WsOrderUpdateSource.reconcile`` asks QueryOrders,
ClosedOrders and OpenOrders, ``KrakenOrderManager.reconcile_orders`` asks about orders not yet
final), whose answers pass the same de-duplication as the stream, so nothing is lost and
nothing is delivered twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable

from src.brokers.kraken.ws.backoff import Backoff
from src.core.clock import Clock
from src.core.errors import BrokerError

__all__ = ["GapHook", "GapReconciler"]

log = logging.getLogger(__name__)

GapHook = Callable[[], Awaitable[object]]


class GapReconciler:
    """Runs reconcile hooks after each gap, one run at a time, each hook until it succeeds.

    Gaps that open while a run is under way are served by one more run after it, so a burst of
    bad frames costs two runs, not one per frame. A hook that raises ``BrokerError`` (REST could
    not be read) is retried with backoff until it succeeds or the stream closes; the gap stays
    open meanwhile (``pending``). Any other exception is a bug: it is logged with its traceback
    and that hook is skipped for this run, so it cannot block the other hooks. A gap
    opened by an unreadable frame (``late=True``) gets one more run ``recheck`` seconds later,
    because REST may list a fill a moment after the WebSocket reported it.

    Args:
        name: label for logs.
        clock: sleeps between retries and before the recheck.
        recheck: seconds before the extra run after an unreadable frame (None: no recheck).
        backoff: retry delays for a failing hook (default 0.25 s doubling to 30 s).
    """

    def __init__(
        self,
        name: str,
        clock: Clock,
        *,
        recheck: float | None = 2.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.name = name
        self.recheck = recheck
        self._clock = clock
        self._backoff = backoff or Backoff(initial=0.5, cap=30.0)
        self._hooks: list[GapHook] = []
        self._task: asyncio.Task[None] | None = None
        self._wanted = False
        self._late = False
        self.gaps = 0
        self.runs = 0
        self.failures = 0
        self.last_reason: str | None = None

    @property
    def pending(self) -> bool:
        """True while a gap is open: its reconcile has not finished yet."""
        return self._task is not None and not self._task.done()

    def add(self, hook: GapHook) -> None:
        """Run ``hook`` after every gap (it raises ``BrokerError`` when it could not reconcile)."""
        self._hooks.append(hook)

    def open(self, reason: str, *, late: bool = False) -> None:
        """A gap opened (called from the reader or a reconnect hook): reconcile soon."""
        self.gaps += 1
        self.last_reason = reason
        self._wanted = True
        self._late = self._late or late
        if not self.pending and self._hooks:
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._run(), name=f"{self.name}-gap-reconcile")

    async def close(self) -> None:
        """Stop reconciling (the stream is closing)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        while self._wanted:
            self._wanted, late, self._late = False, self._late, False
            for hook in list(self._hooks):
                await self._until_done(hook)
            self.runs += 1
            if late and self.recheck is not None:
                await self._clock.sleep(self.recheck)
                self._wanted = True  # the recheck: REST may list a fill a little late

    async def _until_done(self, hook: GapHook) -> None:
        backoff = dataclasses.replace(self._backoff, attempt=0)
        while True:
            try:
                await hook()
                return
            except asyncio.CancelledError:
                raise
            except BrokerError as exc:  # the gap stays open: a venue failure is retried
                self.failures += 1
                delay = backoff.next_delay()
                log.warning(
                    "%s: reconcile after a gap failed (%s); retrying in %.2fs",
                    self.name,
                    exc,
                    delay,
                )
                await self._clock.sleep(delay)
            except Exception:
                self.failures += 1
                log.exception("%s: reconcile hook %r failed; skipped this time", self.name, hook)
                return

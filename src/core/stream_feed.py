"""Venue push streams into the order manager: fills and order updates applied as they arrive.

The runtime's books used to learn about fills only when it polled (``sync_fills`` after an
order, ``reconcile`` on a timer). ``StreamFeed`` runs one background task per stream the
engine offers: ``stream_fills()`` (every ``ExecutionEngine``) and ``stream_order_updates()``
(engines that implement ``OrderUpdateStream``). Each event goes straight to
``OrderManager.apply_fill`` / ``apply_update``, so a fill reaches the portfolio one event
after the venue's execution message.

Polling stays the safety net, and the feed tells the runtime when it is needed:

* a stream that raises is logged at error level and restarted after an exponential backoff;
  meanwhile, and until a (re)started stream has delivered its first event, ``streaming`` is
  False and the runtime polls after every order, as without streams;
* a (re)started stream only yields what happens after it started, and an event whose handler
  failed was not stored: both open a *gap* (``gap_open``) that only a poll begun after it can
  close (``poll_mark`` before the poll, ``polled`` after it succeeded);
* ``apply_fill`` is idempotent (the fill id is the store's primary key), so a fill that both
  the stream and a poll deliver is applied once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from src.core.execution import ExecutionEngine, Fill, OrderUpdate, OrderUpdateStream
from src.core.order_manager import OrderManager

log = structlog.get_logger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class StreamState:
    """Health and counters of one stream consumer.

    Attributes:
        name: ``"fills"`` or ``"orders"``.
        running: the engine's stream is being iterated now (not failed, not backing off).
            This says nothing about the venue's connection: a stream may be reconnecting
            inside the engine (see ``delivering``).
        starts: iterations begun (the first start plus every restart).
        events: events received.
        events_this_start: events received since the current iteration began.
        applied: events about our own orders that were applied (a new fill of ours, an
            update of one of our orders); duplicates and foreign events are not counted.
        failures: times the stream raised or ended and had to be restarted.
        last_error: the last failure, for the status line and the logs.
    """

    name: str
    running: bool = False
    starts: int = 0
    events: int = 0
    events_this_start: int = 0
    applied: int = 0
    failures: int = 0
    last_error: str | None = None

    @property
    def delivering(self) -> bool:
        """Running, and it has delivered since it (re)started: the stream demonstrably works."""
        return self.running and self.events_this_start > 0


class StreamFeed:
    """Background consumers of an engine's event streams, feeding an ``OrderManager``.

    Args:
        engine: the venue; its ``stream_fills()`` is always used, ``stream_order_updates()``
            when it implements ``OrderUpdateStream``.
        oms: receives every event (``apply_fill`` / ``apply_update``).
        initial_backoff: seconds before the first restart of a failed stream (real time: a
            reconnect waits for the network, not for a simulated clock).
        max_backoff: the restart delay doubles after each failure up to this.
        sleep: how to wait between restarts (default: the event loop's real time).
    """

    def __init__(
        self,
        engine: ExecutionEngine,
        oms: OrderManager,
        *,
        initial_backoff: float = 0.5,
        max_backoff: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.engine, self.oms = engine, oms
        self.initial_backoff, self.max_backoff = initial_backoff, max_backoff
        self._sleep = sleep
        self.fills = StreamState("fills")
        self.orders = StreamState("orders") if isinstance(engine, OrderUpdateStream) else None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopped = False  # stopped after a start: the shutdown line says so, not "off"
        self._gaps = 0  # fills no stream may deliver: fill-stream starts, unapplied events
        self._covered = 0  # gaps opened before the last successful poll began

    @property
    def started(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return bool(self._tasks)

    @property
    def consuming(self) -> bool:
        """True while the fill stream is iterated (events it holds are applied on the next turn)."""
        return self.fills.running

    @property
    def streaming(self) -> bool:
        """True while fills demonstrably arrive by stream, so an order needs no poll for them.

        A fill stream that has delivered nothing since it started may be one that cannot reach
        its venue (the engine retrying inside), so until its first event the runtime keeps
        polling after orders exactly as without streams.
        """
        return self.fills.delivering

    @property
    def gap_open(self) -> bool:
        """True when fills may exist that no stream will deliver and no poll has fetched."""
        return self._covered < self._gaps

    def poll_mark(self) -> int:
        """Call before a poll; pass the result to ``polled`` once the poll succeeded."""
        return self._gaps

    def polled(self, mark: int) -> None:
        """A poll begun at ``mark`` succeeded: every gap opened before it is covered."""
        self._covered = max(self._covered, mark)

    def start(self) -> None:
        """Start one consumer task per stream (idempotent)."""
        if self._tasks:
            return
        self._stopped = False
        self._tasks.append(
            asyncio.create_task(self._supervise(self.fills, self._fill_events), name="feed.fills")
        )
        if self.orders is not None:
            task = self._supervise(self.orders, self._order_events)
            self._tasks.append(asyncio.create_task(task, name="feed.orders"))

    async def stop(self) -> None:
        """Cancel the consumers and wait for them (the engine's streams close with them)."""
        tasks, self._tasks = self._tasks, []
        self._stopped = self._stopped or bool(tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for state in (self.fills, self.orders):
            if state is not None:
                state.running = False

    def status(self) -> str:
        """Compact health for the status line.

        ``off`` (not started), ``up`` (fills are delivered by stream), ``waiting`` (consuming,
        nothing delivered since the start yet), ``down[fills](n failures)`` (restarting),
        ``stopped`` (shut down after running).
        """
        if not self._tasks:
            return "stopped" if self._stopped else "off"
        states = [s for s in (self.fills, self.orders) if s is not None]
        down = "+".join(s.name for s in states if not s.running)
        if down:
            return f"down[{down}]({sum(s.failures for s in states)} failures)"
        return "up" if self.streaming else "waiting"

    def _fill_events(self) -> AsyncIterator[Fill]:
        return self.engine.stream_fills()

    def _order_events(self) -> AsyncIterator[OrderUpdate]:
        assert isinstance(self.engine, OrderUpdateStream)  # only started when it is one
        return self.engine.stream_order_updates()

    async def _supervise(
        self, state: StreamState, open_stream: Callable[[], AsyncIterator[Any]]
    ) -> None:
        """Consume one stream forever: restart it with backoff whenever it fails or ends."""
        delay = self.initial_backoff
        while True:
            state.starts += 1
            if state is self.fills:  # a fresh iteration never replays the fills before it
                self._gaps += 1
            seen = state.events
            try:
                await self._consume(state, open_stream())
            except NotImplementedError:
                state.running = False
                log.warning("feed.no_stream", stream=state.name, note="polling only")
                return
            except Exception as exc:  # never let a venue's stream take the runtime down
                state.failures += 1
                state.last_error = f"{type(exc).__name__}: {exc}"
                log.error(
                    "feed.stream_failed",
                    stream=state.name,
                    error=state.last_error,
                    retry_in=delay,
                    exc_info=True,
                )
            else:
                state.failures += 1
                state.last_error = "stream ended"
                log.error("feed.stream_ended", stream=state.name, retry_in=delay)
            finally:
                state.running = False
            if state.events > seen:  # it worked for a while: restart as gently as at first
                delay = self.initial_backoff
            await self._sleep(delay)
            delay = min(delay * 2, self.max_backoff)

    async def _consume(self, state: StreamState, events: AsyncIterator[Any]) -> None:
        """Apply events until the stream stops or fails."""
        state.running, state.events_this_start = True, 0
        try:
            async for event in events:
                state.events += 1
                state.events_this_start += 1
                self._apply(state, event)
        finally:
            if isinstance(events, AsyncGenerator):  # close the venue's socket now, not at GC
                with contextlib.suppress(Exception):
                    await events.aclose()

    def _apply(self, state: StreamState, event: Fill | OrderUpdate) -> None:
        """Hand one event to the order manager; a failure opens a gap instead of stopping."""
        try:
            if isinstance(event, Fill):
                changed: object = self.oms.apply_fill(event)
            else:
                changed = self.oms.apply_update(event)
        except Exception as exc:  # e.g. the database is busy: the next poll re-fetches it
            self._gaps += 1
            log.error(
                "feed.apply_failed",
                stream=state.name,
                event=type(event).__name__,
                error=f"{type(exc).__name__}: {exc}",
                exc_info=True,
            )
            return
        if changed:
            state.applied += 1
        elif isinstance(event, Fill) and not self.oms.store.has_fill(event.fill_id):
            # Not ours, or ours before we could match it (no client id, ack not stored yet):
            # the next poll retries it once the order is known.
            self._gaps += 1

"""Bring a stale Kraken WS v2 book back: resubscribe with backoff, then reconnect; never give up.

A book goes stale on a checksum mismatch or a message it cannot apply (``KrakenMarketData``
marks it), and when the socket drops. Recovery runs per symbol, one task at a time:

1. after a backoff delay, unsubscribe and resubscribe that symbol alone, for a fresh snapshot,
   while the other subscriptions keep flowing;
2. once ``budget`` resubscribes have not produced a book that then stayed healthy for
   ``window`` seconds, reconnect the whole public socket (the connection replays every
   subscription, and with it every book's snapshot);
3. repeat, the delay growing to its cap, until a snapshot with a matching checksum makes the
   book valid.

There is no final failure: a venue that heals is always caught up with, and the book says it is
stale (``LiveBook.stale_since``/``stale_reason``) for as long as it takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from src.brokers.kraken.ws.backoff import Backoff
from src.brokers.kraken.ws.connection import WsConnection
from src.brokers.kraken.ws.market_models import LiveBook
from src.core.clock import Clock
from src.core.errors import BrokerError

__all__ = ["BookRecovery"]

log = logging.getLogger(__name__)


@dataclass
class _Attempts:
    """One symbol's recovery bookkeeping."""

    backoff: Backoff
    attempts: int = 0  # resubscribes since the last reconnect or healthy spell
    cycle_connects: int = 0  # the connection's ``connects`` when ``attempts`` last restarted
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # a snapshot or a failure


class BookRecovery:
    """Repairs the stale books of one ``KrakenMarketData`` connection.

    Args:
        connection: the public socket the books are subscribed on.
        clock: backoff sleeps and health times.
        budget: resubscribes per symbol before the socket is reconnected.
        window: seconds a repaired book must stay valid before its next mismatch starts the
            count (and the backoff) afresh.
        snapshot_timeout: seconds to wait for the snapshot a resubscribe or reconnect asks for.
        backoff: template of the per-symbol delay before each resubscribe.
    """

    def __init__(
        self,
        connection: WsConnection,
        clock: Clock,
        *,
        budget: int,
        window: float,
        snapshot_timeout: float,
        backoff: Backoff | None = None,
    ) -> None:
        if budget < 1:
            raise ValueError("checksum_budget: need at least one resubscribe before a reconnect")
        self._connection = connection
        self._clock = clock
        self.budget = budget
        self.window = window
        self.snapshot_timeout = snapshot_timeout
        self._template = backoff or Backoff(initial=0.5, cap=30.0)
        self._states: dict[str, _Attempts] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._reconnecting: asyncio.Task[bool] | None = None

    def recovering(self, symbol: str) -> bool:
        """True while a recovery task runs for ``symbol``."""
        task = self._tasks.get(symbol)
        return task is not None and not task.done()

    def failed(self, live: LiveBook) -> None:
        """A message of ``live`` did not check out: recover it (called from the reader)."""
        self._state(live.symbol).arrived.set()  # a recovery waiting on a snapshot looks again
        self._start(live, wait_first=False)

    def snapshot_seen(self, symbol: str) -> None:
        """A snapshot for ``symbol`` arrived (good or bad)."""
        state = self._states.get(symbol)
        if state is not None:
            state.arrived.set()

    def after_reconnect(self, books: Iterable[LiveBook]) -> None:
        """The socket came back: watch every book still stale that nothing is repairing."""
        for live in books:
            if live.stale and not self.recovering(live.symbol):
                self._start(live, wait_first=True)

    def forget(self, symbol: str) -> None:
        """Stop recovering ``symbol`` (it was unsubscribed)."""
        task = self._tasks.pop(symbol, None)
        if task is not None:
            task.cancel()
        self._states.pop(symbol, None)

    async def close(self) -> None:
        """Stop every recovery."""
        tasks: list[asyncio.Task[Any]] = [*self._tasks.values()]
        if self._reconnecting is not None:
            tasks.append(self._reconnecting)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    def _state(self, symbol: str) -> _Attempts:
        state = self._states.get(symbol)
        if state is None:
            backoff = dataclasses.replace(self._template, attempt=0)
            state = _Attempts(backoff, cycle_connects=self._connection.connects)
            self._states[symbol] = state
        return state

    def _start(self, live: LiveBook, *, wait_first: bool) -> None:
        if self.recovering(live.symbol):
            return
        state = self._state(live.symbol)
        now = self._clock.monotonic()
        if live.valid_at is not None and now - live.valid_at >= self.window:
            # a new stale spell after a long healthy one: the count and the delay start afresh
            state.attempts = 0
            state.backoff.reset()
            state.cycle_connects = self._connection.connects
        name = f"kraken-book-recovery-{live.symbol}"
        task = asyncio.get_running_loop().create_task(self._recover(live, wait_first), name=name)
        self._tasks[live.symbol] = task

    def _current(self, live: LiveBook) -> bool:
        # A forgotten recovery stops at its next step even if a cancel was lost in a race.
        return self._tasks.get(live.symbol) is asyncio.current_task()

    async def _recover(self, live: LiveBook, wait_first: bool) -> None:
        state = self._state(live.symbol)
        if wait_first:  # e.g. the reconnect's replayed subscription is bringing a snapshot
            await self._await_snapshot(state)
        while live.stale and self._current(live):
            try:
                await self._step(live, state)
            except asyncio.CancelledError:
                raise
            except Exception:  # a surprise must not end the recovery: the book would stay stale
                log.exception("book %s: recovery step failed; trying again", live.symbol)
                await self._clock.sleep(state.backoff.next_delay())
        if live.valid:
            log.info("book %s: valid again", live.symbol)

    async def _step(self, live: LiveBook, state: _Attempts) -> None:
        if state.attempts >= self.budget:
            await self._reconnect(live, state)
            return
        await self._clock.sleep(state.backoff.next_delay())
        if not (live.stale and self._current(live)):  # repaired meanwhile, or forgotten
            return
        state.attempts += 1
        live.resubscribes += 1
        log.info("book %s: resubscribing (attempt %d)", live.symbol, state.attempts)
        await self._resubscribe(live, state)

    async def _reconnect(self, live: LiveBook, state: _Attempts) -> None:
        state.attempts = 0
        if self._connection.connects > state.cycle_connects:
            state.cycle_connects = self._connection.connects
            return  # the socket was already rebuilt during these attempts: resubscribe again
        live.reconnects += 1
        log.warning(
            "book %s: %d resubscribes did not repair it; reconnecting the public socket",
            live.symbol,
            self.budget,
        )
        state.arrived.clear()
        if self._reconnecting is None or self._reconnecting.done():
            timeout = max(10.0, self.snapshot_timeout)
            self._reconnecting = asyncio.get_running_loop().create_task(
                self._connection.reconnect(timeout)
            )
        # shielded: one book's recovery being cancelled must not cancel everyone's reconnect
        await asyncio.shield(self._reconnecting)
        state.cycle_connects = self._connection.connects
        params = _params(live)
        if self._connection.connected and not self._connection.is_subscribed(params):
            await self._subscribe(live, params)  # a resubscribe cut short left it unsubscribed
        await self._await_snapshot(state)

    async def _resubscribe(self, live: LiveBook, state: _Attempts) -> None:
        params = _params(live)
        state.arrived.clear()
        try:
            await self._connection.unsubscribe(params)
        except BrokerError as exc:  # not fatal: the subscribe below is what matters
            log.info("book %s: unsubscribe before resubscribing failed (%s)", live.symbol, exc)
        if await self._subscribe(live, params):
            await self._await_snapshot(state)

    async def _subscribe(self, live: LiveBook, params: dict[str, Any]) -> bool:
        try:
            reply = await self._connection.subscribe(params)
        except BrokerError as exc:
            log.warning("book %s: resubscribe failed (%s); will retry", live.symbol, exc)
            return False
        if not reply.success:
            log.warning("book %s: resubscribe refused (%s); will retry", live.symbol, reply.error)
        return reply.success

    async def _await_snapshot(self, state: _Attempts) -> None:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that races the
        # event being set, which would leave a forgotten recovery running
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.snapshot_timeout):
                await state.arrived.wait()


def _params(live: LiveBook) -> dict[str, Any]:
    return {"channel": "book", "symbol": [live.symbol], "depth": live.book.depth}

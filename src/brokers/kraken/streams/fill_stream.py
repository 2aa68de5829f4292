"""A fill stream over WS v2 ``executions`` that survives reconnects without losing a fill.

Only fills made after iteration starts are yielded: once subscribed, the fills the venue
already shows (REST ``get_fills``, reaching ``overlap`` back) become the baseline and are
never yielded, nor is the first connect's trade snapshot of them (``fills.StartBaseline``).
After every gap in the stream, a reconnect or an executions frame that could not be read, the
gap is reconciled over REST (``get_fills(since)``, from a little before the newest fill seen);
a reconnect's own trade snapshot also repeats recent fills. Every fill passes one
de-duplication by id, so each is yielded exactly once.
``KrakenAdapter.stream_fills()`` uses it, with the REST poller as fallback for keys that lack
the WebSocket-token permission.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from src.brokers.kraken.rest.parse import fill_at_precision
from src.brokers.kraken.streams.fill_polling import StartBaseline
from src.brokers.kraken.symbols import SymbolMap
from src.brokers.kraken.ws.private import KrakenPrivateStream, token_text
from src.core.errors import AuthenticationError, BrokerError, PermissionDeniedError
from src.core.execution import Fill, utc_now

__all__ = ["WsFillSource", "iter_fills"]

log = logging.getLogger(__name__)

GetFills = Callable[[datetime | None], Awaitable[list[Fill]]]


class FillSource(Protocol):
    """Anything yielding fills as they happen (``PollingFillSource`` fits)."""

    def fills(self) -> AsyncIterator[Fill]:
        """Yield new fills, each once."""
        ...


class WsFillSource:
    """Yields the account's fills as they happen, each once, across reconnects.

    Args:
        adapter: a ``KrakenAdapter`` (``ws_auth_url``, ``get_websockets_token``,
            ``get_fills``), or pass ``stream`` and ``get_fills`` directly.
        overlap: seconds before the newest fill seen (or the start) to reconcile from.
        stream_options: passed to ``KrakenPrivateStream`` (timeouts, backoff).
    """

    def __init__(
        self,
        adapter: Any = None,
        *,
        stream: KrakenPrivateStream | None = None,
        get_fills: GetFills | None = None,
        overlap: float = 5.0,
        fallback: FillSource | None = None,
        **stream_options: Any,
    ) -> None:
        self._token: Callable[[], Awaitable[str]] | None = None
        if adapter is not None:

            async def token() -> str:
                return token_text(await adapter.get_websockets_token())

            # Probed first: a key without WS permission polls instead. An adapter's shared
            # token saves a REST call per connection.
            self._token = getattr(adapter, "websocket_token", None) or token
        if stream is None:
            if adapter is None or self._token is None:
                raise ValueError("WsFillSource: give an adapter or a stream")
            options = {"name": "kraken-private/fills", **stream_options}
            stream = KrakenPrivateStream(adapter.ws_auth_url, self._token, **options)
        self._fallback = fallback
        self.stream = stream
        self._get_fills = get_fills or (adapter.get_fills if adapter is not None else None)
        self._load_symbols: Callable[[], Awaitable[SymbolMap]] | None = getattr(
            adapter, "load_symbols", None
        )
        self._overlap = timedelta(seconds=overlap)
        self._newest: datetime | None = None
        self._started = utc_now()
        self._baseline: StartBaseline | None = None
        self.reconciled = 0
        stream.add_gap_hook(self.reconcile)

    async def reconcile(self) -> int:
        """Fetch fills over REST since just before the newest one seen; publish the new ones.

        Runs after every gap (``KrakenPrivateStream.add_gap_hook``). Returns how many fills
        were new.

        Raises:
            BrokerError: TradesHistory could not be read; the stream retries with backoff.
        """
        if self._get_fills is None:
            return 0
        since = max(self._newest or self._started, self._started) - self._overlap
        try:
            fills = await self._get_fills(since)
        except BrokerError as exc:
            log.warning("fill reconciliation failed (%s); will retry", exc)
            raise
        added = 0
        baseline = self._baseline
        for fill in sorted(fills, key=lambda f: f.timestamp):
            if baseline is not None and baseline.ready and not baseline.is_new(fill):
                continue  # existed before the stream started: never yielded
            if self.stream.publish_fill(fill):
                added += 1
        self.reconciled += added
        if added:
            log.info(
                "recovered %d fill(s) the stream missed (%s)", added, self.stream.gaps.last_reason
            )
        return added

    async def fills(self) -> AsyncIterator[Fill]:
        """Each new fill once, from the moment iteration starts, until cancelled.

        With a ``fallback`` source, a key without the WebSocket permission (the user's guide
        suggests not granting it) streams from the fallback instead of failing.
        """
        if self._fallback is not None and self._token is not None:
            try:
                await self._token()
            except (PermissionDeniedError, AuthenticationError) as exc:
                log.warning("no WebSocket token (%s); streaming fills by polling instead", exc)
                async for fill in self._fallback.fills():
                    yield fill
                return
        self._started = utc_now()
        iterator = self.stream.iter_fills()  # registered before connecting: nothing is missed
        await self.stream.start()
        try:
            baseline = await self._take_baseline()
            symbols = await self._symbols()
            async for fill in iterator:
                if not baseline.is_new(fill):
                    continue  # existed before we were asked (first snapshot, reconcile)
                if self._newest is None or fill.timestamp > self._newest:
                    self._newest = fill.timestamp
                yield _precise(fill, symbols)
        finally:
            await self.stream.close()

    async def _take_baseline(self) -> StartBaseline:
        """Fills the venue shows once subscribed: older ones are baseline, newer published."""
        baseline = self._baseline = StartBaseline(self._started, self._overlap)
        if self._get_fills is None:
            baseline.settle_by_time()
            return baseline
        try:
            known = await self._get_fills(self._started - self._overlap)
        except BrokerError as exc:
            log.warning("fill baseline unavailable (%s); using fill times only", exc)
            baseline.settle_by_time()
            return baseline
        for fill in baseline.settle(known):
            self.stream.publish_fill(fill)  # made while starting; dropped if WS had it
        return baseline

    async def _symbols(self) -> SymbolMap | None:
        if self._load_symbols is None:
            return None
        try:
            return await self._load_symbols()
        except BrokerError as exc:
            log.warning("no AssetPairs for fill precision (%s); fills left as sent", exc)
            return None


def _precise(fill: Fill, symbols: SymbolMap | None) -> Fill:
    if symbols is None or fill.symbol not in symbols:
        return fill
    return fill_at_precision(fill, symbols.resolve(fill.symbol))


async def iter_fills(adapter: Any, **options: Any) -> AsyncIterator[Fill]:
    """Yield the adapter's fills from the WS v2 ``executions`` channel, each once.

    Args:
        adapter: a ``KrakenAdapter`` (see ``WsFillSource``).
        **options: passed to ``WsFillSource`` (``overlap``, ``fallback``, stream options).

    Yields:
        Fills made after iteration starts, across reconnects, de-duplicated by id.
    """
    async for fill in WsFillSource(adapter, **options).fills():
        yield fill

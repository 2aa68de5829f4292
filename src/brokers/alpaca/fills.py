"""Fills exactly once: ``trade_updates`` events plus, after a reconnect, the missed activities.

Alpaca reports the order's cumulative filled quantity both on stream events
(``order.filled_qty``) and on ``FILL`` activities (``cum_qty``), so (order id, cumulative
quantity) identifies one execution across the two sources.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import structlog

from src.brokers.alpaca import parse
from src.brokers.alpaca.http import AlpacaHttpClient
from src.brokers.alpaca.stream import TradeUpdatesStream
from src.core.clock import Clock
from src.core.errors import MalformedResponseError
from src.core.execution import Fill

log = structlog.get_logger(__name__)

PAGE_SIZE = 100
# Activities are looked up from slightly before the last fill seen: clocks and rounding differ.
BACKFILL_OVERLAP = timedelta(seconds=2)


def fill_key(order_id: str, cumulative: Any) -> str:
    """The identity of one execution: order id plus the order's cumulative filled quantity."""
    return f"{order_id}:{parse.dec(cumulative, 'cum_qty').normalize()}"


class FillDeduper:
    """Remembers the last ``limit`` executions seen, by key and by fill id."""

    def __init__(self, limit: int = 10_000) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def first_time(self, key: str, fill_id: str) -> bool:
        """True the first time an execution is offered, False for any repeat."""
        if key in self._seen or fill_id in self._seen:
            return False
        self._seen[key] = None
        self._seen[fill_id] = None
        while len(self._seen) > self._limit:
            self._seen.popitem(last=False)
        return True


async def fill_activities(http: AlpacaHttpClient, after: datetime | None) -> list[dict[str, Any]]:
    """Every ``FILL`` activity after ``after``, oldest first, following page tokens."""
    out: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = await http.list_fill_activities(after, token)
        if not isinstance(page, list) or not all(isinstance(a, dict) for a in page):
            raise MalformedResponseError("Alpaca activities reply is not a list of objects")
        out.extend(page)
        if len(page) < PAGE_SIZE:
            return out
        token = str(page[-1].get("id"))


async def stream_fills(
    http: AlpacaHttpClient, stream: TradeUpdatesStream, clock: Clock
) -> AsyncIterator[Fill]:
    """Yield each fill once from ``stream``, backfilling from activities after reconnects."""
    dedup = FillDeduper()
    since = clock.now()
    async for event in stream.events():
        if event.kind == "connected":
            if event.reconnected:
                for activity in await fill_activities(http, since - BACKFILL_OVERLAP):
                    fill = parse.fill_from_activity(activity)
                    key = fill_key(fill.order_id, activity.get("cum_qty") or fill.quantity)
                    if dedup.first_time(key, fill.fill_id):
                        since = max(since, fill.timestamp)
                        yield fill
            continue
        if event.data.get("event") not in ("fill", "partial_fill"):
            continue
        try:
            fill = parse.fill_from_trade_update(event.data)
            key = fill_key(fill.order_id, event.data["order"].get("filled_qty"))
        except MalformedResponseError as exc:
            log.warning("alpaca.stream.bad_fill", error=str(exc))
            continue
        if dedup.first_time(key, fill.fill_id):
            since = max(since, fill.timestamp)
            yield fill

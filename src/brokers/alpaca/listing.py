"""Every order of a ``GET /v2/orders`` query, past Alpaca's 500-a-page limit.

Alpaca sorts and filters orders by submission time (``direction``, ``after`` and ``until``, the
bounds exclusive; https://docs.alpaca.markets/reference/getallorders) and returns at most 500.
Pages are read newest first; the next page asks for orders submitted before the oldest one
seen. Several orders can share a timestamp, and Alpaca's nanoseconds are cut to microseconds
here, so the bound is set one microsecond *after* that oldest timestamp: the orders at the
boundary come again and are dropped by id, and none is skipped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from src.brokers.alpaca import parse
from src.brokers.alpaca.http import AlpacaHttpClient
from src.core.errors import BrokerError, MalformedResponseError

PAGE_LIMIT = 500  # Alpaca's maximum ``limit``
_TICK = timedelta(microseconds=1)


def _submitted(order: dict[str, Any]) -> datetime:
    value = order.get("submitted_at") or order.get("created_at")
    return parse.timestamp(value, "submitted_at")


async def all_orders(
    http: AlpacaHttpClient, status: str, *, after: datetime | None = None
) -> list[dict[str, Any]]:
    """Every order with ``status`` (submitted after ``after`` if given), newest first.

    Raises:
        MalformedResponseError: a page is not a list of orders.
        BrokerError: more than a page of orders share one microsecond (paging cannot advance).
    """
    seen: dict[str, dict[str, Any]] = {}
    until: datetime | None = None
    while True:
        page = await http.list_orders(status, PAGE_LIMIT, after=after, until=until)
        if not isinstance(page, list) or not all(isinstance(o, dict) for o in page):
            raise MalformedResponseError(
                "Alpaca orders reply is not a list", raw=str(page)[:200], endpoint="GET /v2/orders"
            )
        fresh = [o for o in page if str(o.get("id")) not in seen]
        seen.update((str(o.get("id")), o) for o in fresh)
        if len(page) < PAGE_LIMIT:
            return list(seen.values())
        if not fresh:
            raise BrokerError(
                f"cannot page Alpaca orders: more than {PAGE_LIMIT} share the timestamp {until}",
                endpoint="GET /v2/orders",
            )
        until = min(_submitted(o) for o in page) + _TICK

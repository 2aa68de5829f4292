"""Account reads over REST: open and closed orders (paged), fills, candles, lookups by cl_ord_id.

Every read that reports orders also feeds the adapter's open-order registry: OpenOrders
reconciles it, ClosedOrders and lookups close what they show final.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from src.brokers.kraken.constants import OHLC_INTERVALS
from src.brokers.kraken.orders.registry import OpenOrderRegistry
from src.brokers.kraken.rest import parse
from src.brokers.kraken.rest.endpoints import RestEndpoints
from src.brokers.kraken.rest.replies import (
    ClosedOrdersResult,
    OpenOrdersResult,
    OrderMap,
    TradeMap,
)
from src.brokers.kraken.symbols import SymbolMap
from src.core.clock import Clock
from src.core.errors import ConfigurationError, MalformedResponseError
from src.core.execution import Fill, OrderUpdate
from src.core.market_data import Candle, PublicTrade

_MAX_PAGES = 40  # OHLC pages per fetch_candles call: a safety stop (720 bars take one or two)
_PAGE = 50  # Kraken's page size for ClosedOrders and TradesHistory
_TRADES_PAGE = 1000  # the public Trades call's documented maximum per call


class AccountQueries(RestEndpoints):
    """The adapter's typed reads; needs ``open_orders``, ``clock`` and ``load_symbols``."""

    clock: Clock
    open_orders: OpenOrderRegistry

    async def load_symbols(self, *, refresh: bool = False) -> SymbolMap:
        """The pair map from AssetPairs (see ``KrakenAdapter.load_symbols``)."""
        raise NotImplementedError

    async def get_orders(self, status: str = "open", limit: int | None = 50) -> list[OrderUpdate]:
        """Open or closed orders as OrderUpdates, newest first.

        Each item also answers Kraken's keys: ``order.get('descr', {}).get('order')``.

        Args:
            status: ``"open"`` (every open order, one OpenOrders call) or ``"closed"``.
            limit: closed orders only: return at most this many of the newest. Kraken sends
                ClosedOrders 50 per page and each page costs one unit on the REST call counter,
                so the default 50 is one call; ``limit=None`` pages through all ``count`` of them
                (``count / 50`` calls, which a long history turns into a rate-limit wait).

        Raises:
            ConfigurationError: an unknown ``status`` or a ``limit`` below 1.
        """
        if status not in ("open", "closed"):
            raise ConfigurationError(f"status {status!r}: use 'open' or 'closed'")
        if limit is not None and limit < 1:
            raise ConfigurationError(f"limit {limit}: must be at least 1, or None for all")
        if status == "open":
            return await self._open_orders()
        symbols = await self.load_symbols()
        closed = parse.parse_orders(await self._closed_pages(limit), symbols)
        for update in closed:
            self.open_orders.apply(update, None)
        return closed

    async def _open_orders(self) -> list[OrderUpdate]:
        symbols = await self.load_symbols()
        since = self.clock.monotonic()
        result: OpenOrdersResult = await self.request("OpenOrders")
        opened = parse.parse_orders(_orders(result, "open", "OpenOrders"), symbols)
        self.open_orders.reconcile(((u, symbols.resolve(u.symbol).altname) for u in opened), since)
        return opened

    async def reconcile_open_orders(self) -> int:
        """Make ``open_orders`` what Kraken's OpenOrders lists; returns how many it holds."""
        await self._open_orders()
        return len(self.open_orders)

    async def _closed_pages(self, limit: int | None) -> OrderMap:
        # Pages are read at ofs 0, 50, 100...; an order closing meanwhile shifts the list by
        # one, so the next page repeats a txid already seen: keep the first (newest) copy.
        rows: OrderMap = {}
        ofs = 0
        while True:
            result: ClosedOrdersResult = await self.request("ClosedOrders", ofs=ofs or None)
            page = _orders(result, "closed", "ClosedOrders")
            fresh = {txid: raw for txid, raw in page.items() if txid not in rows}
            rows.update(fresh)
            ofs += _PAGE
            total = _count(result)  # None: no count sent, so only a short page ends it
            full = limit is not None and len(rows) >= limit
            if full or not fresh or len(page) < _PAGE or (total is not None and ofs >= total):
                return dict(list(rows.items())[:limit])

    async def find_order(self, client_order_id: str) -> OrderUpdate | None:
        """The order with this ``cl_ord_id``: open orders first, then closed; None if neither."""
        symbols = await self.load_symbols()
        for method, key in (("OpenOrders", "open"), ("ClosedOrders", "closed")):
            result = await self.request(method, cl_ord_id=client_order_id)
            for order in parse.parse_orders(_orders(result, key, method), symbols):
                if order.client_order_id == client_order_id:
                    known = order.symbol in symbols
                    pair = symbols.resolve(order.symbol).altname if known else None
                    self.open_orders.apply(order, pair)
                    return order
        return None

    async def get_fills(self, since: datetime | None = None) -> list[Fill]:
        """Every own trade at or after ``since`` (the whole history without it), oldest first.

        TradesHistory answers 50 trades a page, newest first, with ``count`` (how many match
        ``start``); the pages are read at ``ofs`` 0, 50, 100... with ``start`` fixed until
        ``count`` is reached, so nothing is cut off however long the history (the end-of-session
        summary and the runtime's deep fetch of owed fills need all of it). Each page is one
        counted call (2 points on Kraken's REST counter), paced by the adapter's rate limiter:
        2,000 trades are 40 calls, a few minutes on the starter tier once its headroom is
        spent. A trade made meanwhile shifts the list by one: the next page
        repeats a trade already read (kept once) and none is skipped.
        """
        symbols = await self.load_symbols()
        start = None if since is None else since.timestamp() - 1e-6
        fills: dict[str, Fill] = {}
        ofs = 0
        while True:
            result = await self.get_trades_history(start=start, ofs=ofs or None)
            trades = cast(TradeMap, _field(result, "trades", "TradesHistory"))
            fresh = sum(tid not in fills for tid in trades)
            for tid, raw in trades.items():
                cloid = self.open_orders.client_id_of(str(raw.get("ordertxid")))
                fills[tid] = parse.parse_fill(tid, raw, symbols, cloid)
            ofs += _PAGE
            total = _count(result)
            # Without a count only a short page (or, against a server repeating itself, a page
            # with nothing new) can end the paging.
            if len(trades) < _PAGE or (ofs >= total if total is not None else not fresh):
                break
        return sorted(fills.values(), key=lambda f: f.timestamp)

    # ----------------------------------------------------------------- market data
    async def fetch_candles(
        self, symbol: str, interval_minutes: int, since: datetime | None = None
    ) -> list[Candle]:
        """Committed candles with open time >= ``since``, oldest first, paging on ``last``."""
        if interval_minutes not in OHLC_INTERVALS:
            raise ConfigurationError(f"interval {interval_minutes}: one of {OHLC_INTERVALS}")
        info = (await self.load_symbols()).resolve(symbol)
        cursor = None if since is None else int(since.timestamp()) - 1
        out: dict[datetime, Candle] = {}
        for _ in range(_MAX_PAGES):
            result = await self.get_ohlc(info.key, interval_minutes, cursor)
            rows: Any = next((v for k, v in result.items() if k != "last"), [])
            page = parse.parse_candles(rows, info.instrument.symbol, interval_minutes)
            new = [c for c in page if c.timestamp not in out]
            out.update((c.timestamp, c) for c in page)
            last = result.get("last")
            if not new or not isinstance(last, int) or (cursor is not None and last <= cursor):
                break
            cursor = last
        floor = since or datetime.fromtimestamp(0, UTC)
        return [c for ts, c in sorted(out.items()) if ts >= floor]

    async def fetch_trades(self, symbol: str, since: datetime | None = None) -> list[PublicTrade]:
        """One page (up to 1000) of public trades at or after ``since``, oldest first.

        A ``TradeSource`` (``src.core.market_data``): the store pages by calling again from the
        newest trade it kept. Kraken's cursor is exclusive, so the call asks from 1 ns before.
        """
        info = (await self.load_symbols()).resolve(symbol)
        cursor = None if since is None else parse.nanoseconds(since) - 1
        result = await self.get_recent_trades(info.key, since=cursor, count=_TRADES_PAGE)
        rows: Any = next((v for k, v in result.items() if k != "last"), [])
        return [parse.parse_public_trade(row, info.instrument.symbol) for row in rows]


def _field(result: Any, key: str, method: str) -> dict[str, Any]:
    """``result[key]`` as an object (the row maps may be absent: then ``{}``); else raise."""
    value = result.get(key) if isinstance(result, dict) else None
    if value is None and isinstance(result, dict) and key in ("open", "closed", "trades"):
        value = {}
    if not isinstance(value, dict):
        raise MalformedResponseError(f"{method} reply lacks {key!r}", endpoint=method)
    return value


def _orders(result: Any, key: str, method: str) -> OrderMap:
    """The ``open``/``closed`` order map of an OpenOrders/ClosedOrders reply, checked."""
    return cast(OrderMap, _field(result, key, method))


def _count(result: Any) -> int | None:
    """A paging reply's ``count`` (total matching rows), or None when absent or not a number."""
    try:
        return int(result["count"])
    except (KeyError, TypeError, ValueError):
        return None

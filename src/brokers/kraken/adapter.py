"""KrakenAdapter: the user's guide API and the ExecutionEngine protocol over Kraken spot REST."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from types import TracebackType
from typing import Any, Self

from src.brokers.kraken import parse
from src.brokers.kraken.constants import OHLC_INTERVALS
from src.brokers.kraken.errors import InvalidRequestError
from src.brokers.kraken.fills import FillSource, PollingFillSource
from src.brokers.kraken.rest import KrakenRestClient
from src.brokers.kraken.symbols import SymbolMap
from src.brokers.kraken.trading import OrderDesk
from src.core.errors import ConfigurationError, PermissionDeniedError, UnknownSymbolError
from src.core.execution import AccountBalances, Fill, Order, OrderAck, OrderUpdate, Position
from src.core.instruments import Instrument
from src.core.market_data import Candle

_MAX_PAGES = 40  # 50 rows each: 2,000 trades or closed orders per call at most


class KrakenAdapter(KrakenRestClient):
    """Kraken spot broker: raw endpoints (inherited) plus typed account and order methods.

    Use as ``async with KrakenAdapter(api_key=..., api_secret=...) as adapter:``. Symbols
    are loaded from AssetPairs on first need; "BTC/USD", "XBTUSD" and "XXBTZUSD" all work.
    """

    _symbols: SymbolMap | None = None
    fill_poll_interval: float = 2.0
    """Seconds between TradesHistory polls while ``stream_fills`` runs."""

    @cached_property
    def _desk(self) -> OrderDesk:
        return OrderDesk(self._transport, self.load_symbols, self.find_order)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ----------------------------------------------------------------- symbols
    async def load_symbols(self, *, refresh: bool = False) -> SymbolMap:
        """The pair map from AssetPairs (fetched once, or again with ``refresh``)."""
        if self._symbols is None or refresh:
            self._symbols = SymbolMap(await self.get_asset_pairs())
        return self._symbols

    async def get_instrument(self, symbol: str) -> Instrument:
        """Instrument for any name of a pair; refreshes AssetPairs once for a new listing.

        Raises:
            UnknownSymbolError: no such pair; the error names close matches.
        """
        try:
            return (await self.load_symbols()).instrument(symbol)
        except UnknownSymbolError:
            return (await self.load_symbols(refresh=True)).instrument(symbol)

    # ----------------------------------------------------------------- account
    async def get_account(self) -> AccountBalances:
        """Balances by normalized code ("BTC", "USD"); venue codes ("XXBT", "ZUSD") work too.

        Uses BalanceEx (with amounts on hold) when the key may, else Balance.
        """
        symbols = await self.load_symbols()
        try:
            return parse.parse_balances(await self.get_balance_ex(), symbols, extended=True)
        except (PermissionDeniedError, InvalidRequestError):
            return parse.parse_balances(await self.get_balance(), symbols)

    async def get_positions(self) -> list[Position]:
        """Open margin positions, one net Position per pair ([] for spot-only accounts)."""
        symbols = await self.load_symbols()
        return parse.parse_positions(await self.get_open_positions(), symbols)

    async def get_orders(self, status: str = "open") -> list[OrderUpdate]:
        """Open or closed orders (closed: the newest page of 50) as OrderUpdates.

        Each item also answers Kraken's keys: ``order.get('descr', {}).get('order')``.
        """
        if status not in ("open", "closed"):
            raise ConfigurationError(f"status {status!r}: use 'open' or 'closed'")
        method = "OpenOrders" if status == "open" else "ClosedOrders"
        result = await self.request(method)
        symbols = await self.load_symbols()
        return parse.parse_orders(_field(result, status, method), symbols)

    async def find_order(self, client_order_id: str) -> OrderUpdate | None:
        """The order with this ``cl_ord_id``: open orders first, then closed; None if neither."""
        symbols = await self.load_symbols()
        for method, key in (("OpenOrders", "open"), ("ClosedOrders", "closed")):
            result = await self.request(method, cl_ord_id=client_order_id)
            for order in parse.parse_orders(_field(result, key, method), symbols):
                if order.client_order_id == client_order_id:
                    return order
        return None

    async def get_fills(self, since: datetime | None = None) -> list[Fill]:
        """Own trades at or after ``since`` (all pages), oldest first."""
        symbols = await self.load_symbols()
        start = None if since is None else since.timestamp() - 1e-6
        cloids = {oid: t.client_order_id for oid, t in self._desk.tracked.items()}
        fills: dict[str, Fill] = {}
        for page in range(_MAX_PAGES):
            result = await self.get_trades_history(start=start, ofs=page * 50 or None)
            trades = _field(result, "trades", "TradesHistory")
            for tid, raw in trades.items():
                cloid = cloids.get(str(raw.get("ordertxid")))
                fills[tid] = parse.parse_fill(tid, raw, symbols, cloid)
            if len(trades) < 50 or len(fills) >= int(result.get("count", 0) or 0):
                break
        return sorted(fills.values(), key=lambda f: f.timestamp)

    def _fill_source(self) -> FillSource:
        # The one line the WebSocket executions feed will replace.
        return PollingFillSource(self.get_fills, self.clock, interval=self.fill_poll_interval)

    async def stream_fills(self) -> AsyncIterator[Fill]:
        """Yield the account's new fills as they happen, each once (polls for now)."""
        async for fill in self._fill_source().fills():
            yield fill

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

    # ----------------------------------------------------------------- orders
    async def submit_orders(
        self, orders: Sequence[Order], *, raise_on_reject: bool = True
    ) -> list[OrderAck]:
        """Validate every order, then send each once; one OrderAck per order.

        Prices are rounded to the tick (never more aggressive), volumes down to the lot, and
        orders under the pair's minimums refused before anything is sent. Each order carries
        ``cl_ord_id = order.client_order_id``; a lost reply is resolved by looking it up.

        Raises:
            BrokerError: the first rejection's mapped error (``error.acks`` = all acks), unless
                ``raise_on_reject`` is False.
        """
        return await self._desk.submit(orders, raise_on_reject=raise_on_reject)

    async def add_order_batch(
        self, orders: Sequence[Order], *, raise_on_reject: bool = True
    ) -> list[OrderAck]:
        """AddOrderBatch: 2–15 orders on one pair in one request; one ack per order."""
        return await self._desk.add_batch(orders, raise_on_reject=raise_on_reject)

    async def cancel_order(
        self, order_id: str | None = None, *, client_order_id: str | None = None
    ) -> Any:
        """Cancel one order by txid or client order id; returns ``{"count": 1, ...}``."""
        return await self._desk.cancel(order_id, client_order_id)

    async def cancel_all(self) -> int:
        """Cancel every open order; returns the count."""
        return await self._desk.cancel_all()

    async def amend_order(
        self,
        order_id: str | None = None,
        *,
        client_order_id: str | None = None,
        quantity: Decimal | float | str | None = None,
        limit_price: Decimal | float | str | None = None,
        trigger_price: Decimal | float | str | None = None,
        post_only: bool | None = None,
        symbol: str | None = None,
    ) -> dict[str, Any]:
        """Amend an order in place (keeps ids and, where possible, queue priority)."""
        return await self._desk.amend(
            order_id,
            client_order_id=client_order_id,
            quantity=quantity,
            limit_price=limit_price,
            trigger_price=trigger_price,
            post_only=post_only,
            symbol=symbol,
        )

    async def edit_order(
        self,
        order_id: str,
        symbol: str,
        *,
        quantity: Decimal | float | str | None = None,
        limit_price: Decimal | float | str | None = None,
        limit_price2: Decimal | float | str | None = None,
    ) -> dict[str, Any]:
        """Legacy EditOrder (cancel + replace with a new txid)."""
        return await self._desk.edit(
            order_id, symbol, quantity=quantity, limit_price=limit_price, limit_price2=limit_price2
        )


def _field(result: Any, key: str, method: str) -> dict[str, Any]:
    from src.core.errors import MalformedResponseError

    value = result.get(key) if isinstance(result, dict) else None
    if value is None and isinstance(result, dict) and key in ("open", "closed", "trades"):
        value = {}
    if not isinstance(value, dict):
        raise MalformedResponseError(f"{method} reply lacks {key!r}", endpoint=method)
    return value

"""AlpacaAdapter: the ``ExecutionEngine`` for Alpaca's Trading API v2 (stocks and crypto).

Paper trading by default; live only with ``paper=False``. Usable with or without
``async with`` (the HTTP client is created on first use). Its parts are the other modules
of ``src.brokers.alpaca``; ``src.brokers.alpaca_adapter`` re-exports it (the guide's path).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

import httpx
import structlog

from src.brokers.alpaca import fills as alpaca_fills
from src.brokers.alpaca import listing, parse
from src.brokers.alpaca import orders as wire_orders
from src.brokers.alpaca.config import AlpacaConfig, AlpacaTimeInForce
from src.brokers.alpaca.http import AlpacaHttpClient
from src.brokers.alpaca.limiter import default_limiter
from src.brokers.alpaca.stream import TradeUpdatesStream
from src.brokers.alpaca.submit import ExtendedHoursOption, Submitter, TifOption
from src.core.clock import Clock, SystemClock
from src.core.decimals import to_decimal
from src.core.errors import (
    BrokerError,
    MalformedResponseError,
    UnknownOrderError,
    UnknownSymbolError,
)
from src.core.execution import (
    AccountBalances,
    Fill,
    Order,
    OrderAck,
    OrderUpdate,
    Position,
    ensure_utc,
)
from src.core.instruments import Instrument
from src.core.order_outcome import LostReplyPolicy, OutcomeResolver

log = structlog.get_logger(__name__)

_ORDER_LIST_STATUS = {"open": "open", "closed": "closed", "all": "all"}


class AlpacaAdapter:
    """Trade US equities ("AAPL") and crypto ("BTC/USD") on Alpaca through the core types.

    Args:
        api_key: Alpaca key id (``ALPACA_API_KEY``); kept as ``SecretStr``.
        api_secret: Alpaca secret key (``ALPACA_API_SECRET``); kept as ``SecretStr``.
        paper: ``True`` (default) uses the paper endpoint; pass ``False`` for live money.
        base_url: Trading API root; else ``ALPACA_BASE_URL``; else paper/live by ``paper``.
        stream_url: ``trade_updates`` URL; else ``ALPACA_STREAM_URL``; else derived from base_url.
        data_url: market data root (kept for callers; unused by the adapter).
        timeout: HTTP timeout in seconds.
        clock: time source for retry and reconnect backoff.
        limiter: request limiter; defaults to ``AdaptiveRateLimiter(200, 60.0)``.
        unknown_outcome_lookups: how many times to ask for an order whose submit reply was lost.
        max_read_retries: extra attempts for a read after a 429, 5xx or transport error.
        stream_backoff: first reconnect delay of the fill stream, in seconds.
        transport: httpx transport override (tests).
    """

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        paper: bool = True,
        *,
        base_url: str | None = None,
        stream_url: str | None = None,
        data_url: str | None = None,
        timeout: float = 10.0,
        clock: Clock | None = None,
        limiter: AbstractAsyncContextManager[Any] | None = None,
        unknown_outcome_lookups: int = 3,
        max_read_retries: int = 3,
        stream_backoff: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = AlpacaConfig.resolve(
            api_key,
            api_secret,
            paper=paper,
            base_url=base_url,
            stream_url=stream_url,
            data_url=data_url,
            timeout=timeout,
        )
        self._clock = clock or SystemClock()
        self._limiter = limiter or default_limiter(clock=self._clock)
        self._transport = transport
        self._http: AlpacaHttpClient | None = None
        self._instruments: dict[str, Instrument] = {}
        self._resolver = OutcomeResolver(
            self.find_order, self._clock, LostReplyPolicy(lookups=max(1, unknown_outcome_lookups))
        )
        self._submitter = Submitter(lambda: self.http, self.get_instrument, self._resolver)
        self._stream_backoff = stream_backoff
        self._max_read_retries = max_read_retries

    def __repr__(self) -> str:
        mode = "paper" if self.config.paper else "LIVE"
        return f"AlpacaAdapter({mode}, base_url={self.config.base_url!r})"

    @property
    def http(self) -> AlpacaHttpClient:
        """The raw endpoint client, created on first use."""
        if self._http is None:
            self._http = AlpacaHttpClient(
                self.config,
                self._limiter,
                clock=self._clock,
                transport=self._transport,
                max_read_retries=self._max_read_retries,
            )
        return self._http

    async def __aenter__(self) -> Self:
        _ = self.http
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP connection pool (a later call opens a new one)."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- account -------------------------------------------------------------------------

    async def get_account(self) -> AccountBalances:
        """USD cash (hold = cash committed to open buys) plus each position's base asset."""
        account = await self.http.get_account()
        if not isinstance(account, dict):
            raise MalformedResponseError("Alpaca account reply is not an object")
        return parse.account_balances(account, await self.get_positions())

    async def get_account_info(self) -> dict[str, Any]:
        """Alpaca's raw account object (equity, buying_power, pattern_day_trader, ...)."""
        account = await self.http.get_account()
        if not isinstance(account, dict):
            raise MalformedResponseError("Alpaca account reply is not an object")
        return account

    async def get_positions(self) -> list[Position]:
        """Open positions; crypto symbols normalized to "BTC/USD"."""
        return [parse.position(p) for p in _list(await self.http.list_positions(), "positions")]

    async def get_clock(self) -> dict[str, Any]:
        """``/v2/clock``: ``is_open``, ``next_open``, ``next_close``."""
        clock = await self.http.get_clock()
        if not isinstance(clock, dict) or "is_open" not in clock:
            raise MalformedResponseError("Alpaca clock reply has no 'is_open'")
        return clock

    # -- orders --------------------------------------------------------------------------

    async def get_orders(
        self, status: str = "open", *, after: datetime | None = None
    ) -> list[OrderUpdate]:
        """Orders by status: ``"open"``, ``"closed"`` or ``"all"``, newest first, every page.

        Alpaca returns at most 500 orders a request; the pages are followed by submission time
        (``listing``). ``after`` keeps only orders submitted after it (a long closed history
        costs one request per 500 orders). An open notional order's ``quantity`` is what has
        filled so far; its dollar amount is ``update.notional`` (``AlpacaOrderUpdate``).
        """
        wire_status = _ORDER_LIST_STATUS.get(status)
        if wire_status is None:
            raise ValueError(f"status: expected 'open', 'closed' or 'all', got {status!r}")
        since = None if after is None else ensure_utc(after, "after")
        payload = await listing.all_orders(self.http, wire_status, after=since)
        return [wire_orders.order_update(o) for o in payload]

    async def get_order(self, order_id: str) -> OrderUpdate:
        """One order by Alpaca's order id."""
        return wire_orders.order_update(_obj(await self.http.get_order(order_id), "order"))

    async def find_order(self, client_order_id: str) -> OrderUpdate | None:
        """The order with this client order id, or ``None`` if Alpaca has none."""
        try:
            payload = await self.http.get_order_by_client_id(client_order_id)
        except UnknownOrderError:
            return None
        return wire_orders.order_update(_obj(payload, "order"))

    async def replace_order(
        self,
        order_id: str,
        *,
        quantity: Any = None,
        limit_price: Any = None,
        stop_price: Any = None,
        trail: Any = None,
        time_in_force: AlpacaTimeInForce | str | None = None,
        client_order_id: str | None = None,
    ) -> OrderUpdate:
        """``PATCH /v2/orders/{id}``: Alpaca replaces the order with a new one, returned here.

        The order is read first, so the new values get the same treatment as on submit:
        prices rounded onto Alpaca's grid (two decimals from $1.00, four below; never more
        aggressive), the quantity down to the lot, and Alpaca's rules checked.

        Raises:
            InvalidOrderError, OrderMinimumError: before the replacement is sent.
        """
        current = _obj(await self.http.get_order(order_id), "order")
        symbol = parse.normalize_symbol(
            str(parse.field(current, "symbol", "order")), current.get("asset_class")
        )
        body = wire_orders.replace_body(
            current,
            await self.get_instrument(symbol),
            quantity=_opt_decimal(quantity, "quantity"),
            limit_price=_opt_decimal(limit_price, "limit_price"),
            stop_price=_opt_decimal(stop_price, "stop_price"),
            trail=_opt_decimal(trail, "trail"),
            tif=time_in_force,
            client_order_id=client_order_id,
        )
        payload = await self.http.replace_order(order_id, body)
        return wire_orders.order_update(_obj(payload, "order"))

    async def submit_orders(
        self,
        orders: Sequence[Order],
        *,
        time_in_force: TifOption = None,
        extended_hours: ExtendedHoursOption = None,
    ) -> list[OrderAck]:
        """Send each order once; one ack per order, in order, whatever befalls another.

        Args:
            orders: core orders; each carries its ``client_order_id`` to Alpaca.
            time_in_force: an Alpaca value for every order in the call, or a mapping
                ``{client_order_id: value}`` (e.g. ``"opg"`` to trade the opening auction).
            extended_hours: ``True`` (or ``{client_order_id: True}``) lets an equity limit
                ``day`` order trade pre-market and after hours; refused for anything else.

        Returns:
            One ack per order. An order that breaks Alpaca's rules (or whose symbol is unknown)
            is a ``REJECTED`` ack saying why, and is never sent; a refusal by Alpaca
            (insufficient buying power, invalid order, rate limit) is ``REJECTED`` with
            Alpaca's reason; either way the other orders go on. A lost reply is resolved by
            looking the client order id up, and is ``UNKNOWN`` only if Alpaca cannot say.
        """
        return await self._submitter.submit(orders, time_in_force, extended_hours)

    async def cancel_order(self, order_id: str) -> dict[str, Any]:
        """Request cancellation; returns ``{"count": 1, "order_id": ...}``.

        Raises:
            UnknownOrderError: no such order, or it is no longer open.
        """
        await self.http.cancel_order(order_id)
        return {"count": 1, "order_id": order_id}

    async def cancel_all(self) -> int:
        """Cancel every open order; returns how many cancellations Alpaca accepted."""
        results = await self.http.cancel_all_orders()
        return sum(1 for r in _list(results or [], "cancel results") if r.get("status") == 200)

    # -- instruments and fills ---------------------------------------------------------------

    async def get_instrument(self, symbol: str) -> Instrument:
        """Tick, lot and minimums for "AAPL" or "BTC/USD" (cached per adapter)."""
        cached = self._instruments.get(symbol)
        if cached is not None:
            return cached
        if wire_orders.is_crypto(symbol):
            assets = _list(await self.http.list_assets("crypto"), "assets")
            matches = [a for a in assets if a.get("symbol") == symbol]
            if not matches:
                near = [
                    str(a.get("symbol"))
                    for a in assets
                    if symbol.split("/")[0] in str(a.get("symbol"))
                ]
                raise UnknownSymbolError(symbol, suggestions=near[:5])
            asset = matches[0]
        else:
            try:
                asset = _obj(await self.http.get_asset(symbol), "asset")
            except BrokerError as exc:
                if "not found" in exc.message:
                    raise UnknownSymbolError(symbol, endpoint=exc.endpoint) from None
                raise
        result = parse.instrument(asset)
        self._instruments[symbol] = result
        return result

    async def get_fills(self, since: datetime | None = None) -> list[Fill]:
        """Executions from the account's ``FILL`` activities, oldest first, all pages."""
        after = None if since is None else ensure_utc(since, "since")
        activities = await alpaca_fills.fill_activities(self.http, after)
        return [parse.fill_from_activity(a) for a in activities]

    async def stream_fills(self) -> AsyncIterator[Fill]:
        """Fills from ``trade_updates``, each exactly once, across reconnects.

        After a reconnect, fills that happened while disconnected are fetched from the account
        activities. Duplicates are recognised by (order id, cumulative filled quantity), which
        Alpaca reports both on stream events and on activities.
        """
        stream = TradeUpdatesStream(
            self.config.stream_url,
            self.config.api_key,
            self.config.api_secret,
            clock=self._clock,
            initial_backoff=self._stream_backoff,
        )
        async for fill in alpaca_fills.stream_fills(self.http, stream, self._clock):
            yield fill


def _opt_decimal(value: Any, name: str) -> Decimal | None:
    return None if value is None else to_decimal(value, field=name)


def _obj(payload: Any, what: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise MalformedResponseError(
            f"Alpaca {what} reply is not an object", raw=str(payload)[:200]
        )
    return payload


def _list(payload: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(payload, list) or not all(isinstance(i, dict) for i in payload):
        raise MalformedResponseError(f"Alpaca {what} reply is not a list", raw=str(payload)[:200])
    return payload


__all__ = ["AlpacaAdapter", "AlpacaTimeInForce"]

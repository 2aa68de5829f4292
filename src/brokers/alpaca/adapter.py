"""AlpacaAdapter: the ``ExecutionEngine`` for Alpaca's Trading API v2 (stocks and crypto).

Paper trading by default; live only with ``paper=False``. Usable with or without
``async with`` (the HTTP client is created on first use). Its parts are the other modules
of ``src.brokers.alpaca``; ``src.brokers.alpaca_adapter`` re-exports it (the guide's path).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import httpx
import structlog

from src.brokers.alpaca import fills as alpaca_fills
from src.brokers.alpaca import orders as wire_orders
from src.brokers.alpaca import parse
from src.brokers.alpaca.config import AlpacaConfig, AlpacaTimeInForce
from src.brokers.alpaca.http import AlpacaHttpClient
from src.brokers.alpaca.limiter import default_limiter
from src.brokers.alpaca.stream import TradeUpdatesStream
from src.core.clock import Clock, SystemClock
from src.core.decimals import to_decimal, to_plain_string
from src.core.errors import (
    BrokerError,
    MalformedResponseError,
    NetworkError,
    OrderRejectedError,
    ServiceUnavailableError,
    UnknownOrderError,
    UnknownSymbolError,
)
from src.core.execution import (
    AccountBalances,
    Fill,
    Order,
    OrderAck,
    OrderStatus,
    OrderUpdate,
    Position,
    ensure_utc,
)
from src.core.instruments import Instrument
from src.core.order_outcome import LostReplyPolicy, OutcomeResolver

log = structlog.get_logger(__name__)

TifOverride = AlpacaTimeInForce | str | Mapping[str, AlpacaTimeInForce | str] | None
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

    async def get_orders(self, status: str = "open") -> list[OrderUpdate]:
        """Orders by status: ``"open"``, ``"closed"`` or ``"all"`` (newest first, up to 500)."""
        wire_status = _ORDER_LIST_STATUS.get(status)
        if wire_status is None:
            raise ValueError(f"status: expected 'open', 'closed' or 'all', got {status!r}")
        payload = await self.http.list_orders(wire_status)
        return [wire_orders.order_update(o) for o in _list(payload, "orders")]

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
        """``PATCH /v2/orders/{id}``: Alpaca replaces the order with a new one, returned here."""
        body: dict[str, Any] = {}
        for key, value in (
            ("qty", quantity),
            ("limit_price", limit_price),
            ("stop_price", stop_price),
            ("trail", trail),
        ):
            if value is not None:
                body[key] = to_plain_string(to_decimal(value, field=key))
        if time_in_force is not None:
            body["time_in_force"] = AlpacaTimeInForce(str(time_in_force).lower()).value
        if client_order_id is not None:
            body["client_order_id"] = client_order_id
        payload = await self.http.replace_order(order_id, body)
        return wire_orders.order_update(_obj(payload, "order"))

    async def submit_orders(
        self, orders: Sequence[Order], *, time_in_force: TifOverride = None
    ) -> list[OrderAck]:
        """Validate every order, then send them one by one.

        Args:
            orders: core orders; each carries its ``client_order_id`` to Alpaca.
            time_in_force: an Alpaca value for every order in the call, or a mapping
                ``{client_order_id: value}`` (e.g. ``"opg"`` to trade the opening auction).

        Returns:
            One ack per order. A venue refusal (insufficient buying power, invalid order) is an
            ack with status ``REJECTED`` and the reason; a lost reply is resolved by looking the
            client order id up, and is ``UNKNOWN`` only if Alpaca still cannot say.

        Raises:
            InvalidOrderError, OrderMinimumError, UnknownSymbolError: before anything is sent.
        """
        bodies = []
        for order in orders:  # validate all first: a bad order loses nothing already sent
            tif = (
                time_in_force.get(order.client_order_id)
                if isinstance(time_in_force, Mapping)
                else time_in_force
            )
            instrument = await self.get_instrument(order.symbol)
            bodies.append(wire_orders.build_order_body(order, instrument, tif))
        return [await self._submit_one(o, b) for o, b in zip(orders, bodies, strict=True)]

    async def _submit_one(self, order: Order, body: dict[str, Any]) -> OrderAck:
        try:
            payload = await self.http.submit_order(body)
            return _ack(order, wire_orders.order_update(_obj(payload, "order")))
        except OrderRejectedError as exc:
            return OrderAck(
                client_order_id=order.client_order_id,
                order_id=None,
                symbol=order.symbol,
                status=OrderStatus.REJECTED,
                message=str(exc),
                raw={"error": exc.raw or exc.message},
            )
        except (NetworkError, ServiceUnavailableError, MalformedResponseError) as exc:
            if exc.outcome_known:
                raise
            log.warning("alpaca.submit.outcome_unknown", client_order_id=order.client_order_id)
            return await self._resolve(order, exc)

    async def _resolve(self, order: Order, cause: BrokerError) -> OrderAck:
        """Ask Alpaca what became of an order whose reply was lost; never re-send it.

        The one lost-reply policy (``src.core.order_outcome``): found by client order id, or
        UNKNOWN (never rejected after a miss).
        """
        resolution = await self._resolver.resolve(order.client_order_id, cause)
        if resolution.found is not None:
            return _ack(order, resolution.found)
        return resolution.ack(order, order.symbol)

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


def _ack(order: Order, update: OrderUpdate) -> OrderAck:
    return OrderAck(
        client_order_id=update.client_order_id or order.client_order_id,
        order_id=update.order_id,
        symbol=order.symbol,
        status=update.status,
        raw=update.raw,
    )


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

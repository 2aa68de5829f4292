"""KrakenAdapter: the user's guide API and the ExecutionEngine protocol over Kraken spot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from functools import cached_property
from types import TracebackType
from typing import Any, Self, cast

import httpx

from src.brokers.kraken.errors import InvalidRequestError
from src.brokers.kraken.limits.gate import RequestGate
from src.brokers.kraken.orders.amend_ack import amend_and_report
from src.brokers.kraken.orders.changes import OrderChanges
from src.brokers.kraken.orders.desk import OrderDesk
from src.brokers.kraken.orders.manager import KrakenOrderManager
from src.brokers.kraken.orders.registry import OpenOrderRegistry
from src.brokers.kraken.orders.routing import WsOrderRoute, check_order_transport
from src.brokers.kraken.queries import AccountQueries
from src.brokers.kraken.rest import parse
from src.brokers.kraken.rest.client import KrakenRestClient
from src.brokers.kraken.rest.replies import CancelOrderResult
from src.brokers.kraken.settings import KrakenSettings
from src.brokers.kraken.streams.fill_polling import PollingFillSource
from src.brokers.kraken.streams.fill_stream import WsFillSource
from src.brokers.kraken.streams.order_updates import order_update_source
from src.brokers.kraken.symbols import SymbolMap, resolve_refreshing
from src.brokers.kraken.ws.private import KrakenPrivateStream, token_text
from src.brokers.kraken.ws.reports import FINAL_ORDER_STATUSES, order_update
from src.brokers.kraken.ws.token import WsTokenCache
from src.core.clock import Clock
from src.core.errors import ConfigurationError, PermissionDeniedError
from src.core.execution import AccountBalances, Fill, Order, OrderAck, OrderUpdate, Position
from src.core.instruments import Instrument
from src.core.order_amend import AmendAck
from src.core.order_outcome import OutcomeResolver
from src.utils.retry import RetryPolicy

_MAX_PAGES = 40  # 50 rows each: 2,000 trades per call at most
_PAGE = 50  # Kraken's page size for ClosedOrders and TradesHistory


class KrakenAdapter(AccountQueries):
    """Kraken spot broker: typed account and order methods over a raw ``KrakenRestClient``.

    The raw client is ``adapter.rest`` (one method per Kraken endpoint, Kraken's names); the
    guide's endpoint methods (``get_ticker``, ``get_server_time``, ``_request``...) forward to
    it, so there is one transport, one signer and one AssetPairs reader.

    Use as ``async with KrakenAdapter(api_key=..., api_secret=...) as adapter:``. Symbols
    are loaded from AssetPairs on first need; "BTC/USD", "XBTUSD" and "XXBTZUSD" all work.

    Args:
        order_transport: ``"auto"`` (default): orders go over the private WebSocket while it
            is connected (``connect_websocket()`` or a running ``stream_fills()``), else
            REST; ``"rest"``: always REST; ``"websocket"``: always WebSocket, connecting
            on the first order call if needed.
        ws_options: keyword options for the private WS stream (``idle_timeout``,
            ``request_timeout``, ``backoff``, ``clock``...).
        The other arguments are :class:`KrakenRestClient`'s; ``gate=None`` means
        ``KrakenRateLimits.from_env(clock=clock)``, ``gate=NullGate()`` opts out.
    """

    _symbols: SymbolMap | None = None
    fill_poll_interval: float = 2.0
    """Seconds between TradesHistory polls when ``stream_fills`` has to poll."""

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = 10.0,
        nonce_scale: int | None = None,
        gate: RequestGate | None = None,
        ws_url: str | None = None,
        ws_auth_url: str | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        client: httpx.AsyncClient | None = None,
        order_transport: str = "auto",
        ws_options: dict[str, Any] | None = None,
        settings: KrakenSettings | None = None,
    ) -> None:
        self.order_transport = check_order_transport(order_transport)
        self.rest = KrakenRestClient(
            api_key,
            api_secret,
            base_url,
            timeout=timeout,
            nonce_scale=nonce_scale,
            gate=gate,
            ws_url=ws_url,
            ws_auth_url=ws_auth_url,
            retry=retry,
            clock=clock,
            client=client,
            settings=settings,
        )
        self.settings = self.rest.settings
        self.gate: RequestGate = self.rest.gate
        self.clock: Clock = self.rest.clock
        self.open_orders = OpenOrderRegistry(self.clock)
        """The one registry of this account's open orders (fed by acks, streams, reconcile)."""
        self.ws_options: dict[str, Any] = dict(ws_options or {})
        self._ws_orders: KrakenOrderManager | None = None
        self._fill_orders: list[KrakenOrderManager] = []
        self._ws_lock = asyncio.Lock()  # concurrent first orders open one connection, not two
        self.websocket_token = WsTokenCache(self._fresh_websocket_token)
        """The token every private connection of this adapter connects with (shared 60 s)."""

    @cached_property
    def _desk(self) -> OrderDesk:
        resolver = OutcomeResolver(self.find_order, self.clock, seen=self._seen_order)
        return OrderDesk(
            self.rest.transport,
            self.load_symbols,
            self.open_orders,
            resolver,
            self.reconcile_open_orders,
            self._order_route,
        )

    @cached_property
    def _changes(self) -> OrderChanges:
        return OrderChanges(self._desk)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the private WebSocket (if open) and the HTTP connection pool."""
        await self.close_websocket()
        for manager in list(self._fill_orders):
            await manager.stream.close()
        await self.rest.aclose()

    # ----------------------------------------------------------------- websocket
    async def connect_websocket(self) -> KrakenOrderManager:
        """Open the private WS v2 connection (executions, balances, trading); idempotent.

        While it is connected, orders go over it (``order_transport="auto"``). It reconnects
        by itself; ``close_websocket()`` or leaving the ``async with`` closes it.

        Raises:
            PermissionDeniedError: the key may not use WebSockets (nothing is opened).
            NetworkError: no connection could be made.
        """
        async with self._ws_lock:
            if self._ws_orders is None:
                await self.get_websockets_token()  # a key without the permission fails here
                manager = KrakenOrderManager(
                    self.private_stream(name="kraken-private/orders"), self.find_order
                )
                try:
                    await manager.stream.start()
                except BaseException:
                    await manager.stream.close()  # no half-open connection left reconnecting
                    raise
                self._ws_orders = manager
            return self._ws_orders

    async def close_websocket(self) -> None:
        """Close the connection opened by ``connect_websocket`` (orders go back to REST)."""
        manager, self._ws_orders = self._ws_orders, None
        if manager is not None:
            await manager.stream.close()

    @property
    def order_manager(self) -> KrakenOrderManager | None:
        """The connected WS order manager orders would use now, or None (REST)."""
        if self._ws_orders is not None and self._ws_orders.connection.connected:
            return self._ws_orders
        return next((m for m in self._fill_orders if m.connection.connected), None)

    @property
    def last_order_transport(self) -> str | None:
        """``"rest"`` or ``"websocket"``: how the most recent order call was sent."""
        return self._desk.last_transport

    async def _fresh_websocket_token(self) -> str:
        return token_text(await self.get_websockets_token())

    def private_stream(self, **options: Any) -> KrakenPrivateStream:
        """A new private WS v2 stream on this account whose order reports feed ``open_orders``."""
        stream = KrakenPrivateStream(
            self.ws_auth_url, self.websocket_token, **{**self.ws_options, **options}
        )
        stream.add_order_listener(self._on_stream_order)
        return stream

    def _on_stream_order(self, order_id: str, state: dict[str, Any]) -> None:
        status = state.get("order_status")
        if status in FINAL_ORDER_STATUSES:
            self.open_orders.close(order_id)
            return
        symbol = state.get("symbol")
        if order_id in self.open_orders or self._symbols is None or not isinstance(symbol, str):
            return
        update = order_update(state)
        if update is not None and symbol in self._symbols:
            self.open_orders.apply(update, self._symbols.resolve(symbol).altname)

    def _seen_order(self, client_order_id: str) -> OrderUpdate | None:
        """An order a connected private stream already reported, by client order id."""
        managers = [m for m in (self._ws_orders, *self._fill_orders) if m is not None]
        for manager in managers:
            order_id = manager.stream.order_id_for(client_order_id)
            state = None if order_id is None else manager.stream.order(order_id)
            update = None if state is None else order_update(state)
            if update is not None:
                return update
        return None

    async def _order_route(self) -> WsOrderRoute | None:
        if self.order_transport == "rest":
            return None
        manager = self.order_manager
        if manager is None and self.order_transport == "websocket":
            manager = self._ws_orders or await self.connect_websocket()
        return None if manager is None else WsOrderRoute(manager, self.gate)

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
        return (await resolve_refreshing(self.load_symbols, symbol)).instrument

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

    def _fill_source(self) -> WsFillSource:
        polling = PollingFillSource(self.get_fills, self.clock, interval=self.fill_poll_interval)
        return WsFillSource(
            self, stream=self.private_stream(name="kraken-private/fills"), fallback=polling
        )

    async def stream_fills(self) -> AsyncIterator[Fill]:
        """Yield the account's new fills as they happen, each once, until you stop.

        Fills come from the WS v2 ``executions`` channel; after a reconnect the gap is
        reconciled over REST (TradesHistory), and every fill is de-duplicated by id. A key
        without the WebSocket-token permission streams by polling TradesHistory instead.
        While the stream's connection is up, orders also go over it (``order_transport``).
        """
        source = self._fill_source()
        manager = KrakenOrderManager(source.stream, self.find_order)
        self._fill_orders.append(manager)
        try:
            async for fill in source.fills():
                yield fill
        finally:
            self._fill_orders.remove(manager)

    async def stream_order_updates(self) -> AsyncIterator[OrderUpdate]:
        """Yield each state change of the account's orders from now on, once, until you stop.

        WS v2 ``executions`` on its own connection, reconciled over REST after reconnects; a key
        without the WebSocket permission polls every ``fill_poll_interval`` s (order_updates).
        """
        source = order_update_source(self, self.fill_poll_interval, **self.ws_options)
        async for update in source.updates():
            yield update

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
    ) -> CancelOrderResult:
        """Cancel one order by txid or client order id; returns ``{"count": 1, ...}``."""
        return await self._changes.cancel(order_id, client_order_id)

    async def cancel_all(self) -> int:
        """Cancel every open order; returns the count."""
        return await self._changes.cancel_all()

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
        """Amend an order in place (keeps ids and, where possible, queue priority).

        Returns Kraken's reply, shaped as ``replies.AmendOrderResult`` (``{"amend_id": ...}``).
        """
        # The public return stays dict[str, Any]: callers hold it as one. cast is static only.
        result = await self._changes.amend(
            order_id,
            client_order_id=client_order_id,
            quantity=quantity,
            limit_price=limit_price,
            trigger_price=trigger_price,
            post_only=post_only,
            symbol=symbol,
        )
        return cast(dict[str, Any], result)

    async def amend_working_order(
        self,
        order_id: str,
        *,
        client_order_id: str | None = None,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
    ) -> AmendAck:
        """``OrderAmender`` (src.core.order_amend): ``amend_order``, then QueryOrders' report."""
        return await amend_and_report(
            self.amend_order, self.query_orders, self.load_symbols, self.open_orders, order_id,
            client_order_id=client_order_id, quantity=quantity, limit_price=limit_price,
        )  # fmt: skip

    async def edit_order(
        self,
        order_id: str,
        symbol: str,
        *,
        quantity: Decimal | float | str | None = None,
        limit_price: Decimal | float | str | None = None,
        limit_price2: Decimal | float | str | None = None,
    ) -> dict[str, Any]:
        """Legacy EditOrder (cancel + replace with a new txid), shaped as ``EditOrderResult``."""
        result = await self._changes.edit(
            order_id, symbol, quantity=quantity, limit_price=limit_price, limit_price2=limit_price2
        )
        return cast(dict[str, Any], result)

    async def cancel_all_orders_after(self, timeout: int) -> dict[str, Any]:
        """Dead man's switch: cancel everything unless called again within ``timeout`` s (0 off).

        Goes over the WebSocket when orders do (see ``order_transport``), else REST, where
        it counts on the REST call counter as Kraken counts it. The reply is shaped as
        ``replies.CancelAllOrdersAfterResult``.

        Raises:
            ConfigurationError: a timeout outside 0..86399 seconds.
        """
        if not 0 <= int(timeout) < 86400:
            raise ConfigurationError(f"timeout {timeout}: must be 0 (disable) to 86399 seconds")
        return cast(dict[str, Any], await self._changes.cancel_all_after(int(timeout)))

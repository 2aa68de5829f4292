"""``KrakenFuturesAdapter``: the ExecutionEngine protocol over Kraken Futures REST v3 and WS v1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

import httpx

from src.brokers.kraken_futures.limits.budgets import FuturesGate, FuturesRateLimits
from src.brokers.kraken_futures.market import FuturesMarketQueries
from src.brokers.kraken_futures.orders.amend import amend_in_place
from src.brokers.kraken_futures.orders.desk import FuturesOrderDesk
from src.brokers.kraken_futures.orders.fees import FeeBook
from src.brokers.kraken_futures.orders.memory import OrderMemory
from src.brokers.kraken_futures.orders.wire import update_from_open_order, update_from_status_row
from src.brokers.kraken_futures.rest import parse
from src.brokers.kraken_futures.rest.client import KrakenFuturesRestClient
from src.brokers.kraken_futures.rest.positions import position_from_row
from src.brokers.kraken_futures.rest.transport import FuturesTransport
from src.brokers.kraken_futures.settings import KrakenFuturesSettings
from src.brokers.kraken_futures.streams.fill_log import FillLog
from src.brokers.kraken_futures.streams.private import PrivateFeeds
from src.core.clock import Clock, SystemClock
from src.core.derivatives import (
    DerivativeInstrument,
    DerivativePosition,
    FundingPayment,
    MarginSummary,
    Settlement,
)
from src.core.errors import UnknownOrderError
from src.core.execution import (
    AccountBalances,
    Fill,
    Order,
    OrderAck,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Position,
)
from src.core.futures_settlement import ContractSettlement
from src.core.order_amend import AmendAck
from src.core.order_outcome import LostReplyPolicy, OutcomeResolver
from src.utils.retry import RetryPolicy

__all__ = ["KrakenFuturesAdapter"]


def _ws_url_for(base_url: str) -> str:
    # A REST override (the paper venue) serves WebSocket v1 on the same host, as Kraken does.
    scheme, _, rest = base_url.partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest.rstrip('/')}/ws/v1"


class KrakenFuturesAdapter(FuturesMarketQueries):
    """Kraken Futures broker: typed account, order and market methods over the raw client.

    Symbols are Kraken's (``PF_XBTUSD``, ``PI_XBTUSD``, ``FI_XBTUSD_220930``); quantities are
    contracts. The raw client is ``adapter.rest`` (one method per endpoint). Use as
    ``async with KrakenFuturesAdapter() as adapter:``; with no arguments the settings decide
    (``KRAKEN_FUTURES_*``: demo host unless ``live``, keys, rate-limit mode).

    Args:
        api_key: public key (else ``KRAKEN_FUTURES_API_KEY``).
        api_secret: private key (else ``KRAKEN_FUTURES_API_SECRET``).
        base_url: REST root (else the settings' host); the WebSocket URL follows it unless
            ``ws_url`` is given.
        ws_url: WebSocket v1 URL.
        settings: the settings to use (default: read from the environment once).
        gate: rate-limit gate (default: Kraken's budgets in the settings' mode).
        clock: time source.
        retry: backoff for reads.
        client: an httpx client (tests).
        lost_reply: how lost order replies are looked up.
    """

    fill_poll_interval: float = 2.0
    """Seconds between ``/fills`` polls while ``stream_fills`` has no WebSocket."""

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        base_url: str | None = None,
        *,
        ws_url: str | None = None,
        settings: KrakenFuturesSettings | None = None,
        gate: FuturesGate | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        client: httpx.AsyncClient | None = None,
        lost_reply: LostReplyPolicy | None = None,
    ) -> None:
        self.settings = settings or KrakenFuturesSettings()
        key = api_key or _secret(self.settings.api_key)
        secret = api_secret or _secret(self.settings.api_secret)
        self.base_url = (base_url or self.settings.rest_url).rstrip("/")
        self.ws_url = ws_url or (
            _ws_url_for(self.base_url) if base_url else self.settings.websocket_url
        )
        self.clock: Clock = clock or SystemClock()
        self.gate: FuturesGate = gate or FuturesRateLimits(
            self.settings.rate_limit_mode, self.clock
        )
        self.transport = FuturesTransport(
            self.base_url, key, secret, timeout=self.settings.timeout, gate=self.gate,
            retry=retry, clock=self.clock, client=client,
        )  # fmt: skip
        self.rest = KrakenFuturesRestClient(self.transport)
        self.fees = FeeBook()
        self.orders = OrderMemory()
        """What this adapter has seen of its orders (Kraken lists closed ones for 5 s only)."""
        resolver = OutcomeResolver(
            self.find_order, self.clock, lost_reply, seen=self.orders.by_client_id
        )
        self.desk = FuturesOrderDesk(
            self.rest, self.load_instruments, self.orders, resolver, self.settings.trigger_signal
        )
        self.fill_log = FillLog()
        self.ws_options: dict[str, Any] = {}
        """Keyword options for the private WebSocket (``idle_timeout``, ``backoff``...)."""
        self._private: PrivateFeeds | None = None

    def __repr__(self) -> str:
        return f"KrakenFuturesAdapter(base_url={self.base_url!r})"

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
        """Close the WebSocket (if open) and the HTTP pool."""
        if self._private is not None:
            await self._private.close()
        await self.transport.aclose()

    # ------------------------------------------------------------------ account
    async def get_account(self) -> AccountBalances:
        """Collateral per asset: flex currencies and margin wallets (``XBT`` is ``BTC``)."""
        balances, _ = parse.parse_accounts(await self.rest.accounts())
        return balances

    async def get_margin(self) -> dict[str, MarginSummary]:
        """Each margin account's figures by Kraken's name (``flex``, ``fi_xbtusd``...)."""
        _, summaries = parse.parse_accounts(await self.rest.accounts())
        return summaries

    async def get_positions(self) -> list[Position]:
        """Open positions (each a ``DerivativePosition``; see ``get_futures_positions``)."""
        return list(await self.get_futures_positions())

    async def get_futures_positions(self) -> list[DerivativePosition]:
        """Open positions valued at the mark, with margin and a liquidation estimate."""
        reply = await self.rest.openpositions()
        rows = parse.rows(reply, "openPositions", "openpositions")
        if not rows:
            return []
        tickers = await self.get_tickers()
        margins = await self.get_margin()
        positions = []
        for row in rows:
            instrument = await self.get_instrument(str(row.get("symbol", "")))
            ticker = tickers.get(instrument.symbol)
            account = margins.get(_margin_account(instrument))
            equity = account.margin_equity if account is not None else None
            mark = ticker.mark_price if ticker is not None else None
            positions.append(position_from_row(row, instrument, mark, equity))
        return positions

    async def margin_for(self, symbol: str) -> MarginSummary | None:
        """The figures of the margin account that backs ``symbol`` (flex, or its wallet)."""
        instrument = await self.get_instrument(symbol)
        return (await self.get_margin()).get(_margin_account(instrument))

    async def get_funding_payments(self, since: datetime | None = None) -> list[FundingPayment]:
        """Funding received (+) or paid (-) per position and period, from the account log.

        The history API has its own budget (100 tokens, 100 per 10 minutes); one call
        costs 3 for Kraken's default 500 rows.
        """
        reply = await self.rest.account_log(since=int(since.timestamp() * 1000) if since else None)
        return parse.parse_funding_payments(reply)

    async def get_settlements(self, since: datetime | None = None) -> list[ContractSettlement]:
        """Fixed-maturity settlements (the account log's ``settlement`` rows), oldest first.

        The runtime asks only after a held contract's expiry, so this spends the history
        budget rarely.
        """
        reply = await self.rest.account_log(since=int(since.timestamp() * 1000) if since else None)
        return parse.parse_settlements(reply)

    async def get_leverage(self) -> dict[str, Decimal]:
        """Symbols on isolated margin and their maximum leverage (others are cross)."""
        reply = await self.rest.leveragepreferences()
        prefs = parse.rows(reply, "leveragePreferences", "leveragepreferences")
        return {str(p["symbol"]).upper(): parse.dec(p["maxLeverage"], "maxLeverage") for p in prefs}

    async def set_leverage(self, symbol: str, max_leverage: Decimal | None) -> None:
        """Isolated margin with ``max_leverage`` on ``symbol``, or cross margin with None."""
        instrument = await self.get_instrument(symbol)
        await self.rest.set_leveragepreferences(instrument.symbol, max_leverage)

    # ------------------------------------------------------------------ orders
    async def get_orders(self, status: str = "open") -> list[OrderUpdate]:
        """``open``: ``/openorders``; ``closed``: final orders this adapter has seen.

        Kraken Futures lists closed orders only for 5 s outside its history API, so
        ``closed`` answers from the adapter's memory (acks, cancels, the order feed).
        """
        if status == "closed":
            return self.orders.final_orders()
        if status != "open":
            raise ValueError(f"status {status!r}: expected 'open' or 'closed'")
        reply = await self.rest.openorders()
        updates = parse.each(
            parse.rows(reply, "openOrders", "openorders"), update_from_open_order, "openorders"
        )
        for update in updates:
            self.orders.remember(update)
        return updates

    async def find_order(self, client_order_id: str) -> OrderUpdate | None:
        """The order sent with ``client_order_id``: memory if final, else ask Kraken.

        Asks ``/orders/status`` (open, or closed in the last 5 s), then ``/fills`` (an order
        that filled earlier); None when Kraken knows no such order.
        """
        known = self.orders.by_client_id(client_order_id)
        if known is not None and known.status.is_final:
            return known
        reply = await self.rest.orders_status(cli_ord_ids=[client_order_id])
        for row in parse.rows(reply, "orders", "orders/status"):
            update = update_from_status_row(row)
            if update.client_order_id == client_order_id or update.client_order_id is None:
                update = update.model_copy(update={"client_order_id": client_order_id})
                self.orders.remember(update)
                return update
        return await self._found_in_fills(client_order_id, known)

    async def _found_in_fills(
        self, client_order_id: str, known: OrderUpdate | None
    ) -> OrderUpdate | None:
        fills = [f for f in await self.get_fills() if f.client_order_id == client_order_id]
        if not fills:
            return None
        filled = sum((f.quantity for f in fills), Decimal(0))
        quantity = known.quantity if known is not None else filled
        first = fills[0]
        # Neither open nor listed: it filled, or was cancelled after a partial fill.
        status = OrderStatus.FILLED if filled >= quantity else OrderStatus.CANCELED
        update = OrderUpdate(
            order_id=first.order_id, client_order_id=client_order_id, symbol=first.symbol,
            side=first.side, order_type=known.order_type if known else OrderType.LIMIT,
            status=status, quantity=quantity, filled_quantity=filled,
            average_price=sum((f.price * f.quantity for f in fills), Decimal(0)) / filled,
            fee=sum((f.fee for f in fills), Decimal(0)), updated_at=fills[-1].timestamp,
        )  # fmt: skip
        self.orders.remember(update)
        return update

    async def submit_orders(self, orders: Sequence[Order]) -> list[OrderAck]:
        """Send ``orders`` (one ``sendorder``, or ``batchorder`` for several); one ack each.

        A venue refusal is a ``REJECTED`` ack whose message names Kraken's status; a lost
        reply is resolved by ``cliOrdId`` and never re-sent (UNKNOWN if Kraken cannot say).
        """
        if not orders:
            return []
        return await self.desk.submit(orders)

    async def edit_order(
        self,
        order_id: str,
        *,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
    ) -> OrderUpdate | None:
        """Edit a resting order in place (new open size, limit or stop price)."""
        known = self.orders.by_order_id(order_id)
        if known is None:
            known = next((o for o in await self.get_orders() if o.order_id == order_id), None)
        if known is None:
            raise UnknownOrderError(f"order {order_id} is not open", endpoint="editorder")
        return await self.desk.edit(
            known.symbol, known.side, order_id=order_id, quantity=quantity,
            limit_price=limit_price, stop_price=stop_price,
        )  # fmt: skip

    async def amend_working_order(
        self,
        order_id: str,
        *,
        client_order_id: str | None = None,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
    ) -> AmendAck:
        """``OrderAmender`` (src.core.order_amend): ``editorder`` in place, ids kept.

        See ``src.brokers.kraken_futures.orders.amend``.
        """
        return await amend_in_place(
            self, order_id, client_order_id=client_order_id, quantity=quantity,
            limit_price=limit_price,
        )  # fmt: skip

    async def cancel_order(self, order_id: str) -> dict[str, Any]:
        """Cancel by Kraken order id; returns ``cancelStatus``.

        Raises:
            UnknownOrderError: Kraken answered ``notFound``.
        """
        return await self.desk.cancel(order_id=order_id)

    async def cancel_order_by_client_id(self, client_order_id: str) -> dict[str, Any]:
        """Cancel by ``cliOrdId``; returns ``cancelStatus``."""
        return await self.desk.cancel(cli_ord_id=client_order_id)

    async def cancel_all(self, symbol: str | None = None) -> int:
        """Cancel every open order (on ``symbol``); returns how many."""
        return await self.desk.cancel_all(symbol.upper() if symbol else None)

    async def cancel_all_orders_after(self, timeout_seconds: int) -> datetime | None:
        """The dead man's switch: cancel everything unless called again within the timeout.

        Kraken recommends re-arming every 15-20 s with 60 s. 0 disarms it. Returns when it
        would fire (None when disarmed).
        """
        return await self.desk.cancel_all_after(timeout_seconds)

    # ------------------------------------------------------------------ fills
    async def get_fills(self, since: datetime | None = None) -> list[Fill]:
        """Own fills (newest 100, paged back to ``since``), oldest first, fees priced."""
        fees = await self.load_fees(private=True)
        instruments = await self.load_instruments()
        unique: dict[str, Fill] = {}
        before: datetime | None = None
        for _ in range(20):  # 2,000 fills at most per call (each further page costs 25)
            reply = await self.rest.fills(before)
            page = parse.rows(reply, "fills", "fills")
            known = len(unique)
            for row in page:
                fill = self.fill_log.price_rest_fill(row, instruments, fees)
                unique[fill.fill_id] = fill
            if len(page) < 100 or since is None or len(unique) == known:
                break
            oldest = min(f.timestamp for f in unique.values())
            if oldest < since:
                break
            # "before lastFillTime" is strict and many fills share a millisecond: ask from
            # one millisecond later and let the fill ids drop the overlap.
            before = oldest + timedelta(milliseconds=1)
        chosen = [f for f in unique.values() if since is None or f.timestamp >= since]
        return sorted(chosen, key=lambda f: (f.timestamp, f.fill_id))

    @property
    def private_feeds(self) -> PrivateFeeds:
        """The private WebSocket (fills, open orders, positions), made on first use."""
        if self._private is None:
            self._private = PrivateFeeds(
                self.ws_url, self.transport.api_key, self.transport.signing_key, self,
                self.orders, **self.ws_options,
            )  # fmt: skip
        return self._private

    def stream_fills(self) -> AsyncIterator[Fill]:
        """Own fills as they happen, each exactly once across reconnects (WS v1 ``fills``).

        After a reconnect the gap is filled from the feed's snapshot and ``/fills``; while
        the socket is down ``/fills`` is polled every ``fill_poll_interval`` seconds.
        """
        return self.private_feeds.stream_fills()

    def stream_order_updates(self) -> AsyncIterator[OrderUpdate]:
        """Order state changes from the ``open_orders`` feed."""
        return self.private_feeds.stream_order_updates()


def _margin_account(instrument: DerivativeInstrument) -> str:
    # Linear contracts margin in the flex (multi-collateral) account; an inverse one in its
    # single-collateral wallet, named after the pair: PI_XBTUSD and FI_XBTUSD_* -> fi_xbtusd.
    if instrument.settlement is Settlement.LINEAR:
        return "flex"
    return "fi_" + instrument.symbol.split("_")[1].lower()


def _secret(value: Any) -> str | None:
    return None if value is None else str(value.get_secret_value())

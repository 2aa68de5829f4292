"""KrakenRestClient: Kraken's REST endpoints by name, returning Kraken's own result objects.

https://docs.kraken.com/api/docs/rest-api/
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import httpx

from src.brokers.kraken.limits.counters import KrakenRateLimits
from src.brokers.kraken.limits.gate import RequestGate
from src.brokers.kraken.rest.auth import NonceSource
from src.brokers.kraken.rest.envelope import encode_form
from src.brokers.kraken.rest.replies import (
    AssetPairsResult,
    AssetsResult,
    BalanceExResult,
    BalanceResult,
    CancelAllOrdersAfterResult,
    OHLCResult,
    OpenPositionsResult,
    QueryOrdersResult,
    SystemStatusResult,
    TimeResult,
    TradeBalanceResult,
    TradesHistoryResult,
    WebSocketsTokenResult,
)
from src.brokers.kraken.rest.transport import KrakenTransport
from src.brokers.kraken.settings import KrakenSettings
from src.core.clock import Clock, SystemClock
from src.core.errors import ConfigurationError, MalformedResponseError
from src.utils.retry import RetryPolicy


def _csv(value: str | Sequence[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return ",".join(value)


class KrakenRestClient:
    """Raw Kraken REST calls: one method per endpoint, results exactly as Kraken sends them.

    Args:
        api_key: public API key (private calls only).
        api_secret: base64 private key; checked at construction.
        base_url: REST root; defaults to ``settings.api_url`` (``KRAKEN_API_URL``).
        timeout: seconds per HTTP request.
        nonce_scale: nonce ticks per second (default ``settings.nonce_scale``, 1e9). A key
            that has seen a larger scale cannot go back to a smaller one.
        gate: rate-limit gate asked before every call. None (default) means
            ``KrakenRateLimits.from_env(clock=clock, settings=settings)``: Kraken's counters
            for ``KRAKEN_TIER`` in ``KRAKEN_RATE_LIMIT_MODE``; pass ``NullGate()`` to opt out.
        ws_url: public WS v2 URL (default ``settings.ws_url``), kept for the WebSocket client.
        ws_auth_url: private WS v2 URL (default ``settings.ws_auth_url``).
        retry: backoff for reads; order calls are never retried.
        clock: time source for backoff sleeps and polling.
        client: an httpx.AsyncClient to use instead of the adapter's own pool.
        settings: the ``KRAKEN_*`` settings; None reads them once, here, from the
            environment and ``.env``. An explicit argument above wins over its setting.

    Raises:
        ConfigurationError: a ``KRAKEN_*`` setting is invalid (the message names it).
    """

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
        settings: KrakenSettings | None = None,
    ) -> None:
        # Read once and kept, so every part of this client (and the WebSocket clients built
        # from it) sees the same values, whichever of environment or .env they came from.
        self.settings = settings if settings is not None else KrakenSettings()
        self.base_url = (base_url or self.settings.api_url).rstrip("/")
        self.ws_url = ws_url or self.settings.ws_url
        self.ws_auth_url = ws_auth_url or self.settings.ws_auth_url
        clock = clock or SystemClock()
        self.gate: RequestGate = (
            gate if gate is not None else KrakenRateLimits.from_env(clock, self.settings)
        )
        scale = nonce_scale if nonce_scale is not None else self.settings.nonce_scale
        self._transport = KrakenTransport(
            self.base_url,
            api_key or None,
            api_secret or None,
            timeout=timeout,
            nonce=NonceSource(scale),
            retry=retry,
            clock=clock,
            client=client,
            gate=self.gate,
            overlap_private=self.settings.nonce_window > 0,
        )
        self.clock = self._transport.clock

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"credentials={self._transport.has_credentials})"
        )

    __str__ = __repr__

    @property
    def transport(self) -> KrakenTransport:
        """The signed transport every call of this client goes through."""
        return self._transport

    @property
    def has_credentials(self) -> bool:
        """True when an API key and secret were given."""
        return self._transport.has_credentials

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._transport.aclose()

    # ----------------------------------------------------------------- generic
    async def request(self, method: str, /, **params: Any) -> Any:
        """Call any Kraken REST method by name (public/private inferred); return ``result``."""
        return await self._transport.call(
            method, {k: v for k, v in params.items() if v is not None}
        )

    async def _request(self, method: str, /, **params: Any) -> Any:
        """The guide's name for :meth:`request`."""
        return await self.request(method, **params)

    def _generate_signature(
        self, url_path: str, data: Mapping[str, Any] | str, nonce: int | str
    ) -> str:
        """API-Sign of ``data`` (form fields incl. nonce, or the exact body) for ``url_path``."""
        body = data if isinstance(data, str) else encode_form(data)
        return self._transport.signature(url_path, nonce, body)

    # ----------------------------------------------------------------- public
    async def get_server_time(self) -> int:
        """Kraken's clock, unix seconds."""
        result: TimeResult = await self.request("Time")
        try:
            return int(result["unixtime"])
        except (KeyError, TypeError, ValueError):
            raise MalformedResponseError("Time result lacks unixtime", endpoint="Time") from None

    async def get_system_status(self) -> SystemStatusResult:
        """``{"status": "online"|"maintenance"|"cancel_only"|"post_only", "timestamp": ...}``."""
        return cast(SystemStatusResult, _obj(await self.request("SystemStatus"), "SystemStatus"))

    async def get_assets(self, assets: str | Sequence[str] | None = None) -> AssetsResult:
        """Asset info keyed by asset id (``XXBT``: altname, decimals, status...)."""
        return cast(AssetsResult, _obj(await self.request("Assets", asset=_csv(assets)), "Assets"))

    async def get_asset_pairs(
        self, pairs: str | Sequence[str] | None = None, info: str | None = None
    ) -> AssetPairsResult:
        """AssetPairs keyed by pair key (``XXBTZUSD``)."""
        return cast(
            AssetPairsResult,
            _obj(await self.request("AssetPairs", pair=_csv(pairs), info=info), "AssetPairs"),
        )

    async def get_ticker(self, pair: str | Sequence[str] | None = None) -> dict[str, Any]:
        """Ticker keyed by pair: ``{"XXBTZUSD": {"a": [...], "b": [...], "c": [...], ...}}``.

        Each value has the shape of ``replies.TickerInfo``; the return stays a plain dict
        while ``src/app/venue.py`` reads a row as ``dict[str, Any]``.
        """
        return _obj(await self.request("Ticker", pair=_csv(pair)), "Ticker")

    async def get_order_book(self, pair: str, count: int | None = None) -> dict[str, Any]:
        """Depth keyed by pair: ``{pair: {"asks": [[price, vol, ts]], "bids": [...]}}``."""
        return _obj(await self.request("Depth", pair=pair, count=count), "Depth")

    async def get_ohlc(self, pair: str, interval: int = 1, since: int | None = None) -> OHLCResult:
        """OHLC rows keyed by pair plus ``last`` (pass it back as ``since`` to page on)."""
        return cast(
            OHLCResult,
            _obj(await self.request("OHLC", pair=pair, interval=interval, since=since), "OHLC"),
        )

    async def get_recent_trades(
        self, pair: str, since: str | int | None = None, count: int | None = None
    ) -> dict[str, Any]:
        """Public trades keyed by pair plus ``last`` (nanosecond cursor string)."""
        return _obj(await self.request("Trades", pair=pair, since=since, count=count), "Trades")

    async def get_spread(self, pair: str, since: int | None = None) -> dict[str, Any]:
        """Recent top-of-book rows ``[time, bid, ask]`` keyed by pair plus ``last``."""
        return _obj(await self.request("Spread", pair=pair, since=since), "Spread")

    # ----------------------------------------------------------------- private reads
    async def get_balance(self) -> BalanceResult:
        """Balance: ``{"ZUSD": "171288.6158", "XXBT": "1011.19", ...}`` (venue codes)."""
        return cast(BalanceResult, _obj(await self.request("Balance"), "Balance"))

    async def get_balance_ex(self) -> BalanceExResult:
        """BalanceEx: ``{"ZUSD": {"balance": "...", "hold_trade": "..."}, ...}``."""
        return cast(BalanceExResult, _obj(await self.request("BalanceEx"), "BalanceEx"))

    async def get_trade_balance(self, asset: str = "ZUSD") -> TradeBalanceResult:
        """TradeBalance strings: ``eb`` equivalent balance, ``mf`` free margin, ``m`` margin, ..."""
        return cast(
            TradeBalanceResult,
            _obj(await self.request("TradeBalance", asset=asset), "TradeBalance"),
        )

    async def query_orders(
        self, txids: str | Sequence[str], *, trades: bool = False
    ) -> QueryOrdersResult:
        """QueryOrders: ``{txid: order}`` for up to 50 ids."""
        return cast(
            QueryOrdersResult,
            _obj(
                await self.request("QueryOrders", txid=_csv(txids), trades=trades or None),
                "QueryOrders",
            ),
        )

    async def get_trades_history(
        self,
        *,
        start: int | float | str | None = None,
        end: int | float | str | None = None,
        ofs: int | None = None,
        trade_type: str | None = None,
    ) -> TradesHistoryResult:
        """TradesHistory page: ``{"trades": {txid: trade}, "count": N}`` (50 per page)."""
        result = await self.request("TradesHistory", start=start, end=end, ofs=ofs, type=trade_type)
        return cast(TradesHistoryResult, _obj(result, "TradesHistory"))

    async def get_open_positions(self, *, docalcs: bool = True) -> OpenPositionsResult:
        """OpenPositions ``{posid: {...}}`` (empty for spot-only accounts)."""
        return cast(
            OpenPositionsResult,
            _obj(await self.request("OpenPositions", docalcs=docalcs), "OpenPositions"),
        )

    async def get_websockets_token(self) -> WebSocketsTokenResult:
        """``{"token": "...", "expires": 900}`` for the private WebSocket (use within 15 min)."""
        return cast(
            WebSocketsTokenResult,
            _obj(await self.request("GetWebSocketsToken"), "GetWebSocketsToken"),
        )

    async def cancel_all_orders_after(self, timeout: int) -> CancelAllOrdersAfterResult:
        """Dead man's switch: cancel everything unless called again within ``timeout`` s (0 off)."""
        if not 0 <= int(timeout) < 86400:
            raise ConfigurationError(f"timeout {timeout}: must be 0 (disable) to 86399 seconds")
        result = await self.request("CancelAllOrdersAfter", timeout=int(timeout))
        return cast(CancelAllOrdersAfterResult, _obj(result, "CancelAllOrdersAfter"))


def _obj(result: Any, method: str) -> dict[str, Any]:
    """``result`` if it is a JSON object (callers cast it to the method's reply type)."""
    if not isinstance(result, dict):
        raise MalformedResponseError(
            f"{method} result is {type(result).__name__}, expected an object", endpoint=method
        )
    return result

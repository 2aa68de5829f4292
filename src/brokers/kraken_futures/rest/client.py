"""``KrakenFuturesRestClient``: one method per Kraken Futures REST endpoint, Kraken's names.

Methods take Kraken's parameters and return Kraken's reply objects (``dict``); turning them
into domain types is ``parse.py``'s job, and choosing what to call is the adapter's.
https://docs.kraken.com/api/docs/futures-api/trading/ (one page per endpoint)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from src.brokers.kraken_futures.constants import CHARTS_PREFIX, TRADING_PREFIX, endpoint
from src.brokers.kraken_futures.rest.transport import FuturesTransport
from src.brokers.kraken_futures.timefmt import format_time
from src.core.decimals import to_plain_string

__all__ = ["KrakenFuturesRestClient", "batch_json"]

Reply = dict[str, Any]


def _json_value(value: Any) -> str:
    # Decimal as a JSON number written exactly (json.dumps would need a float, losing digits);
    # booleans as JSON true/false (python-kraken-sdk #392: "True" gave "Json Parse Error").
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return to_plain_string(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value))


def batch_json(instructions: Sequence[Mapping[str, Any]]) -> str:
    """The ``json`` parameter of ``batchorder``: ``{"batchOrder":[...]}``, compact."""
    rows = []
    for row in instructions:
        fields = ",".join(
            f"{json.dumps(k)}:{_json_value(v)}" for k, v in row.items() if v is not None
        )
        rows.append("{" + fields + "}")
    return '{"batchOrder":[' + ",".join(rows) + "]}"


class KrakenFuturesRestClient:
    """Raw Kraken Futures REST: Kraken's endpoints, parameters and reply objects.

    Args:
        transport: the signed HTTP transport.
    """

    def __init__(self, transport: FuturesTransport) -> None:
        self.transport = transport

    async def _get(self, name: str, params: Mapping[str, Any] | None = None) -> Reply:
        return await self.transport.call(endpoint(name), params)

    # ------------------------------------------------------------------ public market data
    async def instruments(self) -> Reply:
        """``GET /instruments``: every contract's specification."""
        return await self._get("instruments")

    async def instruments_status(self) -> Reply:
        """``GET /instruments/status``: dislocation and volatility flags."""
        return await self._get("instruments/status")

    async def tickers(self) -> Reply:
        """``GET /tickers``: every market's ticker."""
        return await self._get("tickers")

    async def ticker(self, symbol: str) -> Reply:
        """``GET /tickers/{symbol}``: one market's ticker (``"ticker":{...}``)."""
        path = f"{TRADING_PREFIX}/tickers/{symbol}"
        return await self.transport.call(endpoint("tickers"), path=path, symbol=symbol)

    async def orderbook(self, symbol: str) -> Reply:
        """``GET /orderbook?symbol=``: the full non-cumulative book."""
        return await self.transport.call(endpoint("orderbook"), {"symbol": symbol}, symbol=symbol)

    async def history(self, symbol: str, last_time: datetime | None = None) -> Reply:
        """``GET /history``: the last 100 public trades (before ``lastTime``)."""
        params = {"symbol": symbol, "lastTime": format_time(last_time) if last_time else None}
        return await self.transport.call(endpoint("history"), params, symbol=symbol)

    async def feeschedules(self) -> Reply:
        """``GET /feeschedules``: maker/taker tiers in percent."""
        return await self._get("feeschedules")

    async def historical_funding_rates(self, symbol: str) -> Reply:
        """``GET /historical-funding-rates?symbol=``: past funding rates (spec v3 path)."""
        ep = endpoint("historical-funding-rates")
        return await self.transport.call(ep, {"symbol": symbol}, symbol=symbol)

    async def charts(
        self,
        tick_type: str,
        symbol: str,
        resolution: str,
        *,
        from_: int | None = None,
        to: int | None = None,
        count: int | None = None,
    ) -> Reply:
        """``GET /api/charts/v1/{tick_type}/{symbol}/{resolution}``: candles (epoch seconds)."""
        path = f"{CHARTS_PREFIX}/{tick_type}/{symbol}/{resolution}"
        params = {"from": from_, "to": to, "count": count}
        return await self.transport.call(
            endpoint("charts"), params, path=path, envelope=False, symbol=symbol
        )

    # ------------------------------------------------------------------ account
    async def accounts(self) -> Reply:
        """``GET /accounts``: cash, margin and flex (multi-collateral) accounts."""
        return await self._get("accounts")

    async def openpositions(self) -> Reply:
        """``GET /openpositions``."""
        return await self._get("openpositions")

    async def openorders(self) -> Reply:
        """``GET /openorders``."""
        return await self._get("openorders")

    async def fills(self, last_fill_time: datetime | None = None) -> Reply:
        """``GET /fills``: the last 100 fills (before ``lastFillTime``; that costs 25)."""
        params = {"lastFillTime": format_time(last_fill_time) if last_fill_time else None}
        return await self._get("fills", params)

    async def feeschedules_volumes(self) -> Reply:
        """``GET /feeschedules/volumes``: 30-day USD volume per fee schedule."""
        return await self._get("feeschedules/volumes")

    async def leveragepreferences(self) -> Reply:
        """``GET /leveragepreferences``: isolated-margin max leverage per symbol."""
        return await self._get("leveragepreferences")

    async def set_leveragepreferences(
        self, symbol: str, max_leverage: Decimal | None = None
    ) -> Reply:
        """``PUT /leveragepreferences``: with ``maxLeverage`` isolated, without cross margin."""
        params = {"symbol": symbol, "maxLeverage": max_leverage}
        return await self.transport.call(endpoint("set_leveragepreferences"), params)

    async def orders_status(
        self, order_ids: Sequence[str] = (), cli_ord_ids: Sequence[str] = ()
    ) -> Reply:
        """``POST /orders/status``: orders open, or closed in the last 5 s."""
        params = {"orderIds": list(order_ids) or None, "cliOrdIds": list(cli_ord_ids) or None}
        return await self._get("orders/status", params)

    async def account_log(self, *, since: int | None = None, count: int | None = None) -> Reply:
        """``GET /api/history/v2/account-log``: trades, funding, fees (history budget)."""
        params = {"since": since, "count": count}
        # The history API answers without the trading API's result/serverTime envelope.
        return await self.transport.call(endpoint("account-log"), params, envelope=False)

    # ------------------------------------------------------------------ orders
    async def sendorder(self, params: Mapping[str, Any]) -> Reply:
        """``POST /sendorder`` with Kraken's parameters (``orderType``, ``cliOrdId``...)."""
        return await self._get("sendorder", params)

    async def editorder(self, params: Mapping[str, Any]) -> Reply:
        """``POST /editorder`` (``orderId`` or ``cliOrdId``; ``size``/``limitPrice``...)."""
        return await self._get("editorder", params)

    async def cancelorder(
        self, order_id: str | None = None, cli_ord_id: str | None = None
    ) -> Reply:
        """``POST /cancelorder`` by ``order_id`` or ``cliOrdId``."""
        return await self._get("cancelorder", {"order_id": order_id, "cliOrdId": cli_ord_id})

    async def cancelallorders(self, symbol: str | None = None) -> Reply:
        """``POST /cancelallorders[?symbol=]``."""
        return await self._get("cancelallorders", {"symbol": symbol})

    async def cancelallordersafter(self, timeout: int) -> Reply:
        """``POST /cancelallordersafter?timeout=``: the dead man's switch (0 disarms)."""
        return await self._get("cancelallordersafter", {"timeout": timeout})

    async def batchorder(self, instructions: Sequence[Mapping[str, Any]]) -> Reply:
        """``POST /batchorder`` with ``json={"batchOrder":[...]}`` url-encoded in the body."""
        params = {"json": batch_json(instructions), "_instructions": len(instructions)}
        return await self._get("batchorder", params)

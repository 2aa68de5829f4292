"""AlpacaHttpClient: one method per Trading API v2 endpoint, returning Alpaca's JSON as-is.

Every request passes the rate limiter. Reads (GET) are retried with backoff on 429, 5xx and
transport errors; writes never are, because a repeated order could be placed twice.
"""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

import httpx

from src.brokers.alpaca.config import AlpacaConfig
from src.brokers.alpaca.errors import map_http_error
from src.core.clock import Clock, SystemClock
from src.core.errors import BrokerError, MalformedResponseError, NetworkError, RateLimitError

JSON = Any


def rfc3339(value: datetime) -> str:
    """A UTC datetime as Alpaca's query parameters take it: ``2024-01-02T15:04:05.123456Z``."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class AlpacaHttpClient:
    """Thin async client for https://docs.alpaca.markets/reference (Trading API v2).

    Args:
        config: resolved settings (URLs, keys, timeout).
        limiter: async context manager entered around every request.
        clock: used for retry backoff sleeps.
        max_read_retries: extra attempts for a GET after a retryable failure.
        transport: optional httpx transport (tests).
    """

    def __init__(
        self,
        config: AlpacaConfig,
        limiter: AbstractAsyncContextManager[Any],
        *,
        clock: Clock | None = None,
        max_read_retries: int = 3,
        backoff: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._config = config
        self._limiter = limiter
        self._clock = clock or SystemClock()
        self._max_read_retries = max_read_retries
        self._backoff = backoff
        self._client = httpx.AsyncClient(
            base_url=config.base_url,
            timeout=config.timeout,
            transport=transport,
            headers={
                "APCA-API-KEY-ID": config.api_key.get_secret_value(),
                "APCA-API-SECRET-KEY": config.api_secret.get_secret_value(),
                "Accept": "application/json",
            },
        )

    def __repr__(self) -> str:
        return f"AlpacaHttpClient(base_url={self._config.base_url!r})"

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._client.aclose()

    # -- transport ----------------------------------------------------------------------

    async def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: JSON = None
    ) -> JSON:
        """Send one request; GETs are retried on retryable failures, writes never."""
        attempts = 1 + (self._max_read_retries if method == "GET" else 0)
        for attempt in range(attempts):
            try:
                return await self._send_once(method, path, params, body)
            except BrokerError as exc:
                if not exc.retryable or isinstance(exc, MalformedResponseError):
                    raise
                if attempt + 1 >= attempts:
                    raise
                await self._clock.sleep(self._retry_wait(exc, attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_wait(self, exc: BrokerError, attempt: int) -> float:
        backoff = self._backoff * 2.0**attempt
        if isinstance(exc, RateLimitError) and exc.retry_after:
            # The adaptive limiter already pauses every caller for the server's retry window.
            if hasattr(self._limiter, "block_for"):
                return backoff
            return min(float(exc.retry_after), 60.0)
        return backoff

    async def _send_once(
        self, method: str, path: str, params: dict[str, Any] | None, body: JSON
    ) -> JSON:
        endpoint = f"{method} {path}"
        async with self._limiter:
            try:
                response = await self._client.request(method, path, params=params, json=body)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                raise NetworkError(
                    f"could not reach Alpaca: {type(exc).__name__}",
                    endpoint=endpoint,
                    outcome_known=True,  # nothing was sent
                ) from None
            except httpx.TransportError as exc:
                raise NetworkError(
                    f"connection to Alpaca failed mid-request: {type(exc).__name__}",
                    endpoint=endpoint,
                    outcome_known=method == "GET",
                ) from None
            if response.status_code >= 300:
                raise map_http_error(
                    response.status_code,
                    response.content,
                    response.headers,
                    method=method,
                    path=path,
                )
        if response.status_code == 204 or not response.content:
            return None
        try:
            return json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise MalformedResponseError(
                f"Alpaca sent a reply that is not JSON ({len(response.content)} bytes)",
                raw=response.text[:200],
                endpoint=endpoint,
                outcome_known=method == "GET",
            ) from None

    # -- endpoints (https://docs.alpaca.markets/reference) --------------------------------

    async def get_account(self) -> JSON:
        """``GET /v2/account``."""
        return await self.request("GET", "/v2/account")

    async def list_positions(self) -> JSON:
        """``GET /v2/positions``."""
        return await self.request("GET", "/v2/positions")

    async def submit_order(self, body: dict[str, Any]) -> JSON:
        """``POST /v2/orders``."""
        return await self.request("POST", "/v2/orders", body=body)

    async def get_order(self, order_id: str) -> JSON:
        """``GET /v2/orders/{order_id}``."""
        return await self.request("GET", f"/v2/orders/{order_id}")

    async def get_order_by_client_id(self, client_order_id: str) -> JSON:
        """``GET /v2/orders:by_client_order_id``."""
        return await self.request(
            "GET", "/v2/orders:by_client_order_id", params={"client_order_id": client_order_id}
        )

    async def list_orders(
        self,
        status: str,
        limit: int = 500,
        *,
        after: datetime | None = None,
        until: datetime | None = None,
        direction: str = "desc",
    ) -> JSON:
        """``GET /v2/orders``: ``status`` open|closed|all, at most 500 (Alpaca's maximum).

        ``after`` and ``until`` bound the submission time, both exclusive; ``direction`` sorts
        by submission time (``desc``: newest first).
        """
        params: dict[str, Any] = {
            "status": status,
            "limit": limit,
            "direction": direction,
            "nested": "false",
        }
        if after is not None:
            params["after"] = rfc3339(after)
        if until is not None:
            params["until"] = rfc3339(until)
        return await self.request("GET", "/v2/orders", params=params)

    async def replace_order(self, order_id: str, body: dict[str, Any]) -> JSON:
        """``PATCH /v2/orders/{order_id}``."""
        return await self.request("PATCH", f"/v2/orders/{order_id}", body=body)

    async def cancel_order(self, order_id: str) -> JSON:
        """``DELETE /v2/orders/{order_id}`` (204 on success)."""
        return await self.request("DELETE", f"/v2/orders/{order_id}")

    async def cancel_all_orders(self) -> JSON:
        """``DELETE /v2/orders`` (207 multi-status list)."""
        return await self.request("DELETE", "/v2/orders")

    async def get_asset(self, symbol: str) -> JSON:
        """``GET /v2/assets/{symbol}``."""
        return await self.request("GET", f"/v2/assets/{symbol}")

    async def list_assets(self, asset_class: str) -> JSON:
        """``GET /v2/assets?status=active&asset_class=...``."""
        params = {"status": "active", "asset_class": asset_class}
        return await self.request("GET", "/v2/assets", params=params)

    async def get_clock(self) -> JSON:
        """``GET /v2/clock``."""
        return await self.request("GET", "/v2/clock")

    async def list_fill_activities(
        self, after: datetime | None = None, page_token: str | None = None
    ) -> JSON:
        """``GET /v2/account/activities/FILL`` oldest first, 100 per page."""
        params: dict[str, Any] = {"direction": "asc", "page_size": 100}
        if after is not None:
            params["after"] = rfc3339(after)
        if page_token:
            params["page_token"] = page_token
        return await self.request("GET", "/v2/account/activities/FILL", params=params)

"""HTTP transport for Kraken Futures REST: pooled httpx client, signing, budgets, read retries.

Private calls for one key are serialized from taking a nonce until the reply has arrived, so
nonces reach Kraken in order however many coroutines call at once (the budget is 50 calls a
second, far above what one lock costs). Reads are
retried on retryable errors; order calls are sent exactly once (a lost reply is resolved by
``cliOrdId`` above this layer, never by re-sending).
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import httpx

from src.brokers.kraken_futures.constants import Endpoint
from src.brokers.kraken_futures.limits.budgets import FuturesGate, NullFuturesGate
from src.brokers.kraken_futures.rate_costs import derivatives_cost, history_cost
from src.brokers.kraken_futures.rest.envelope import parse_reply
from src.brokers.kraken_futures.rest.signing import NonceSource, SigningKey
from src.core.clock import Clock, SystemClock
from src.core.decimals import to_plain_string
from src.core.errors import (
    BrokerError,
    LocalRateLimitError,
    MissingCredentialError,
    NetworkError,
    RateLimitError,
)
from src.utils.logging import get_logger, register_secret
from src.utils.retry import RetryPolicy, retry_async

__all__ = ["FuturesTransport", "encode_params"]

USER_AGENT = "kraken-ml-trader/0.1 (futures)"
log = get_logger(__name__)

Params = Mapping[str, Any]


def _wire(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return to_plain_string(value)
    return str(value)


def encode_params(params: Params) -> str:
    """Url-encode parameters as Kraken signs them: lists repeat the key, None is left out.

    Keys starting with ``_`` are local hints (a batch's instruction count) and never sent.
    """
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None or key.startswith("_"):
            continue
        if isinstance(value, Sequence) and not isinstance(value, str):
            pairs.extend((key, _wire(v)) for v in value)
        else:
            pairs.append((key, _wire(value)))
    return urllib.parse.urlencode(pairs)


class FuturesTransport:
    """Sends public GETs and signed private calls to one Kraken Futures host.

    Args:
        base_url: ``https://futures.kraken.com``, the demo host or the paper venue's URL.
        api_key: public key (kept as a redacted secret).
        api_secret: base64 private key.
        timeout: seconds per HTTP read; the whole call is bounded by twice that.
        gate: rate-limit gate (default: none).
        retry: backoff for reads.
        clock: time source for backoff sleeps.
        client: an httpx client to use (tests pass one with a mock transport).
        nonce: nonce source (ms by default).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        api_secret: str | None = None,
        *,
        timeout: float = 10.0,
        gate: FuturesGate | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        client: httpx.AsyncClient | None = None,
        nonce: NonceSource | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.deadline = 2 * timeout
        register_secret(api_key)
        register_secret(api_secret)
        self._key = api_key or None
        self._secret = SigningKey(api_secret) if api_secret else None
        self.gate: FuturesGate = gate or NullFuturesGate()
        self.retry = retry or RetryPolicy()
        self.clock: Clock = clock or SystemClock()
        self.nonce = nonce or NonceSource()
        self._client = client or httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout, headers={"User-Agent": USER_AGENT}
        )
        self._lock = asyncio.Lock()

    @property
    def has_credentials(self) -> bool:
        """True when a key and secret were given."""
        return self._key is not None and self._secret is not None

    @property
    def signing_key(self) -> SigningKey | None:
        """The decoded secret (for the WebSocket challenge), or None."""
        return self._secret

    @property
    def api_key(self) -> str | None:
        """The public key (the WebSocket sends it in the clear, as Kraken requires)."""
        return self._key

    def __repr__(self) -> str:
        return f"FuturesTransport(base_url={self.base_url!r}, credentials={self.has_credentials})"

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._client.aclose()

    async def call(
        self,
        endpoint: Endpoint,
        params: Params | None = None,
        *,
        path: str | None = None,
        envelope: bool = True,
        symbol: str | None = None,
    ) -> dict[str, Any]:
        """Call ``endpoint`` once (order calls) or with read retries; return the reply object.

        ``path`` replaces the endpoint's path (charts, ``tickers/{symbol}``).
        """
        values = dict(params or {})

        async def once() -> dict[str, Any]:
            return await self._once(endpoint, values, path or endpoint.path, envelope, symbol)

        if endpoint.order_call:
            return await once()
        return await retry_async(
            once,
            self.retry,
            clock=self.clock,
            retry_if=lambda e: not isinstance(e, LocalRateLimitError),
            on_retry=lambda e, n, w: log.warning(
                "kraken_futures.retry", endpoint=endpoint.name, attempt=n, wait=round(w, 3),
                error=str(e),
            ),
        )  # fmt: skip

    async def _once(
        self, endpoint: Endpoint, params: dict[str, Any], path: str, envelope: bool,
        symbol: str | None,
    ) -> dict[str, Any]:  # fmt: skip
        cost = self._cost(endpoint, params)
        if endpoint.private:
            await self.gate.before(endpoint.pool, cost, endpoint.name)
        try:
            status, headers, content = await self._send(endpoint, params, path)
            return parse_reply(
                status, headers, content, endpoint.name,
                order_call=endpoint.order_call, envelope=envelope, symbol=symbol,
            )  # fmt: skip
        except RateLimitError as exc:
            if not isinstance(exc, LocalRateLimitError):
                self.gate.on_rate_limited(endpoint.pool, exc)
            raise

    @staticmethod
    def _cost(endpoint: Endpoint, params: Mapping[str, Any]) -> float:
        if endpoint.pool == "history":
            count = params.get("count")
            return history_cost(endpoint.name, count if isinstance(count, int) else None)
        return derivatives_cost(endpoint.name, dict(params)) if endpoint.private else 0.0

    async def _send(
        self, endpoint: Endpoint, params: dict[str, Any], path: str
    ) -> tuple[int, httpx.Headers, bytes]:
        encoded = encode_params(params)
        try:
            async with asyncio.timeout(self.deadline):
                if not endpoint.private:
                    response = await self._client.get(path + (f"?{encoded}" if encoded else ""))
                else:
                    response = await self._private(endpoint, path, encoded)
                return response.status_code, response.headers, response.content
        except TimeoutError:
            raise self._network(endpoint, f"gave no reply within {self.deadline:g} s") from None
        except httpx.TimeoutException as exc:
            raise self._network(endpoint, f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise self._network(endpoint, f"transport failed ({type(exc).__name__})") from None

    async def _private(self, endpoint: Endpoint, path: str, encoded: str) -> httpx.Response:
        if self._key is None or self._secret is None:
            raise MissingCredentialError(
                f"{endpoint.name} is private: set KRAKEN_FUTURES_API_KEY and "
                "KRAKEN_FUTURES_API_SECRET"
            )
        signing_path = path.removeprefix("/derivatives")
        # GET and PUT carry their parameters in the query, POST in a form body (the REST
        # guide: "state changes: POST or PUT with request parameters submitted in the request
        # body"; the spec declares PUT parameters in the query, as python-kraken-sdk sends).
        in_body = endpoint.method == "POST"
        async with self._lock:
            nonce = self.nonce.next()
            headers = {
                "APIKey": self._key,
                "Nonce": nonce,
                "Authent": self._secret.sign(signing_path, nonce, encoded),
            }
            if in_body:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                return await self._client.request(
                    "POST", path, content=encoded.encode(), headers=headers
                )
            url = path + (f"?{encoded}" if encoded else "")
            return await self._client.request(endpoint.method, url, headers=headers)

    def _network(self, endpoint: Endpoint, what: str) -> BrokerError:
        suffix = "; the order outcome is unknown" if endpoint.order_call else ""
        return NetworkError(
            f"{endpoint.name} {what}{suffix}",
            endpoint=endpoint.name,
            outcome_known=not endpoint.order_call,
        )

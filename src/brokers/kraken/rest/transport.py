"""HTTP transport for Kraken REST: one pooled httpx client, signing, envelopes, read retries.

Signed calls for one key are serialized: a lock is held from taking a nonce until the reply
has arrived, so requests reach Kraken in nonce order however many coroutines call at once
(Kraken rejects a smaller nonce that arrives after a larger one). Kraken's private REST
budget is about one call per second per key, so this costs no real throughput.
https://docs.kraken.com/api/docs/guides/spot-rest-intro
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from src.brokers.kraken.constants import JSON_METHODS, ORDER_METHODS, is_public, path_for
from src.brokers.kraken.errors import error_from_list
from src.brokers.kraken.limits.gate import NullGate, RequestGate
from src.brokers.kraken.rest.auth import NonceSource, SigningKey
from src.core.clock import Clock, SystemClock
from src.core.errors import (
    BrokerError,
    InvalidNonceError,
    LocalRateLimitError,
    MalformedResponseError,
    MissingCredentialError,
    NetworkError,
    RateLimitError,
    RestRateLimitError,
    ServiceUnavailableError,
)
from src.utils.logging import get_logger, redact_text, register_secret
from src.utils.retry import RetryPolicy, retry_async

USER_AGENT = "kraken-ml-trader/0.1"
#: The largest reply read (the full AssetPairs is about 1 MB); a bigger one is refused.
MAX_REPLY_BYTES = 16 * 1024 * 1024
log = get_logger(__name__)


def encode_form(params: Mapping[str, Any]) -> str:
    """Form-encode parameters (booleans as ``true``/``false``, nested dicts as ``a[b]``)."""
    flat: list[tuple[str, str]] = []
    for key, value in params.items():
        if isinstance(value, Mapping):
            flat.extend((f"{key}[{k}]", _wire(v)) for k, v in value.items())
        elif isinstance(value, list | tuple):
            flat.append((key, ",".join(_wire(v) for v in value)))
        else:
            flat.append((key, _wire(value)))
    return urllib.parse.urlencode(flat)


def _wire(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_envelope(response: httpx.Response, method: str, *, symbol: str | None = None) -> Any:
    """Return the ``result`` of a Kraken reply or raise the mapped error.

    Raises:
        ServiceUnavailableError: HTTP 5xx (outcome unknown for order calls).
        RestRateLimitError: HTTP 429.
        MalformedResponseError: not JSON, or not ``{"error": [...], "result": ...}``.
        BrokerError: the mapped class of Kraken's first ``E...`` error.
    """
    order_call = method in ORDER_METHODS
    status = response.status_code
    if status >= 500:
        raise ServiceUnavailableError(
            f"Kraken answered HTTP {status}",
            endpoint=method,
            raw=f"HTTP {status}",
            outcome_known=not order_call,
        )
    if status == 429:
        raise RestRateLimitError("Kraken answered HTTP 429", endpoint=method, raw="HTTP 429")
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise MalformedResponseError(
            f"Kraken replied HTTP {status} with a body that is not JSON: "
            f"{redact_text(response.text[:80])!r}",
            endpoint=method,
            outcome_known=not order_call,
        ) from None
    if not isinstance(body, dict) or not isinstance(body.get("error", []), list):
        raise MalformedResponseError(
            f"Kraken replied with {type(body).__name__}, not an envelope with an error list",
            endpoint=method,
            outcome_known=not order_call,
        )
    error = error_from_list(body.get("error", []), method, order_call=order_call, symbol=symbol)
    if error is not None:
        raise error
    if status != 200 or "result" not in body:
        raise MalformedResponseError(
            f"Kraken replied HTTP {status} without a result",
            endpoint=method,
            outcome_known=not order_call,
        )
    return body["result"]


class KrakenTransport:
    """Sends public GETs and signed private POSTs; retries reads, never order calls."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        api_secret: str | None = None,
        *,
        timeout: float = 10.0,
        nonce: NonceSource | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        client: httpx.AsyncClient | None = None,
        gate: RequestGate | None = None,
        deadline: float | None = None,
        max_reply_bytes: int = MAX_REPLY_BYTES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # httpx's timeout is per read: a server that drips a byte every few seconds never
        # trips it. The deadline bounds the whole call, headers and body.
        self.deadline = deadline if deadline is not None else 2 * timeout
        self.max_reply_bytes = max_reply_bytes
        self._key = SecretStr(api_key) if api_key else None
        self._secret = SigningKey(api_secret) if api_secret else None
        register_secret(api_key)
        register_secret(api_secret)
        self.nonce = nonce or NonceSource()
        self.retry = retry or RetryPolicy()
        self.clock = clock or SystemClock()
        self._client = client or httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )
        self._private_lock = asyncio.Lock()
        self.gate: RequestGate = gate or NullGate()

    @property
    def has_credentials(self) -> bool:
        """True when a key and secret were given."""
        return self._key is not None and self._secret is not None

    def __repr__(self) -> str:
        return f"KrakenTransport(base_url={self.base_url!r}, credentials={self.has_credentials})"

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._client.aclose()

    def signature(self, path: str, nonce: int | str, body: str) -> str:
        """API-Sign of ``body`` for ``path`` with this transport's secret."""
        if self._secret is None:
            raise MissingCredentialError(
                "KRAKEN_API_SECRET is not set: private Kraken calls need an API key and secret"
            )
        return self._secret.sign(path, nonce, body)

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """Call any method once per policy: reads retried with backoff, order calls sent once."""
        params = dict(params or {})
        if method in ORDER_METHODS:
            return await self._once(method, params)
        return await retry_async(
            lambda: self._read_once(method, params),
            self.retry,
            clock=self.clock,
            # A local refusal is the gate's decision (refuse mode): hand it to the caller.
            retry_if=lambda e: not isinstance(e, LocalRateLimitError),
            on_retry=lambda e, n, w: log.warning(
                "kraken.retry", method=method, attempt=n, wait=round(w, 3), error=str(e)
            ),
        )

    async def _read_once(self, method: str, params: dict[str, Any]) -> Any:
        try:
            return await self._once(method, params)
        except InvalidNonceError:
            if is_public(method):
                raise
            # One immediate retry with a fresh (larger) nonce; a second failure propagates.
            log.warning("kraken.invalid_nonce_retry", method=method)
            try:
                return await self._once(method, params)
            except InvalidNonceError as again:
                again.retryable = False
                raise

    async def _once(self, method: str, params: dict[str, Any]) -> Any:
        symbol = params.get("pair") if isinstance(params.get("pair"), str) else None
        if method not in ORDER_METHODS:
            await self.gate.before_rest(method)
        try:
            return await self._send(method, params, symbol)
        except RateLimitError as exc:
            self.gate.on_rate_limited(exc, symbol)
            raise

    async def _send(self, method: str, params: dict[str, Any], symbol: str | None) -> Any:
        try:
            async with asyncio.timeout(self.deadline):
                if is_public(method):
                    request = self._client.build_request(
                        "GET", path_for(method), params=_query(params)
                    )
                    response = await self._client.send(request, stream=True)
                else:
                    response = await self._post(method, params)
                try:  # read outside the private lock: a stuck body blocks no other call
                    content = await self._read_capped(response, method)
                finally:
                    await response.aclose()
        except TimeoutError:
            what = f"gave no complete reply within {self.deadline:g} s"
            raise self._network(method, what) from None
        except httpx.TimeoutException as exc:
            raise self._network(method, f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise self._network(method, f"transport failed ({type(exc).__name__})") from None
        whole = httpx.Response(response.status_code, content=content, request=response.request)
        return parse_envelope(whole, method, symbol=symbol)

    async def _read_capped(self, response: httpx.Response, method: str) -> bytes:
        """The decoded body, refused as soon as it grows past ``max_reply_bytes``."""
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_reply_bytes:
                raise MalformedResponseError(
                    f"{method} reply is larger than {self.max_reply_bytes:,} bytes; refused "
                    "unread (a Kraken reply is far smaller)",
                    endpoint=method,
                    outcome_known=method not in ORDER_METHODS,
                    retryable=False,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _network(self, method: str, what: str) -> BrokerError:
        order_call = method in ORDER_METHODS
        return NetworkError(
            f"{method} {what}" + ("; the order outcome is unknown" if order_call else ""),
            endpoint=method,
            outcome_known=not order_call,
        )

    async def _post(self, method: str, params: dict[str, Any]) -> httpx.Response:
        if self._key is None or self._secret is None:
            raise MissingCredentialError(
                f"{method} is private: set KRAKEN_API_KEY and KRAKEN_API_SECRET"
            )
        path = path_for(method)
        async with self._private_lock:
            nonce = self.nonce.next()
            data = {"nonce": str(nonce), **params}
            if method in JSON_METHODS:
                body = json.dumps(data)
                content_type = "application/json"
            else:
                body = encode_form(data)
                content_type = "application/x-www-form-urlencoded; charset=utf-8"
            headers = {
                "API-Key": self._key.get_secret_value(),
                "API-Sign": self._secret.sign(path, nonce, body),
                "Content-Type": content_type,
            }
            request = self._client.build_request(
                "POST", path, content=body.encode(), headers=headers
            )
            # Only the headers are awaited under the lock (nonce order is arrival order).
            return await self._client.send(request, stream=True)


def _query(params: Mapping[str, Any]) -> dict[str, str]:
    return {k: _wire(v) for k, v in params.items() if v is not None}

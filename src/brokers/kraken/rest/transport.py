"""HTTP transport for Kraken REST: signing, envelopes, read retries, over one of two engines.

Kraken rejects a nonce smaller than one it already saw for the key, so signed calls must reach
it in nonce order. The default engine (``wire.WirePool``, keep-alive HTTP/1.1 on asyncio)
takes a free connection first, then assigns the nonce, signs and writes the whole request with
no ``await`` in between: requests enter the kernel in nonce order however many coroutines call
at once, and no lock spans the reply, so calls overlap on up to 20 connections. httpx is the
engine whenever it must be: a client was handed in, httpx is mocked (respx in the tests patches
httpcore's pool), or a proxy is configured; there a lock is held from the nonce until the
reply's headers arrive, as before (benchmarks/README.md, *Private REST*).
https://docs.kraken.com/api/docs/guides/spot-rest-intro
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import httpcore
import httpx
from pydantic import SecretStr

from src.brokers.kraken.constants import JSON_METHODS, ORDER_METHODS, is_public, path_for
from src.brokers.kraken.limits.gate import NullGate, RequestGate
from src.brokers.kraken.rest.auth import NonceSource, SigningKey
from src.brokers.kraken.rest.envelope import encode_form, parse_envelope, parse_reply, wire_value
from src.brokers.kraken.rest.wire import ReplyTooLargeError, WireError, WirePool, request_bytes
from src.core.clock import Clock, SystemClock
from src.core.errors import (
    BrokerError,
    InvalidNonceError,
    LocalRateLimitError,
    MalformedResponseError,
    MissingCredentialError,
    NetworkError,
    RateLimitError,
)
from src.utils.logging import get_logger, register_secret
from src.utils.retry import RetryPolicy, retry_async

USER_AGENT = "kraken-ml-trader/0.1"
#: The largest reply read (the full AssetPairs is about 1 MB); a bigger one is refused.
MAX_REPLY_BYTES = 16 * 1024 * 1024
log = get_logger(__name__)
#: httpcore's own pool method; anything else in its place means httpx is mocked (respx).
_HTTPCORE_SEND = httpcore.AsyncConnectionPool.handle_async_request
#: ``observer(method, seconds, ok)`` after each sent call (metrics); it must not raise.
RestObserver = Callable[[str, float, bool], None]


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
        overlap_private: bool = False,
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
        # Our own engine unless the caller chose the client or a proxy must be honoured
        # (httpx reads the proxy settings; the wire pool does not).
        proxied = bool(urllib.request.getproxies())
        self._pool = None if client is not None or proxied else WirePool(
            self.base_url, size=20, connect_timeout=timeout
        )  # fmt: skip
        self._private_lock = asyncio.Lock()  # httpx engine: nonce to reply headers
        self._order = asyncio.Lock()  # wire engine: nonce to the request in the kernel
        self.overlap_private = overlap_private
        self.gate: RequestGate = gate or NullGate()
        self.observer: RestObserver | None = None  # timing of each call, not its gate wait

    @property
    def has_credentials(self) -> bool:
        """True when a key and secret were given."""
        return self._key is not None and self._secret is not None

    def __repr__(self) -> str:
        return f"KrakenTransport(base_url={self.base_url!r}, credentials={self.has_credentials})"

    async def aclose(self) -> None:
        """Close the pooled connections."""
        if self._pool is not None:
            await self._pool.aclose()
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
            # INFO: a read retried and then answered is routine; one that runs out of attempts
            # raises to the caller, who reports it (a terminal shows WARNING and above).
            on_retry=lambda e, n, w: log.info(
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
        started, ok = time.perf_counter(), False
        try:
            result, ok = await self._send(method, params, symbol), True
            return result
        except RateLimitError as exc:
            self.gate.on_rate_limited(exc, symbol)
            raise
        finally:
            if self.observer is not None:
                self.observer(method, time.perf_counter() - started, ok)

    async def _send(self, method: str, params: dict[str, Any], symbol: str | None) -> Any:
        pool = self._pool
        if pool is not None and httpcore.AsyncConnectionPool.handle_async_request is _HTTPCORE_SEND:
            return await self._send_wire(pool, method, params, symbol)
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

    async def _send_wire(
        self, pool: WirePool, method: str, params: dict[str, Any], symbol: str | None
    ) -> Any:
        try:
            async with asyncio.timeout(self.deadline):
                conn = await pool.acquire()
                try:
                    if is_public(method):
                        query = urllib.parse.urlencode(_query(params))
                        target = pool.prefix + path_for(method) + (f"?{query}" if query else "")
                        head = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"}
                        reply = conn.send(
                            request_bytes("GET", target, pool.authority, head, b""),
                            self.max_reply_bytes,
                        )
                        status, _, content = await reply
                    elif self.overlap_private:
                        async with self._order:
                            # nonce, signature and write with no await between: nonce order
                            # is the order the requests enter the kernel; the key's nonce
                            # window absorbs what the network reorders after that
                            reply = conn.send(
                                self._signed(pool, method, params), self.max_reply_bytes
                            )
                            await _drained(conn)
                        status, _, content = await reply
                    else:
                        # No nonce window: a signed call leaves only once Kraken answered the
                        # previous one (its headers: the nonce is spent by then), or the
                        # network may deliver the later nonce first. The body is read outside
                        # the lock, so a stuck read blocks no other call.
                        async with self._private_lock:
                            reply = conn.send(
                                self._signed(pool, method, params), self.max_reply_bytes
                            )
                            await conn.head_seen.wait()
                        status, _, content = await reply
                finally:
                    pool.release(conn)
        except TimeoutError:
            what = f"gave no complete reply within {self.deadline:g} s"
            raise self._network(method, what) from None
        except ReplyTooLargeError:
            raise self._too_large(method) from None
        except WireError as exc:
            raise self._network(method, f"transport failed ({exc})") from None
        return parse_reply(status, content, method, symbol=symbol)

    def _signed(self, pool: WirePool, method: str, params: dict[str, Any]) -> bytes:
        """The whole signed request; nonce taken here, so call it right before the write."""
        if self._key is None or self._secret is None:
            raise MissingCredentialError(
                f"{method} is private: set KRAKEN_API_KEY and KRAKEN_API_SECRET"
            )
        path = path_for(method)
        nonce = self.nonce.next()
        body, content_type = _body(method, {"nonce": str(nonce), **params})
        headers = {
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "gzip",
            "API-Key": self._key.get_secret_value(),
            "API-Sign": self._secret.sign(path, nonce, body),
            "Content-Type": content_type,
        }
        return request_bytes("POST", pool.prefix + path, pool.authority, headers, body.encode())

    def _too_large(self, method: str) -> MalformedResponseError:
        return MalformedResponseError(
            f"{method} reply is larger than {self.max_reply_bytes:,} bytes; refused "
            "unread (a Kraken reply is far smaller)",
            endpoint=method,
            outcome_known=method not in ORDER_METHODS,
            retryable=False,
        )

    async def _read_capped(self, response: httpx.Response, method: str) -> bytes:
        """The decoded body, refused as soon as it grows past ``max_reply_bytes``."""
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_reply_bytes:
                raise self._too_large(method)
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
            body, content_type = _body(method, {"nonce": str(nonce), **params})
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
    return {k: wire_value(v) for k, v in params.items() if v is not None}


def _body(method: str, data: dict[str, Any]) -> tuple[str, str]:
    """The request body and its content type (JSON for the few methods that take JSON)."""
    if method in JSON_METHODS:
        return json.dumps(data), "application/json"
    return encode_form(data), "application/x-www-form-urlencoded; charset=utf-8"


async def _drained(conn: Any) -> None:
    # A Kraken request is far smaller than a socket buffer, so write() hands it all to the
    # kernel at once; should it not, the next nonce waits until this request has gone.
    transport = conn.transport
    # asyncio signals nothing below its high-water mark, so this looks every millisecond
    while transport is not None and transport.get_write_buffer_size() and not conn.closed:  # noqa: ASYNC110
        await asyncio.sleep(0.001)

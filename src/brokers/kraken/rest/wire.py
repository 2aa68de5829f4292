"""A small keep-alive HTTP/1.1 client for Kraken REST, written for one property and for speed.

Why not httpx here (benchmarks/README.md, *Private REST*): Kraken wants nonces to arrive in
increasing order per key. This client writes a whole request with one synchronous
``transport.write`` on a connection it already holds, so a caller that takes its nonce and
writes with no ``await`` in between puts its bytes in the kernel in nonce order, and no lock
has to span the reply: callers overlap on several connections and still arrive in order. The
httpx/httpcore/h11/anyio stack cannot promise that (headers and body are separate awaited
writes) and costs several times the CPU per call. ``KrakenTransport`` still sends through httpx
whenever httpx is mocked (respx in tests) or a client was handed in.

Scope: what Kraken answers with: ``Content-Length`` or chunked bodies, optional gzip, keep-alive
or ``Connection: close``, TLS. No proxies (``KrakenTransport`` uses httpx when one is set), no
HTTP/2, no 1xx, no redirects.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import zlib
from collections import deque
from urllib.parse import urlsplit

import certifi  # httpx's own CA bundle (certifi comes with httpx)

__all__ = [
    "Connection",
    "ReplyTooLargeError",
    "WireError",
    "WirePool",
    "request_bytes",
    "tls_context",
]


class WireError(ConnectionError):
    """The connection failed or the reply broke HTTP/1.1 framing (outcome unknown)."""


class ReplyTooLargeError(ValueError):
    """The reply body would exceed the caller's limit; it was not read."""


def request_bytes(
    method: str, target: str, host: str, headers: dict[str, str], body: bytes
) -> bytes:
    """One HTTP/1.1 request, head and body, ready for a single write."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Connection(asyncio.Protocol):
    """One keep-alive connection; one request at a time, its reply parsed as it arrives."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.reusable = False
        self._buffer = bytearray()
        self._reply: asyncio.Future[tuple[int, dict[str, str], bytes]] | None = None
        self._head: tuple[int, dict[str, str]] | None = None
        self._limit = 0
        self._closed = False
        self.head_seen = asyncio.Event()
        """Set once the reply's status line and headers arrived (or the request failed)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport (asyncio calls this once connected)."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        """A reply that runs until close ends here; any other pending reply fails."""
        self._closed = True
        self.reusable = False
        self.head_seen.set()
        if self._reply is None or self._reply.done():
            return
        try:
            if self._head is not None and self._complete(until_close=True):
                return
        except (WireError, ReplyTooLargeError) as error:
            self._reply.set_exception(error)
            return
        self._reply.set_exception(WireError(f"connection closed before the reply ({exc})"))

    @property
    def closed(self) -> bool:
        """True once the peer or we closed the socket."""
        return self._closed or self.transport is None or self.transport.is_closing()

    def send(self, raw: bytes, limit: int) -> asyncio.Future[tuple[int, dict[str, str], bytes]]:
        """Write one request now (synchronously) and return the future of its reply.

        Returns:
            ``(status, headers lower-cased, body decoded from gzip when sent so)``.
        """
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        self._reply = loop.create_future()
        self._head, self._limit, self.reusable = None, limit, False
        self.head_seen = asyncio.Event()
        self._buffer.clear()
        self.transport.write(raw)  # to the kernel now, unless its buffer is full
        return self._reply

    def data_received(self, data: bytes) -> None:
        """Parse the reply as it arrives; deliver it once complete."""
        self._buffer += data
        if self._reply is None or self._reply.done():
            return
        try:
            if self._head is None and not self._parse_head():
                return
            self.head_seen.set()
            self._complete(until_close=False)
        except (WireError, ReplyTooLargeError) as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        self.head_seen.set()
        if self._reply is not None and not self._reply.done():
            self._reply.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    def _parse_head(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > 65536:
                raise WireError("reply headers larger than 64 KiB")
            return False
        lines = bytes(self._buffer[:end]).decode("latin-1").split("\r\n")
        del self._buffer[: end + 4]
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise WireError(f"not an HTTP/1.1 status line: {lines[0][:80]!r}")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self._limit):
            raise ReplyTooLargeError(f"reply of {length} bytes is over the limit")
        self._head = (int(parts[1]), headers)
        return True

    def _complete(self, until_close: bool) -> bool:
        """Deliver the reply if its body is complete; True when delivered."""
        assert self._head is not None and self._reply is not None
        status, headers = self._head
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._dechunk()
            if body is None:
                return False
        elif "content-length" in headers:
            length = int(headers["content-length"])
            if len(self._buffer) < length:
                return False
            body = bytes(self._buffer[:length])
        elif status in (204, 304):
            body = b""
        else:  # no framing: the body runs until the server closes
            if len(self._buffer) > self._limit:
                raise ReplyTooLargeError("reply is over the limit")
            if not until_close:
                return False
            body = bytes(self._buffer)
        if "gzip" in headers.get("content-encoding", "").lower():
            body = self._gunzip(body)
        self.reusable = not self._closed and headers.get("connection", "").lower() != "close"
        self._reply.set_result((status, headers, body))
        return True

    def _dechunk(self) -> bytes | None:
        out, pos, buf = bytearray(), 0, self._buffer
        while True:
            end = buf.find(b"\r\n", pos)
            if end < 0:
                return None
            size_text = bytes(buf[pos:end]).split(b";")[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise WireError(f"bad chunk size {size_text[:20]!r}") from None
            if size == 0:  # then optional trailers, then an empty line
                return bytes(out) if buf.find(b"\r\n\r\n", end) >= 0 else None
            if len(buf) < end + 2 + size + 2:
                return None
            out += buf[end + 2 : end + 2 + size]
            if len(out) > self._limit:
                raise ReplyTooLargeError("chunked reply is over the limit")
            pos = end + 2 + size + 2

    def _gunzip(self, body: bytes) -> bytes:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out = inflater.decompress(body, self._limit + 1)
        except zlib.error as exc:
            raise WireError(f"bad gzip body ({exc})") from None
        if len(out) > self._limit:
            raise ReplyTooLargeError("reply is over the limit once decompressed")
        return out


def tls_context() -> ssl.SSLContext:
    """The certificates httpx would trust: ``SSL_CERT_FILE``/``SSL_CERT_DIR``, else certifi's."""
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    return ssl.create_default_context(cafile=certifi.where())


class WirePool:
    """Keep-alive connections to one origin (``https://api.kraken.com``), at most ``size``.

    Args:
        base_url: scheme, host and optional port.
        size: most connections open at once; more callers wait for a free one.
        connect_timeout: seconds to open a connection (TCP and TLS).
    """

    def __init__(self, base_url: str, *, size: int = 20, connect_timeout: float = 10.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url: expected http(s)://host, got {base_url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        default = parts.port is None
        self.authority = self.host if default else f"{self.host}:{self.port}"
        self.prefix = parts.path.rstrip("/")
        self._tls = parts.scheme == "https"
        self._ssl: ssl.SSLContext | None = None  # made on the first connect (~40 ms to load)
        self.connect_timeout = connect_timeout
        self._idle: deque[Connection] = deque()
        self._slots = asyncio.Semaphore(size)
        self.opened = 0  # connections ever opened (tests read it)

    async def acquire(self) -> Connection:
        """An idle connection, or a new one (waits while ``size`` are busy)."""
        await self._slots.acquire()
        try:
            while self._idle:
                conn = self._idle.pop()  # the most recently used: least likely closed by now
                if not conn.closed:
                    return conn
            return await self._open()
        except BaseException:
            self._slots.release()
            raise

    def release(self, conn: Connection) -> None:
        """Give ``conn`` back: kept if its reply was complete and the server keeps it open."""
        if conn.reusable and not conn.closed:
            self._idle.append(conn)
        elif conn.transport is not None:
            conn.transport.close()
        self._slots.release()

    async def _open(self) -> Connection:
        loop = asyncio.get_running_loop()
        if self._tls and self._ssl is None:
            self._ssl = tls_context()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, conn = await loop.create_connection(
                    Connection, self.host, self.port, ssl=self._ssl,
                    server_hostname=self.host if self._ssl else None,
                )  # fmt: skip
        except TimeoutError:
            raise WireError(f"connect to {self.authority} timed out") from None
        except OSError as exc:
            raise WireError(f"connect to {self.authority} failed ({exc})") from exc
        self.opened += 1
        return conn

    async def aclose(self) -> None:
        """Close every idle connection."""
        while self._idle:
            conn = self._idle.pop()
            if conn.transport is not None:
                conn.transport.close()

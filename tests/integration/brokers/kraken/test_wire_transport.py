"""The wire engine of ``KrakenTransport`` over loopback: framing, limits, errors, nonce order.

respx-based tests see the httpx engine (respx patches httpcore); these run the default engine
(``rest/wire.py``) against small aiohttp servers, as production does against Kraken (issue 19).
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import respx
from aiohttp import web

from src.brokers.kraken.rest.transport import KrakenTransport
from src.core.errors import MalformedResponseError, NetworkError
from src.utils.retry import RetryPolicy
from tests.unit.brokers.kraken.kraken_helpers import API_KEY, DOC_SECRET

OK = {"error": [], "result": {"ZUSD": "1000.0"}}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


def _transport(url: str, **options: Any) -> KrakenTransport:
    transport = KrakenTransport(url, API_KEY, DOC_SECRET, **options)
    assert transport._pool is not None  # the wire engine, not httpx
    return transport


async def test_public_get_with_query_and_gzip(serve: Any) -> None:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.path_qs)
        assert "gzip" in request.headers["Accept-Encoding"]
        body = gzip.compress(json.dumps({"error": [], "result": {"pair": "XBTUSD"}}).encode())
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    transport = _transport(await serve(handler))
    assert await transport.call("Ticker", {"pair": "XBTUSD"}) == {"pair": "XBTUSD"}
    assert seen == ["/0/public/Ticker?pair=XBTUSD"]
    await transport.aclose()


async def test_chunked_reply_and_keep_alive(serve: Any) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        text = json.dumps(OK).encode()
        for start in range(0, len(text), 7):
            await response.write(text[start : start + 7])
        await response.write_eof()
        return response

    transport = _transport(await serve(handler))
    for _ in range(3):
        assert await transport.call("Balance") == OK["result"]
    assert transport._pool is not None and transport._pool.opened == 1  # one connection, reused
    await transport.aclose()


async def test_connection_close_opens_a_new_connection(serve: Any) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(OK, headers={"Connection": "close"})

    transport = _transport(await serve(handler))
    for _ in range(2):
        assert await transport.call("Balance") == OK["result"]
    assert transport._pool is not None and transport._pool.opened == 2
    await transport.aclose()


@pytest.mark.parametrize("chunked", [False, True])
async def test_oversized_reply_is_refused_unread(serve: Any, chunked: bool) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        if chunked:
            response.enable_chunked_encoding()
        else:
            response.content_length = 5000
        await response.prepare(request)
        await response.write(b"x" * 5000)
        return response

    transport = _transport(await serve(handler), max_reply_bytes=1000)
    with pytest.raises(MalformedResponseError, match="larger than 1,000 bytes"):
        await transport.call("Balance")
    await transport.aclose()


async def test_lost_reply_to_an_order_is_outcome_unknown(serve: Any) -> None:
    async def handler(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()  # executed, say, but the reply never leaves
        raise asyncio.CancelledError

    transport = _transport(await serve(handler))
    with pytest.raises(NetworkError) as caught:
        await transport.call("AddOrder", {"pair": "XBTUSD", "type": "buy"})
    assert caught.value.outcome_known is False
    await transport.aclose()


async def test_a_dripping_reply_hits_the_deadline(serve: Any) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = 100
        await response.prepare(request)
        for _ in range(100):
            await response.write(b" ")
            await asyncio.sleep(0.05)
        return response

    transport = _transport(await serve(handler), deadline=0.3)
    with pytest.raises(NetworkError, match=r"no complete reply within 0\.3 s"):
        await transport.call("AddOrder", {"pair": "XBTUSD"})
    await transport.aclose()


async def test_concurrent_signed_calls_arrive_in_nonce_order(serve: Any) -> None:
    """Overlapping calls over several connections, every nonce above the one before it."""
    arrived: list[int] = []

    async def handler(request: web.Request) -> web.Response:
        body = (await request.read()).decode()
        arrived.append(int(dict(x.split("=") for x in body.split("&"))["nonce"]))
        await asyncio.sleep(0.01)  # replies overlap, so more connections are opened
        return web.json_response(OK)

    transport = _transport(await serve(handler), overlap_private=True)  # a key with a window
    await asyncio.gather(*(transport.call("Balance") for _ in range(120)))
    assert len(arrived) == 120 and arrived == sorted(arrived) and len(set(arrived)) == 120
    assert transport._pool is not None and transport._pool.opened > 5
    await transport.aclose()


@pytest.mark.parametrize("overlap", [False, True])
async def test_signed_calls_overlap_only_for_a_key_with_a_nonce_window(
    serve: Any, overlap: bool
) -> None:
    """Without a nonce window the next signed call leaves only after the last one's headers.

    Kraken's front end may deliver a later nonce first when two requests are in flight on
    different connections; the earlier then fails with EAPI:Invalid nonce, and repeated
    failures lock the key out.
    """
    in_flight, most = 0, 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        response = web.StreamResponse()
        response.content_length = len(json.dumps(OK))
        await response.prepare(request)
        await asyncio.sleep(0.05)  # a slow body: read outside the lock either way
        await response.write(json.dumps(OK).encode())
        return response

    transport = _transport(await serve(handler), overlap_private=overlap)
    await asyncio.gather(*(transport.call("Balance") for _ in range(6)))
    await transport.aclose()
    assert (most > 1) is overlap


async def test_httpx_engine_when_mocked_or_proxied(monkeypatch: pytest.MonkeyPatch) -> None:
    transport = KrakenTransport("https://api.kraken.test", API_KEY, DOC_SECRET)
    with respx.mock(base_url="https://api.kraken.test") as router:
        route = router.post("/0/private/Balance").mock(return_value=httpx.Response(200, json=OK))
        assert await transport.call("Balance") == OK["result"]
        assert route.called  # respx still shapes the reply
    await transport.aclose()
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    proxied = KrakenTransport("https://api.kraken.test", API_KEY, DOC_SECRET)
    assert proxied._pool is None  # the proxy is httpx's to honour
    await proxied.aclose()


def _self_signed(folder: Any) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, written to ``folder``."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


async def test_tls_checks_the_certificate(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over TLS the wire engine trusts what httpx would (here SSL_CERT_FILE), nothing else."""
    import ssl

    cert, key = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)

    async def handler(request: web.Request) -> web.Response:
        return web.json_response(OK)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_tls)
    await site.start()
    url = f"https://127.0.0.1:{runner.addresses[0][1]}"
    try:
        untrusted = _transport(url, retry=RetryPolicy(max_attempts=1))
        with pytest.raises(NetworkError, match="transport failed"):
            await untrusted.call("Balance")  # a certificate nobody vouches for
        await untrusted.aclose()
        monkeypatch.setenv("SSL_CERT_FILE", cert)
        trusted = _transport(url)
        assert await trusted.call("Balance") == OK["result"]
        await trusted.aclose()
    finally:
        await runner.cleanup()

"""Kraken Futures ``Authent`` signing, the WebSocket challenge signature, and nonces.

``Authent = base64(HMAC-SHA512(base64decode(secret), SHA256(postData + Nonce + endpointPath)))``
where ``endpointPath`` is the URL path without ``/derivatives`` (``/api/v3/sendorder``) and
``postData`` the url-encoded parameters exactly as sent. The challenge signature is the same
construction over the challenge text alone.
https://docs.kraken.com/api/docs/guides/futures-rest (Authentication) and
https://docs.kraken.com/api/docs/guides/futures-websockets (Sign challenge).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable

from src.core.errors import ConfigurationError

__all__ = ["NonceSource", "SigningKey", "decode_secret", "sign_challenge", "sign_request"]


def decode_secret(secret: str) -> bytes:
    """Decode a base64 API secret; a bad one is a configuration error and is never echoed."""
    try:
        return base64.b64decode(secret.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(
            "KRAKEN_FUTURES_API_SECRET is not valid base64; copy the private key exactly as "
            "Kraken Futures shows it"
        ) from None


def _authent(message: str, key: bytes) -> str:
    digest = hashlib.sha256(message.encode()).digest()
    return base64.b64encode(hmac.new(key, digest, hashlib.sha512).digest()).decode()


def sign_request(endpoint_path: str, nonce: str, post_data: str, secret: bytes | str) -> str:
    """Return ``Authent`` for one private REST request.

    Args:
        endpoint_path: the request path with ``/derivatives`` stripped (``/api/v3/openorders``)
            or a history path as sent (``/api/history/v2/account-log``).
        nonce: the ``Nonce`` header's value, or ``""`` when none is sent.
        post_data: the url-encoded parameters exactly as they go on the wire.
        secret: the base64 API secret, or its decoded bytes.
    """
    key = decode_secret(secret) if isinstance(secret, str) else secret
    return _authent(post_data + nonce + endpoint_path, key)


def sign_challenge(challenge: str, secret: bytes | str) -> str:
    """Return ``signed_challenge`` for the WebSocket ``challenge`` message's UUID."""
    key = decode_secret(secret) if isinstance(secret, str) else secret
    return _authent(challenge, key)


class SigningKey:
    """A decoded API secret that never shows itself in a repr, str or traceback."""

    __slots__ = ("_key",)

    def __init__(self, secret: str) -> None:
        self._key = decode_secret(secret)

    def __repr__(self) -> str:
        return "SigningKey(***)"

    __str__ = __repr__

    def sign(self, endpoint_path: str, nonce: str, post_data: str) -> str:
        """``Authent`` for one request (see :func:`sign_request`)."""
        return sign_request(endpoint_path, nonce, post_data, self._key)

    def sign_challenge(self, challenge: str) -> str:
        """``signed_challenge`` for one WebSocket challenge."""
        return sign_challenge(challenge, self._key)


class NonceSource:
    """Strictly increasing nonces in milliseconds, as Kraken's REST guide asks.

    "a continuously incrementing integer ... system time in milliseconds (in string format)".
    Bumped by one whenever the clock has not moved on (or went back), so two calls never
    share a nonce.
    """

    def __init__(self, time_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000) -> None:
        self._time_ms = time_ms
        self._last = 0

    def next(self) -> str:
        """Return a nonce larger than every one returned before, as text."""
        now = self._time_ms()
        self._last = now if now > self._last else self._last + 1
        return str(self._last)

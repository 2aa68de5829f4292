"""Kraken spot REST signing (API-Sign) and a strictly increasing per-key nonce source.

https://docs.kraken.com/api/docs/guides/spot-rest-auth
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable

from src.brokers.kraken.constants import NANOSECONDS
from src.core.errors import ConfigurationError

"""Default nonce scale (ticks per second): what Kraken's own examples use (``time.time_ns()``)."""

MILLISECONDS = 1_000


def decode_secret(secret: str) -> bytes:
    """Decode a Kraken API secret (base64); a bad secret is a configuration error, never echoed."""
    try:
        return base64.b64decode(secret.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(
            "KRAKEN_API_SECRET is not valid base64; copy the private key exactly as Kraken shows it"
        ) from None


class SigningKey:
    """A decoded API secret that never shows itself in a repr, str or traceback local."""

    __slots__ = ("_key",)

    def __init__(self, secret: str) -> None:
        self._key = decode_secret(secret)

    def __repr__(self) -> str:
        return "SigningKey(***)"

    __str__ = __repr__

    def sign(self, path: str, nonce: int | str, body: str) -> str:
        """API-Sign of ``body`` for ``path`` (see :func:`sign`)."""
        return sign(path, nonce, body, self._key)


def sign(path: str, nonce: int | str, body: str, secret: bytes | str) -> str:
    """Return Kraken's ``API-Sign`` for one private request.

    ``base64(HMAC-SHA512(base64decode(secret), path + SHA256(nonce + body)))``.

    Args:
        path: URI path starting at ``/0/private/``.
        nonce: the nonce that is also inside ``body``.
        body: the request body exactly as sent (form string or JSON text).
        secret: the API secret, base64 text or already decoded bytes.
    """
    key = decode_secret(secret) if isinstance(secret, str) else secret
    digest = hashlib.sha256((str(nonce) + body).encode()).digest()
    mac = hmac.new(key, path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


class NonceSource:
    """Strictly increasing nonces for one API key, from wall-clock time at a chosen scale.

    Kraken rejects a nonce that is not above the last one it saw for the key. Time at
    ``scale`` ticks per second is used, bumped by one whenever the clock has not moved on
    (or went backwards), so two calls never return the same value.

    Warning: once a key has seen nonces at a larger scale it cannot go back to a smaller one.
    """

    def __init__(self, scale: int = NANOSECONDS, time_ns: Callable[[], int] = time.time_ns) -> None:
        if scale <= 0 or NANOSECONDS % scale:
            raise ConfigurationError(
                f"nonce scale {scale}: must divide 1e9 (1000 = ms, 1000000000 = ns)"
            )
        self.scale = scale
        self._time_ns = time_ns
        self._last = 0

    def next(self) -> int:
        """Return a nonce larger than every nonce returned before."""
        now = self._time_ns() // (NANOSECONDS // self.scale)
        self._last = now if now > self._last else self._last + 1
        return self._last

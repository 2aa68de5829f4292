"""The venue's own ``Authent`` and challenge verification, nonce rules and API keys.

Written independently of the adapter's signer (a shared bug would let both agree on a wrong
signature). Kraken's REST guide says what is hashed: ``postData + Nonce + endpointPath``
with ``/derivatives`` removed from the path; clients differ on what ``postData`` is
(shared/kraken-futures-api.md 2.1: python-kraken-sdk signs the query or body, ccxt puts POST
parameters in the query and sends no Nonce, kraken-cli signs ``""`` for GETs), so every one of
those readings is tried, url-encoded as sent and, as Kraken still accepts, decoded.

Nonce model (Kraken documents the errors, not the window): a nonce already accepted in the
last 10,000 is ``nonceDuplicate``; one more than 10,000 below the highest seen (10 s at the
documented millisecond scale) is ``nonceBelowThreshold``. No Nonce header is allowed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections import deque
from dataclasses import dataclass, field

__all__ = ["ApiKey", "AuthFailure", "KeyRing"]

NONCE_MEMORY = 10_000
NONCE_TOLERANCE = 10_000


class AuthFailure(Exception):
    """A request failed authentication; ``error`` is Kraken's error text."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _digest(message: bytes, secret: bytes) -> bytes:
    inner = hashlib.sha256(message).digest()
    return hmac.new(secret, inner, hashlib.sha512).digest()


@dataclass
class ApiKey:
    """One key pair of an account, with its nonce history and open challenges."""

    key: str
    secret: str
    account: str
    highest_nonce: int = 0
    recent: deque[int] = field(default_factory=lambda: deque(maxlen=NONCE_MEMORY))
    challenges: set[str] = field(default_factory=set)

    @property
    def secret_bytes(self) -> bytes:
        """The decoded secret."""
        return base64.b64decode(self.secret)

    def matches(self, message: str, authent: str) -> bool:
        """True when ``authent`` is the HMAC of ``message`` under this key."""
        try:
            given = base64.b64decode(authent, validate=True)
        except ValueError:
            return False
        return hmac.compare_digest(_digest(message.encode(), self.secret_bytes), given)

    def check_nonce(self, nonce: str) -> None:
        """Accept ``nonce`` (or raise ``AuthFailure``); an empty nonce is allowed."""
        if nonce == "":
            return
        if not nonce.isdigit():
            raise AuthFailure("authenticationError")
        value = int(nonce)
        if value in self.recent:
            raise AuthFailure("nonceDuplicate")
        if value < self.highest_nonce - NONCE_TOLERANCE:
            raise AuthFailure("nonceBelowThreshold")
        self.recent.append(value)
        self.highest_nonce = max(self.highest_nonce, value)


def _variants(text: str) -> list[str]:
    from urllib.parse import unquote_plus

    decoded = unquote_plus(text)
    return [text] if decoded == text else [text, decoded]


class KeyRing:
    """The venue's API keys; verifies REST requests and WebSocket challenges."""

    def __init__(self) -> None:
        self.keys: dict[str, ApiKey] = {}

    def create(self, account: str, key: str | None = None, secret: str | None = None) -> ApiKey:
        """Add a key for ``account`` (fresh random key and 64-byte secret unless given)."""
        api_key = ApiKey(
            key=key or secrets.token_urlsafe(40),
            secret=secret or base64.b64encode(secrets.token_bytes(64)).decode(),
            account=account,
        )
        self.keys[api_key.key] = api_key
        return api_key

    def verify(
        self, key: str, authent: str, nonce: str, path: str, query: str, body: str, method: str
    ) -> ApiKey:
        """The key a signed REST request belongs to.

        Raises:
            AuthFailure: unknown key, no signature matches, or the nonce is refused.
        """
        api_key = self.keys.get(key)
        if api_key is None or not authent:
            raise AuthFailure("authenticationError")
        endpoint_path = path.removeprefix("/derivatives")
        datas = {query, body, query + body}
        if method == "GET":
            datas.add("")
        candidates = {v for d in datas for v in _variants(d)}
        nonces = {nonce, ""}
        if not any(
            api_key.matches(data + n + endpoint_path, authent)
            for data in candidates
            for n in nonces
        ):
            raise AuthFailure("authenticationError")
        api_key.check_nonce(nonce)
        return api_key

    def challenge(self, key: str) -> str:
        """A fresh challenge UUID for ``key``.

        Raises:
            AuthFailure: unknown key.
        """
        api_key = self.keys.get(key)
        if api_key is None:
            raise AuthFailure("Json Error")
        text = str(uuid.uuid4())
        api_key.challenges.add(text)
        return text

    def verify_challenge(self, key: str, original: str, signed: str) -> ApiKey:
        """The key whose challenge ``original`` is signed by ``signed``.

        Raises:
            AuthFailure: unknown key, a challenge this venue never issued, or a bad signature.
        """
        api_key = self.keys.get(key)
        if api_key is None or original not in api_key.challenges:
            raise AuthFailure("Json Error")
        if not api_key.matches(original, signed):
            raise AuthFailure("Json Error")
        return api_key

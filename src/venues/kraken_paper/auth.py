"""Independent Kraken spot REST signature and nonce checks, API keys and WebSocket tokens.

Deliberately shares no code with ``src.brokers.kraken`` so a signing bug cannot hide in both.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from src.venues.kraken_paper import errors as E
from src.venues.kraken_paper.errors import KrakenError

PERMISSIONS: frozenset[str] = frozenset(
    {
        "query_funds",
        "query_open_orders",
        "query_closed_orders",
        "create_orders",
        "cancel_orders",
        "websocket",
    }
)
TOKEN_TTL_S = 900.0


def sign(path: str, nonce: str, body: bytes, secret_b64: str) -> str:
    """Compute Kraken's ``API-Sign`` for a private REST call.

    ``base64(HMAC-SHA512(base64decode(secret), path + SHA256(nonce + body)))``.

    Args:
        path: URI path, e.g. ``/0/private/AddOrder``.
        nonce: The nonce exactly as it appears in the body.
        body: The raw request body bytes.
        secret_b64: The API secret, base64.
    """
    digest = hashlib.sha256(nonce.encode() + body).digest()
    mac = hmac.new(base64.b64decode(secret_b64), path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


def extract_nonce(body: bytes, content_type: str) -> str | None:
    """Read ``nonce`` from a form or JSON body without re-encoding it (None if absent)."""
    text = body.decode("utf-8", errors="replace")
    if "json" in content_type or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        value = data.get("nonce") if isinstance(data, dict) else None
        return None if value is None or isinstance(value, bool) else str(value)
    values = parse_qs(text, keep_blank_values=True).get("nonce")
    return values[0] if values else None


@dataclass
class ApiKey:
    """One API key: its secret, permissions, owning account and nonce high-water mark."""

    key: str
    secret: str
    account_id: str
    permissions: frozenset[str] = PERMISSIONS
    last_nonce: int = 0

    def __repr__(self) -> str:
        return f"ApiKey(key={self.key[:6]}..., account_id={self.account_id!r})"


@dataclass
class KeyStore:
    """API keys and WebSocket tokens of the exchange."""

    keys: dict[str, ApiKey] = field(default_factory=dict)
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)

    def create(
        self,
        account_id: str,
        permissions: frozenset[str] | set[str] | None = None,
        key: str | None = None,
        secret: str | None = None,
    ) -> ApiKey:
        """Create (or replace) a key; fresh random key/secret unless given."""
        perms = frozenset(permissions) if permissions is not None else PERMISSIONS
        unknown = perms - PERMISSIONS
        if unknown:
            raise ValueError(f"unknown permissions: {sorted(unknown)}")
        api_key = ApiKey(
            key=key or base64.b64encode(secrets.token_bytes(42)).decode(),
            secret=secret or base64.b64encode(secrets.token_bytes(64)).decode(),
            account_id=account_id,
            permissions=perms,
        )
        self.keys[api_key.key] = api_key
        return api_key

    def authenticate(
        self, key: str | None, signature: str | None, path: str, body: bytes, content_type: str
    ) -> ApiKey:
        """Check key, signature (over the raw body) and nonce the way Kraken does.

        Raises:
            KrakenError: ``EAPI:Invalid key``, ``EAPI:Invalid signature`` or ``EAPI:Invalid nonce``.
        """
        api_key = self.keys.get(key or "")
        if api_key is None:
            raise KrakenError(E.INVALID_KEY)
        nonce = extract_nonce(body, content_type)
        if nonce is None or not signature:
            raise KrakenError(E.INVALID_SIGNATURE if nonce else E.INVALID_NONCE)
        try:
            expected = sign(path, nonce, body, api_key.secret)
        except (binascii.Error, ValueError):
            raise KrakenError(E.INVALID_SIGNATURE) from None
        if not hmac.compare_digest(expected, signature.strip()):
            raise KrakenError(E.INVALID_SIGNATURE)
        try:
            value = int(nonce)
        except ValueError:
            raise KrakenError(E.INVALID_NONCE) from None
        if value <= api_key.last_nonce or value >= 2**64:
            raise KrakenError(E.INVALID_NONCE)
        api_key.last_nonce = value
        return api_key

    @staticmethod
    def require(api_key: ApiKey, permission: str) -> None:
        """Raise ``EGeneral:Permission denied`` unless the key holds ``permission``.

        ``permission`` may list alternatives separated by ``|`` (any one suffices).
        """
        if not api_key.permissions & set(permission.split("|")):
            raise KrakenError(E.PERMISSION_DENIED)

    def issue_token(self, api_key: ApiKey, now: float) -> str:
        """Issue a WebSocket token for the key's account (GetWebSocketsToken)."""
        self.require(api_key, "websocket")
        token = base64.b64encode(secrets.token_bytes(30)).decode().rstrip("=")
        self.tokens[token] = (api_key.account_id, now)
        return token

    def validate_token(self, token: str, now: float) -> str:
        """Return the account id a token belongs to.

        A token must be used within 15 minutes of issue; the WS server keeps an authenticated
        connection alive past that (Kraken's rule), so it validates only at subscribe time.

        Raises:
            KrakenError: ``ESession:Invalid session``.
        """
        entry = self.tokens.get(token)
        if entry is None or now - entry[1] > TOKEN_TTL_S:
            raise KrakenError(E.INVALID_SESSION)
        return entry[0]

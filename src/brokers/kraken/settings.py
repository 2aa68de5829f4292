"""Every ``KRAKEN_*`` setting except the credentials, read once from the environment and ``.env``.

Precedence, highest first: a constructor argument (``base_url=``, ``gate=``...), the process
environment, ``.env`` in the working directory, the default below. A blank value
(``KRAKEN_API_URL=``, as ``.env.example`` ships) counts as not given at that level. The
credentials (``KRAKEN_API_KEY``, ``KRAKEN_API_SECRET``) stay in
:class:`~src.brokers.credentials.BrokerCredentials`, the one place that holds secrets.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from src.brokers.kraken.constants import (
    DEFAULT_REST_URL,
    DEFAULT_WS_AUTH_URL,
    DEFAULT_WS_URL,
    NANOSECONDS,
)
from src.brokers.kraken.rate_costs import (
    DEFAULT_HISTORY_COST,
    DEFAULT_SAFETY_MARGIN,
    RateLimitMode,
    Tier,
)
from src.core.errors import ConfigurationError

__all__ = ["ENV_PREFIX", "KrakenSettings"]

ENV_PREFIX = "KRAKEN_"


class KrakenSettings(BaseSettings):
    """Kraken client settings; frozen, so one instance can be handed to every component.

    Attributes:
        api_url: ``KRAKEN_API_URL``: REST root (the paper exchange's to trade on paper).
        ws_url: ``KRAKEN_WS_URL``: public WebSocket v2 URL.
        ws_auth_url: ``KRAKEN_WS_AUTH_URL``: private WebSocket v2 URL.
        tier: ``KRAKEN_TIER``: starter (default), intermediate or pro.
        rate_limit_mode: ``KRAKEN_RATE_LIMIT_MODE``: ``wait`` (default) or ``refuse``.
        history_call_cost: ``KRAKEN_HISTORY_CALL_COST``: REST cost of Ledgers, TradesHistory
            and QueryLedgers (default 2; one Kraken page says 4).
        rate_limit_margin: ``KRAKEN_RATE_LIMIT_MARGIN``: seconds of decay kept in hand below
            each limit (default 0.1).
        nonce_scale: ``KRAKEN_NONCE_SCALE``: nonce ticks per second, a divisor of 1e9
            (default 1e9). A key that has seen a larger scale cannot go back to a smaller one.
        nonce_window: ``KRAKEN_NONCE_WINDOW``: the nonce window set on the key at Kraken, in
            nonce ticks (default 0, none). Only with a window may signed calls overlap on
            several connections: without one, a later nonce that arrives first (another
            connection, a proxy, Kraken's own front end) fails the earlier call with
            ``EAPI:Invalid nonce``, and repeated ones lock the key out.

    Raises:
        ConfigurationError: on construction, when a value is invalid; the message names the
            variable.
    """

    # The same file, encoding and precedence (environment over .env) as BrokerCredentials, so
    # a value means the same thing wherever the user put it.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    api_url: str = DEFAULT_REST_URL
    ws_url: str = DEFAULT_WS_URL
    ws_auth_url: str = DEFAULT_WS_AUTH_URL
    tier: Tier = "starter"
    rate_limit_mode: RateLimitMode = "wait"
    history_call_cost: float = Field(default=DEFAULT_HISTORY_COST, ge=0)
    rate_limit_margin: float = Field(default=DEFAULT_SAFETY_MARGIN, ge=0)
    nonce_scale: int = NANOSECONDS
    nonce_window: int = Field(default=0, ge=0)

    def __init__(self, **values: Any) -> None:
        # Callers get the project's configuration error, naming the variable to fix, instead
        # of pydantic's report that speaks of field names the user never typed.
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigurationError(_describe(exc)) from None

    @model_validator(mode="before")
    @classmethod
    def _blank_means_default(cls, data: Any) -> Any:
        # env_ignore_empty drops "" but not "  "; a whitespace-only value is just as unset.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("tier", "rate_limit_mode", mode="before")
    @classmethod
    def _lowercase(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return _check_scheme(value, ("http://", "https://")).rstrip("/")

    @field_validator("ws_url", "ws_auth_url")
    @classmethod
    def _ws_url(cls, value: str) -> str:
        return _check_scheme(value, ("ws://", "wss://"))

    @field_validator("nonce_scale")
    @classmethod
    def _divides_a_second(cls, value: int) -> int:
        if value <= 0 or NANOSECONDS % value:
            raise ValueError("must divide 1000000000, e.g. 1000 (ms) or 1000000000 (ns)")
        return value


def _check_scheme(value: str, schemes: tuple[str, ...]) -> str:
    # httpx and websockets fail far from the cause on a URL without a scheme ("127.0.0.1:8080").
    if not value.lower().startswith(schemes):
        raise ValueError(f"must start with {' or '.join(schemes)}")
    return value


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        loc = error["loc"]
        name = f"{ENV_PREFIX}{str(loc[0]).upper()}" if loc else "Kraken settings"
        parts.append(f"{name}={error.get('input')!r}: {error['msg']}")
    return "invalid Kraken setting: " + "; ".join(parts)

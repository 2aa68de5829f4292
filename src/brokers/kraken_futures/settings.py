"""Every ``KRAKEN_FUTURES_*`` setting, credentials included, read once from the environment.

Precedence, highest first: a constructor argument, the process environment, ``.env`` in the
working directory, the default below. A blank value counts as not given. Kraken Futures keys
are separate from spot keys (they are made on futures.kraken.com or demo-futures.kraken.com),
so they have their own variables here rather than in ``BrokerCredentials``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from src.brokers.kraken_futures.constants import (
    DEMO_REST_URL,
    DEMO_WS_URL,
    LIVE_REST_URL,
    LIVE_WS_URL,
)
from src.core.errors import ConfigurationError
from src.utils.logging import register_secret

__all__ = ["ENV_PREFIX", "Environment", "KrakenFuturesSettings", "TriggerSignal"]

ENV_PREFIX = "KRAKEN_FUTURES_"
Environment = Literal["demo", "live"]
TriggerSignal = Literal["mark", "index", "last"]


class KrakenFuturesSettings(BaseSettings):
    """Kraken Futures client settings; frozen, so one instance serves every component.

    Attributes:
        environment: ``KRAKEN_FUTURES_ENVIRONMENT``: ``demo`` (default, demo-futures.kraken.com)
            or ``live`` (futures.kraken.com). Demo is the default: a key pasted by mistake
            cannot move real money.
        api_url: ``KRAKEN_FUTURES_API_URL``: REST root overriding the environment's (the
            paper venue's URL to trade on paper).
        ws_url: ``KRAKEN_FUTURES_WS_URL``: WebSocket v1 URL overriding the environment's.
        api_key: ``KRAKEN_FUTURES_API_KEY``: public key (redacted everywhere).
        api_secret: ``KRAKEN_FUTURES_API_SECRET``: base64 private key (redacted everywhere).
        rate_limit_mode: ``KRAKEN_FUTURES_RATE_LIMIT_MODE``: ``wait`` (default) sleeps until a
            call fits Kraken's budget; ``refuse`` raises ``LocalRateLimitError`` instead.
        trigger_signal: ``KRAKEN_FUTURES_TRIGGER_SIGNAL``: price that triggers stop and
            take-profit orders: ``mark`` (default), ``index`` or ``last``.
        timeout: ``KRAKEN_FUTURES_TIMEOUT``: seconds per HTTP read (the whole call gets twice).

    Raises:
        ConfigurationError: on construction, when a value is invalid; names the variable.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    environment: Environment = "demo"
    api_url: str | None = None
    ws_url: str | None = None
    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    rate_limit_mode: Literal["wait", "refuse"] = "wait"
    trigger_signal: TriggerSignal = "mark"
    timeout: float = Field(default=10.0, gt=0)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigurationError(_describe(exc)) from None
        for secret in (self.api_key, self.api_secret):
            if secret is not None:
                register_secret(secret.get_secret_value())

    @model_validator(mode="before")
    @classmethod
    def _blank_means_default(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {
                k: v
                for k, v in data.items()
                if v is not None and not (isinstance(v, str) and not v.strip())
            }
        return data

    @field_validator("environment", "rate_limit_mode", "trigger_signal", mode="before")
    @classmethod
    def _lowercase(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return None if value is None else _scheme(value, ("http://", "https://")).rstrip("/")

    @field_validator("ws_url")
    @classmethod
    def _ws(cls, value: str | None) -> str | None:
        return None if value is None else _scheme(value, ("ws://", "wss://"))

    @property
    def rest_url(self) -> str:
        """The REST root in use: the override, else the environment's host."""
        if self.api_url:
            return self.api_url
        return LIVE_REST_URL if self.environment == "live" else DEMO_REST_URL

    @property
    def websocket_url(self) -> str:
        """The WebSocket v1 URL in use: the override, else the environment's."""
        if self.ws_url:
            return self.ws_url
        return LIVE_WS_URL if self.environment == "live" else DEMO_WS_URL

    @property
    def has_credentials(self) -> bool:
        """True when both key and secret are set."""
        return self.api_key is not None and self.api_secret is not None

    @property
    def is_live(self) -> bool:
        """True when orders would reach the real venue with real money."""
        return self.rest_url.rstrip("/") == LIVE_REST_URL


def _scheme(value: str, schemes: tuple[str, ...]) -> str:
    value = value.strip()
    if not value.lower().startswith(schemes):
        raise ValueError(f"must start with {' or '.join(schemes)}")
    return value


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        loc = error["loc"]
        name = f"{ENV_PREFIX}{str(loc[0]).upper()}" if loc else "Kraken Futures settings"
        secret = bool(loc) and str(loc[0]) in ("api_key", "api_secret")
        shown = "<redacted>" if secret else repr(error.get("input"))
        parts.append(f"{name}={shown}: {error['msg']}")
    return "invalid Kraken Futures setting: " + "; ".join(parts)

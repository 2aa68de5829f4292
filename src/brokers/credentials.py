"""Broker API credentials from the environment, ``.env`` or the OS keyring, as SecretStr."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Self

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from src.core.errors import MissingCredentialError
from src.utils.logging import register_secret

KEYRING_SERVICE = "kraken-ml-trader"
_FIELDS = ("kraken_api_key", "kraken_api_secret", "alpaca_api_key", "alpaca_api_secret")


class BrokerCredentials(BaseSettings):
    """API keys for every broker; each optional, each a SecretStr that prints as ``**********``.

    Attributes:
        kraken_api_key: ``KRAKEN_API_KEY``, the public API key.
        kraken_api_secret: ``KRAKEN_API_SECRET``, the base64 private key (checked at load).
        alpaca_api_key: ``ALPACA_API_KEY``.
        alpaca_api_secret: ``ALPACA_API_SECRET``.
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
    )

    kraken_api_key: SecretStr | None = None
    kraken_api_secret: SecretStr | None = None
    alpaca_api_key: SecretStr | None = None
    alpaca_api_secret: SecretStr | None = None

    @field_validator("*", mode="after")
    @classmethod
    def _blank_is_missing(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        register_secret(value.get_secret_value().strip())
        return SecretStr(value.get_secret_value().strip())

    @field_validator("kraken_api_secret", mode="after")
    @classmethod
    def _kraken_secret_is_base64(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        try:
            base64.b64decode(value.get_secret_value(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(
                "KRAKEN_API_SECRET is not valid base64: paste the private key exactly as Kraken "
                "showed it (letters, digits, '+', '/', ending in '=')"
            ) from None
        return value

    def require(self, name: str) -> str:
        """Return the plain value of credential ``name`` or raise naming the variable to set.

        Raises:
            MissingCredentialError: the credential is not configured.
        """
        if name not in _FIELDS:
            raise MissingCredentialError(
                f"unknown credential {name!r}; one of {', '.join(_FIELDS)}"
            )
        value: SecretStr | None = getattr(self, name)
        if value is None:
            raise MissingCredentialError(
                f"{name.upper()} is not set: add it to .env or the environment "
                f"(or store it with keyring under service {KEYRING_SERVICE!r})"
            )
        return value.get_secret_value()

    @property
    def has_kraken(self) -> bool:
        """True when both the Kraken key and secret are configured."""
        return self.kraken_api_key is not None and self.kraken_api_secret is not None

    @classmethod
    def from_keyring(cls, service: str = KEYRING_SERVICE, **overrides: Any) -> Self:
        """Load credentials from the OS keyring (username = env var name, e.g. KRAKEN_API_KEY).

        Values found in the keyring take precedence over the environment and ``.env``.
        """
        import keyring

        values: dict[str, Any] = {}
        for name in _FIELDS:
            found = keyring.get_password(service, name.upper())
            if found:
                values[name] = found
        values.update(overrides)
        return cls(**values)

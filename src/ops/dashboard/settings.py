"""Dashboard settings (``KTRADE_DASHBOARD_*``), and the rule that only loopback goes unguarded."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from src.core.errors import ConfigurationError
from src.ops.metrics.config import EnvFirstSettings

ENV_PREFIX = "KTRADE_DASHBOARD_"


def is_loopback(host: str) -> bool:
    """Return True when ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name could resolve anywhere: treat it as public


class DashboardSettings(EnvFirstSettings):
    """Where the dashboard listens and how a person logs in; frozen.

    Read from the config file's ``[dashboard]`` table (``from_table``) and the environment,
    which wins, as for ``[metrics]`` and ``[alerts]``.

    Attributes:
        enabled: ``KTRADE_DASHBOARD_ENABLED``: serve it in ``paper``/``live`` sessions
            (default true; ``--no-dashboard`` turns it off for one session).
        host: ``KTRADE_DASHBOARD_HOST``: address to bind (default ``127.0.0.1``). Any address
            other than loopback is refused unless a password is set.
        port: ``KTRADE_DASHBOARD_PORT``: TCP port (default 8765; 0 picks a free one).
        password: ``KTRADE_DASHBOARD_PASSWORD``: a login password (optional on loopback,
            required elsewhere). The generated token always works too.
        token: ``KTRADE_DASHBOARD_TOKEN``: the access token; when unset a random one is
            generated at start and printed once.
        mode: ``KTRADE_DASHBOARD_MODE``: the label shown (``PAPER``/``LIVE``); when unset it
            is told from the venue's endpoint (loopback: PAPER).
        risk_config: ``KTRADE_DASHBOARD_RISK_CONFIG``: the risk limits TOML file that
            "reload risk config" reads.
        sample_seconds: ``KTRADE_DASHBOARD_SAMPLE_SECONDS``: seconds between equity samples
            of the chart (default 5).
        history: ``KTRADE_DASHBOARD_HISTORY``: samples kept for the chart (default 720).
        refresh_seconds: ``KTRADE_DASHBOARD_REFRESH_SECONDS``: how often the open page
            fetches fresh panels (default 2).
        session_hours: ``KTRADE_DASHBOARD_SESSION_HOURS``: hours a login lasts (default 12).

    Raises:
        ConfigurationError: a non-loopback ``host`` without a password.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    password: SecretStr | None = None
    token: SecretStr | None = None
    mode: str | None = None
    risk_config: Path | None = None
    sample_seconds: float = Field(default=5.0, gt=0)
    history: int = Field(default=720, ge=2)
    refresh_seconds: float = Field(default=2.0, gt=0)
    session_hours: float = Field(default=12.0, gt=0)

    @model_validator(mode="after")
    def _guarded_when_public(self) -> DashboardSettings:
        if not is_loopback(self.host) and not self.password:
            raise ConfigurationError(
                f"dashboard: binding {self.host} needs a password "
                f"({ENV_PREFIX}PASSWORD); without one only 127.0.0.1 is allowed"
            )
        if self.password is not None and len(self.password.get_secret_value()) < 8:
            raise ConfigurationError("dashboard: the password must have at least 8 characters")
        return self

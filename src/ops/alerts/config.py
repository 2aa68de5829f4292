"""Alert settings (``KTRADE_ALERT_*`` and the config file's ``[alerts]`` table)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from src.ops.metrics.config import EnvFirstSettings, read_config_table

ENV_PREFIX = "KTRADE_ALERT_"
Event = Literal["kill_switch", "dead_man", "rejected", "fill", "daily_pnl", "connection",
                "reconcile"]  # fmt: skip
EVENTS: tuple[Event, ...] = ("kill_switch", "dead_man", "rejected", "fill", "daily_pnl",
                             "connection", "reconcile")  # fmt: skip


class AlertsConfig(EnvFirstSettings):
    """Where alerts go, which ones, and how many; frozen. URLs are secrets (they hold tokens).

    Attributes:
        urls: ``KTRADE_ALERT_URLS``: apprise URLs, e.g. ``tgram://BOTTOKEN/CHATID``,
            ``slack://T/B/X``, ``discord://ID/TOKEN``, ``mailtos://user:pass@example.com``,
            ``json://host/path`` (in the variable: separated by spaces or commas). None: no
            alerts.
        events: ``KTRADE_ALERT_EVENTS``: which alerts to send (default: all of ``EVENTS``).
        connection_lost_seconds: ``KTRADE_ALERT_CONNECTION_LOST_SECONDS``: market data older
            than this, or an event stream down this long, is a lost connection (default 120).
        cooldown_seconds: ``KTRADE_ALERT_COOLDOWN_SECONDS``: the same alert (same key) is not
            sent again within this time; repeats are counted into a summary (default 600).
        max_per_minute: ``KTRADE_ALERT_MAX_PER_MINUTE``: at most this many messages in any
            60 s, summaries included (default 6).
        check_seconds: ``KTRADE_ALERT_CHECK_SECONDS``: seconds between looks at the runtime
            (default 2).
        send_timeout_seconds: ``KTRADE_ALERT_SEND_TIMEOUT_SECONDS``: give up on a delivery
            after this long (default 15).
        session_summary: ``KTRADE_ALERT_SESSION_SUMMARY``: send the PnL summary also when the
            session ends (default true).
        title_prefix: ``KTRADE_ALERT_TITLE_PREFIX``: first word of every title (default
            ``ktrade``; e.g. the bot's name when several run).
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    urls: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    events: Annotated[list[Event], NoDecode] = Field(default_factory=lambda: list(EVENTS))
    connection_lost_seconds: float = Field(default=120.0, gt=0)
    cooldown_seconds: float = Field(default=600.0, ge=0)
    max_per_minute: int = Field(default=6, ge=1, le=600)
    check_seconds: float = Field(default=2.0, gt=0, le=3600)
    send_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    session_summary: bool = True
    title_prefix: str = Field(default="ktrade", max_length=40)

    @field_validator("urls", "events", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):  # the environment variable's form
            return [part for part in re.split(r"[\s,]+", value) if part]
        return value

    def wants(self, event: Event) -> bool:
        """Return True when ``event`` alerts are switched on."""
        return event in self.events

    @classmethod
    def load(cls, path: Path | None = None) -> AlertsConfig:
        """The ``[alerts]`` table of the user's config file, overridden by the environment."""
        config: AlertsConfig = cls.from_table(read_config_table("alerts", path), "alerts")
        return config

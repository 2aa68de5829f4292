"""Metrics settings (``KTRADE_METRICS_*`` and the config file's ``[metrics]`` table)."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from src.core.errors import ConfigurationError

ENV_PREFIX = "KTRADE_METRICS_"


def read_config_table(name: str, path: Path | None = None) -> dict[str, Any]:
    """The ``[name]`` table of the user's ``ktrade`` config file, or ``{}`` without one.

    ``path`` defaults to the file ``ktrade`` reads (``$KTRADE_CONFIG``, else ``config.toml`` in
    the user config directory; see ``src.cli.config``).

    Raises:
        ConfigurationError: the file is not TOML, or ``name`` is not a table.
    """
    return read_config_tables((name,), path)[name]


def read_config_tables(names: Sequence[str], path: Path | None = None) -> dict[str, dict[str, Any]]:
    """Several tables of the config file from one read (each ``{}`` when absent).

    Raises:
        ConfigurationError: the file is not TOML, or one of ``names`` is not a table.
    """
    if path is None:
        from src.cli.config import default_config_path

        path = default_config_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {name: {} for name in names}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from None
    tables: dict[str, dict[str, Any]] = {}
    for name in names:
        table = raw.get(name, {})
        if not isinstance(table, dict):
            raise ConfigurationError(f"{path}: [{name}] must be a table")
        tables[name] = table
    return tables


class EnvFirstSettings(BaseSettings):
    """Settings whose environment variables override what the config file says."""

    @classmethod
    def from_table(cls, table: dict[str, Any], name: str) -> Any:
        """Build from a config-file table, refusing unknown keys (a typo is not a default).

        Raises:
            ConfigurationError: an unknown key (with the closest known one), or a bad value.
        """
        for key in table:
            if key not in cls.model_fields:
                close = difflib.get_close_matches(key, list(cls.model_fields), n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise ConfigurationError(f"[{name}] unknown key {key!r}{hint}")
        try:
            return cls(**table)
        except ValidationError as exc:  # one line naming the table, the key and the value
            first = exc.errors()[0]
            key = ".".join(str(p) for p in first["loc"])
            reason = str(first["msg"]).removeprefix("Value error, ")
            value = table.get(str(first["loc"][0]))
            shown = "" if "url" in key else f" = {value!r}"  # URLs hold tokens: never shown
            raise ConfigurationError(f"[{name}] {key}{shown}: {reason}") from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read the environment (and ``.env``) first, then the arguments (the file's table)."""
        # The file's table comes in as init arguments; an environment variable (compose,
        # systemd) must win over it, as it does for every other ktrade setting.
        return env_settings, dotenv_settings, init_settings


class MetricsConfig(EnvFirstSettings):
    """Where ``/metrics`` is served and how often the runtime is sampled; frozen.

    Attributes:
        enabled: ``KTRADE_METRICS_ENABLED``: serve metrics at all (default true).
        host: ``KTRADE_METRICS_HOST``: address to bind (default ``127.0.0.1``; a container
            binds ``0.0.0.0`` on its private network so Prometheus can scrape it).
        port: ``KTRADE_METRICS_PORT``: TCP port (default 9464; 0 picks a free one).
        sample_seconds: ``KTRADE_METRICS_SAMPLE_SECONDS``: seconds between samples of the
            runtime's state (default 2; every scrape also samples first).
        mode: ``KTRADE_METRICS_MODE``: the ``mode`` label of ``ktrade_info`` (paper, live...);
            default: the engine's class name only.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",  # .env holds other settings too; the file's keys are checked in load
        frozen=True,
    )

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535)
    sample_seconds: float = Field(default=2.0, gt=0, le=3600)
    mode: str | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> MetricsConfig:
        """The ``[metrics]`` table of the user's config file, overridden by the environment."""
        config: MetricsConfig = cls.from_table(read_config_table("metrics", path), "metrics")
        return config

"""How every settings class of the project reads its values: one file, one precedence.

The environment wins over ``.env`` (read as UTF-8); an empty variable counts as unset; keys of
other settings in the same file are ignored; settings are frozen once read. The credentials
(``BrokerCredentials``) use the same file and precedence with their own secrecy options.
"""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict


def env_settings(prefix: str) -> SettingsConfigDict:
    """The ``model_config`` of a settings class whose variables start with ``prefix``."""
    return SettingsConfigDict(
        env_prefix=prefix,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

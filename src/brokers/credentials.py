"""Broker API credentials as SecretStr, from one documented chain of sources.

Precedence, highest first (each source only fills what the ones above left blank):

1. arguments (``BrokerCredentials(kraken_api_key=...)``);
2. the process environment (``KRAKEN_API_KEY``, ``KRAKEN_API_SECRET``, ``ALPACA_...``);
3. ``.env`` in the working directory;
4. the encrypted credentials file ``ktrade setup`` writes (``credentials.enc`` in the user
   config directory, or ``KRAKEN_CREDENTIALS_FILE``), opened with the passphrase from
   ``BrokerCredentials.with_passphrase`` or ``KRAKEN_CREDENTIALS_PASSPHRASE``;
5. the OS keyring (service ``kraken-ml-trader``), only when ``ktrade setup`` stored keys there
   (it leaves a ``credentials.keyring`` note naming them, so no keyring is probed otherwise).

``BrokerCredentials.from_keyring()`` keeps its own rule: the keyring wins over everything.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from src.core.errors import ConfigurationError, MissingCredentialError
from src.utils.logging import register_secret

KEYRING_SERVICE = "kraken-ml-trader"
APP_NAME = "kraken-ml-trader"
#: A config file path; the credentials file and keyring note live in its folder.
CONFIG_ENV = "KTRADE_CONFIG"
CREDENTIALS_FILE_ENV = "KRAKEN_CREDENTIALS_FILE"
PASSPHRASE_ENV = "KRAKEN_CREDENTIALS_PASSPHRASE"  # noqa: S105 - a variable name
_FIELDS = ("kraken_api_key", "kraken_api_secret", "alpaca_api_key", "alpaca_api_secret")
#: The init keyword that carries the file's passphrase (never a field, never stored).
_PASSPHRASE_KEY = "credentials_passphrase"  # noqa: S105 - a keyword name
#: Scrypt cost: 2**15 takes about 0.15 s here, the cryptography docs' floor for interactive use.
SCRYPT_N = 2**15


class CredentialsLockedError(MissingCredentialError):
    """The encrypted credentials file holds a needed key, but no passphrase was given."""


def user_config_dir() -> Path:
    """The folder of the user's config and stored credentials (``KTRADE_CONFIG``'s folder)."""
    override = os.environ.get(CONFIG_ENV, "").strip()
    if override:
        return Path(override).expanduser().parent
    from platformdirs import user_config_path

    return user_config_path(APP_NAME)


def credentials_file() -> Path:
    """Where the encrypted credentials file is (``KRAKEN_CREDENTIALS_FILE`` overrides)."""
    override = os.environ.get(CREDENTIALS_FILE_ENV, "").strip()
    return Path(override).expanduser() if override else user_config_dir() / "credentials.enc"


def keyring_note() -> Path:
    """The note that says which names ``ktrade setup`` stored in the OS keyring."""
    return user_config_dir() / "credentials.keyring"


def _fernet(passphrase: str, salt: bytes, n: int) -> Any:
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    key = Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(passphrase.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def _plain(value: SecretStr | str) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def write_credentials_file(
    path: Path,
    values: Mapping[str, SecretStr | str],
    passphrase: SecretStr | str,
    *,
    n: int = SCRYPT_N,
) -> None:
    """Encrypt ``values`` (names like ``KRAKEN_API_KEY``) into ``path``, readable by you only.

    The key is derived from the passphrase with Scrypt (random salt, cost ``n``) and the
    values sealed with Fernet (AES-128-CBC + HMAC-SHA256). The names are kept in clear, so a
    program knows whether the file can supply a missing key without asking for the passphrase.
    """
    salt = os.urandom(16)
    names = sorted(values)
    payload = json.dumps({k: _plain(values[k]) for k in names}).encode("utf-8")
    token = _fernet(_plain(passphrase), salt, n).encrypt(payload).decode("ascii")
    doc = {"version": 1, "kdf": "scrypt", "n": n, "r": 8, "p": 1, "names": names,
           "salt": base64.b64encode(salt).decode("ascii"), "token": token}  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    # Created 0600 before anything is written: the token is safe, but nobody else needs it.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(doc, out, indent=1)
    os.replace(tmp, path)


def _read_doc(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"{path}: not a readable credentials file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("kdf") != "scrypt" or "token" not in doc:
        raise ConfigurationError(f"{path}: not a credentials file written by `ktrade setup`")
    return doc


def stored_names(path: Path) -> list[str]:
    """The names the credentials file holds (read without the passphrase)."""
    return [str(n) for n in _read_doc(path).get("names", [])]


def read_credentials_file(path: Path, passphrase: SecretStr | str) -> dict[str, str]:
    """Decrypt the credentials file.

    Raises:
        ConfigurationError: the file is not a credentials file, or the passphrase is wrong.
    """
    from cryptography.fernet import InvalidToken

    doc = _read_doc(path)
    try:
        salt = base64.b64decode(doc["salt"])
        data = _fernet(_plain(passphrase), salt, int(doc["n"])).decrypt(doc["token"])
    except InvalidToken:
        raise ConfigurationError(
            f"wrong passphrase for {path} (or the file was changed); "
            "run `ktrade setup` again to store the keys anew"
        ) from None
    return {str(k): str(v) for k, v in json.loads(data).items()}


def store_in_keyring(values: Mapping[str, SecretStr | str], service: str = KEYRING_SERVICE) -> Path:
    """Store ``values`` in the OS keyring and write the note naming them; returns the note."""
    import keyring

    for name, value in values.items():
        keyring.set_password(service, name, _plain(value))
    note = keyring_note()
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(json.dumps({"service": service, "names": sorted(values)}), encoding="utf-8")
    return note


def _blank(value: Any) -> bool:
    text = _plain(value) if isinstance(value, SecretStr | str) else value
    return text is None or (isinstance(text, str) and not text.strip())


def _from_file(wanted: set[str], passphrase: str | None) -> dict[str, str]:
    path = credentials_file()
    if not path.is_file() or not wanted & set(stored_names(path)):
        return {}
    passphrase = passphrase or os.environ.get(PASSPHRASE_ENV) or None
    if passphrase is None:
        raise CredentialsLockedError(
            f"{', '.join(sorted(wanted & set(stored_names(path))))} are in the encrypted file "
            f"{path}: set {PASSPHRASE_ENV}, or run the command through `ktrade`, which asks"
        )
    return read_credentials_file(path, passphrase)


def _from_keyring(wanted: set[str]) -> dict[str, str]:
    note = keyring_note()
    if not note.is_file():
        return {}
    try:
        doc = json.loads(note.read_text(encoding="utf-8"))
        service, names = str(doc["service"]), {str(n) for n in doc["names"]}
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigurationError(f"{note}: unreadable; run `ktrade setup` again") from None
    if not wanted & names:
        return {}
    import keyring

    found = {n: keyring.get_password(service, n) for n in sorted(wanted & names)}
    return {n: v for n, v in found.items() if v}


class BrokerCredentials(BaseSettings):
    """API keys for every broker; each optional, each a SecretStr that prints as ``**********``.

    Sources and their precedence are in the module docstring.

    Attributes:
        kraken_api_key: ``KRAKEN_API_KEY``, the public API key.
        kraken_api_secret: ``KRAKEN_API_SECRET``, the base64 private key (checked at load).
        alpaca_api_key: ``ALPACA_API_KEY``.
        alpaca_api_secret: ``ALPACA_API_SECRET``.

    Raises:
        CredentialsLockedError: a key is only in the encrypted file and no passphrase is known.
        ConfigurationError: the passphrase is wrong or a stored source is unreadable.
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

    @model_validator(mode="before")
    @classmethod
    def _stored_sources(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        values = dict(data)
        passphrase = values.pop(_PASSPHRASE_KEY, None)
        wanted = {name.upper() for name in _FIELDS if _blank(values.get(name))}
        if not wanted:
            return values
        for name, value in _from_file(wanted, passphrase).items():
            if name in wanted:
                values[name.lower()] = value
                wanted.discard(name)
        if wanted:  # the keyring only for what the file did not hold
            values.update({n.lower(): v for n, v in _from_keyring(wanted).items()})
        return values

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

    @classmethod
    def with_passphrase(cls, passphrase: SecretStr | str, **overrides: Any) -> Self:
        """Load as usual, opening the encrypted credentials file with ``passphrase``."""
        return cls(**{**overrides, _PASSPHRASE_KEY: _plain(passphrase)})

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
                f"{name.upper()} is not set: add it to .env or the environment, run "
                f"`ktrade setup` (or store it with keyring under service {KEYRING_SERVICE!r})"
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

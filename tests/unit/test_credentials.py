"""BrokerCredentials: env and .env loading, base64 check at load, clear missing errors, keyring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from pydantic import ValidationError

from src.brokers.credentials import KEYRING_SERVICE, BrokerCredentials
from src.core.errors import MissingCredentialError

DOC_SECRET = (
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
)
ENV_VARS = ("KRAKEN_API_KEY", "KRAKEN_API_SECRET", "ALPACA_API_KEY", "ALPACA_API_SECRET")


class MemoryKeyring(KeyringBackend):
    """In-memory keyring backend for tests."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_loads_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAKEN_API_KEY", "abc-key")
    monkeypatch.setenv("KRAKEN_API_SECRET", DOC_SECRET)
    creds = BrokerCredentials()
    assert creds.kraken_api_key is not None and creds.kraken_api_secret is not None
    assert creds.kraken_api_key.get_secret_value() == "abc-key"
    assert creds.kraken_api_secret.get_secret_value() == DOC_SECRET
    assert creds.has_kraken
    assert "abc-key" not in repr(creds) and DOC_SECRET not in str(creds)


def test_loads_from_dotenv_file(clean_env: Path) -> None:
    (clean_env / ".env").write_text(
        f"KRAKEN_API_KEY=from-dotenv\nKRAKEN_API_SECRET={DOC_SECRET}\nOTHER_SETTING=1\n"
    )
    creds = BrokerCredentials()
    assert creds.require("kraken_api_key") == "from-dotenv"
    assert creds.alpaca_api_key is None


def test_invalid_base64_secret_fails_at_load_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KRAKEN_API_SECRET", "this is not base64!!")
    with pytest.raises(ValidationError) as info:
        BrokerCredentials()
    assert "KRAKEN_API_SECRET is not valid base64" in str(info.value)
    assert "this is not base64" not in str(info.value)


def test_blank_values_count_as_missing_and_require_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KRAKEN_API_KEY", "   ")
    creds = BrokerCredentials()
    assert creds.kraken_api_key is None and not creds.has_kraken
    with pytest.raises(MissingCredentialError, match="KRAKEN_API_KEY is not set"):
        creds.require("kraken_api_key")
    with pytest.raises(MissingCredentialError, match="ALPACA_API_SECRET"):
        creds.require("alpaca_api_secret")
    with pytest.raises(MissingCredentialError, match="unknown credential"):
        creds.require("binance_key")


def test_from_keyring(memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    memory_keyring.set_password(KEYRING_SERVICE, "KRAKEN_API_KEY", "ring-key")
    memory_keyring.set_password(KEYRING_SERVICE, "KRAKEN_API_SECRET", DOC_SECRET)
    monkeypatch.setenv("KRAKEN_API_KEY", "env-key")  # keyring wins over the environment
    creds = BrokerCredentials.from_keyring()
    assert creds.require("kraken_api_key") == "ring-key"
    assert creds.require("kraken_api_secret") == DOC_SECRET
    other = BrokerCredentials.from_keyring(service="another-service")
    assert other.require("kraken_api_key") == "env-key"


def test_from_keyring_checks_the_secret_too(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password(KEYRING_SERVICE, "KRAKEN_API_SECRET", "%%%")
    with pytest.raises(ValidationError, match="not valid base64"):
        BrokerCredentials.from_keyring()

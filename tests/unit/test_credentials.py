"""BrokerCredentials: env, .env, the encrypted file and the keyring, in that order; base64 check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from pydantic import ValidationError

from src.brokers.credentials import (
    KEYRING_SERVICE,
    BrokerCredentials,
    CredentialsLockedError,
    credentials_file,
    keyring_note,
    read_credentials_file,
    store_in_keyring,
    stored_names,
    write_credentials_file,
)
from src.core.errors import ConfigurationError, MissingCredentialError

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


# --- stored sources: the encrypted credentials file and the keyring note (ktrade setup) ------


class CountingKeyring(MemoryKeyring):
    """A memory keyring that counts lookups (to prove it is not probed)."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.lookups += 1
        return super().get_password(service, username)


@pytest.fixture
def config_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "cfg"
    monkeypatch.setenv("KTRADE_CONFIG", str(folder / "config.toml"))
    for name in ("KRAKEN_CREDENTIALS_FILE", "KRAKEN_CREDENTIALS_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.fixture
def counting_keyring() -> Iterator[CountingKeyring]:
    previous = keyring.get_keyring()
    backend = CountingKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def _store_file(passphrase: str = "correct horse") -> Path:
    path = credentials_file()
    write_credentials_file(
        path, {"KRAKEN_API_KEY": "file-key", "KRAKEN_API_SECRET": DOC_SECRET}, passphrase, n=2**10
    )
    return path


def test_encrypted_file_is_private_and_holds_no_plain_secret(config_dir: Path) -> None:
    path = _store_file()
    assert path == config_dir / "credentials.enc"
    assert path.stat().st_mode & 0o777 == 0o600
    text = path.read_text()
    assert DOC_SECRET not in text and "file-key" not in text
    assert stored_names(path) == ["KRAKEN_API_KEY", "KRAKEN_API_SECRET"]


def test_file_fills_what_env_and_dotenv_leave_blank(
    config_dir: Path, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_file()
    creds = BrokerCredentials.with_passphrase("correct horse")
    assert creds.require("kraken_api_key") == "file-key"
    assert creds.require("kraken_api_secret") == DOC_SECRET
    (clean_env / ".env").write_text("KRAKEN_API_KEY=dotenv-key\n")
    assert BrokerCredentials.with_passphrase("correct horse").require("kraken_api_key") == (
        "dotenv-key"
    )
    monkeypatch.setenv("KRAKEN_API_KEY", "env-key")
    mixed = BrokerCredentials.with_passphrase("correct horse")
    assert mixed.require("kraken_api_key") == "env-key"  # environment over .env over the file
    assert mixed.require("kraken_api_secret") == DOC_SECRET  # the file fills the gap
    assert (
        BrokerCredentials.with_passphrase("correct horse", kraken_api_key="arg-key").require(
            "kraken_api_key"
        )
        == "arg-key"
    )


def test_passphrase_from_the_environment(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _store_file()
    monkeypatch.setenv("KRAKEN_CREDENTIALS_PASSPHRASE", "correct horse")
    assert BrokerCredentials().require("kraken_api_key") == "file-key"


def test_locked_file_without_passphrase_says_how_to_open_it(config_dir: Path) -> None:
    path = _store_file()
    with pytest.raises(CredentialsLockedError) as info:
        BrokerCredentials()
    assert str(path) in str(info.value) and "KRAKEN_CREDENTIALS_PASSPHRASE" in str(info.value)


def test_file_is_not_opened_when_nothing_it_holds_is_missing(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_file()
    monkeypatch.setenv("KRAKEN_API_KEY", "env-key")
    monkeypatch.setenv("KRAKEN_API_SECRET", DOC_SECRET)
    creds = BrokerCredentials()  # no passphrase needed: the Alpaca keys are not in the file
    assert creds.require("kraken_api_key") == "env-key" and creds.alpaca_api_key is None


def test_wrong_passphrase_is_a_configuration_error(config_dir: Path) -> None:
    _store_file()
    with pytest.raises(ConfigurationError, match="wrong passphrase"):
        BrokerCredentials.with_passphrase("not it")
    assert (
        read_credentials_file(credentials_file(), "correct horse")["KRAKEN_API_KEY"] == "file-key"
    )


def test_keyring_is_read_only_after_setup_left_its_note(
    config_dir: Path, counting_keyring: CountingKeyring
) -> None:
    assert not BrokerCredentials().has_kraken
    assert counting_keyring.lookups == 0  # never probed without the note
    store_in_keyring({"KRAKEN_API_KEY": "ring-key", "KRAKEN_API_SECRET": DOC_SECRET})
    assert keyring_note().is_file()
    creds = BrokerCredentials()
    assert creds.require("kraken_api_key") == "ring-key" and creds.has_kraken
    assert counting_keyring.lookups == 2


def test_file_comes_before_the_keyring(
    config_dir: Path, counting_keyring: CountingKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_in_keyring({"KRAKEN_API_KEY": "ring-key", "KRAKEN_API_SECRET": DOC_SECRET})
    _store_file()
    monkeypatch.setenv("KRAKEN_CREDENTIALS_PASSPHRASE", "correct horse")
    assert BrokerCredentials().require("kraken_api_key") == "file-key"
    assert counting_keyring.lookups == 0


def test_stored_secret_is_still_checked_for_base64(config_dir: Path) -> None:
    write_credentials_file(
        credentials_file(), {"KRAKEN_API_SECRET": "%%% not base64"}, "pw", n=2**10
    )
    with pytest.raises(ValidationError, match="not valid base64"):
        BrokerCredentials.with_passphrase("pw")

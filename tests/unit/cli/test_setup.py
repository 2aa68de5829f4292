"""``ktrade setup`` driven through its prompts by a script of answers."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from src.app.venue import KeyReport
from src.brokers.credentials import BrokerCredentials, credentials_file, keyring_note
from src.cli import setup_flow
from src.core.errors import AuthenticationError
from tests.unit.cli.cli_support import Home, Result

SECRET = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
KEY = "public-key-for-the-test-123"
PASSPHRASE = "correct horse battery"


class Script:
    """Answers prompts in order; each step names a piece of the prompt it expects."""

    def __init__(self, steps: list[tuple[str, str, bool]]) -> None:
        self.steps = list(steps)
        self.asked: list[str] = []

    def answer(self, prompt: str, secret: bool) -> str:
        assert self.steps, f"unexpected prompt {prompt!r}"
        expected, reply, hidden = self.steps.pop(0)
        assert expected in prompt, f"expected a prompt with {expected!r}, got {prompt!r}"
        assert hidden == secret, f"{prompt!r}: {'hidden' if hidden else 'echoed'} input expected"
        self.asked.append(prompt)
        return reply


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> Callable[[list[tuple[str, str, bool]]], Script]:
    def install(steps: list[tuple[str, str, bool]]) -> Script:
        found = Script(steps)
        monkeypatch.setattr("builtins.input", lambda prompt="": found.answer(prompt, False))
        monkeypatch.setattr("getpass.getpass", lambda prompt="": found.answer(prompt, True))
        return found

    return install


def _defaults(connect: str) -> list[tuple[str, str, bool]]:
    return [
        ("Pairs to trade", "", False),
        ("Capital per pair", "", False),
        ("from the peak", "", False),
        ("in a day", "", False),
        ("Connect a Kraken account", connect, False),
    ]


def _fake_check(report: KeyReport | Exception) -> Callable[..., KeyReport]:
    def check(key: object, secret: object, tier: str) -> KeyReport:
        if isinstance(report, Exception):
            raise report
        return report

    return check


def test_paper_only_setup_writes_a_checked_config(
    home: Home, ktrade: Callable[..., Result], script: Callable[..., Script]
) -> None:
    home.config.unlink()
    answers = script(
        [
            ("Pairs to trade [BTC/USD ETH/USD]", "btc/usd, sol/usd", False),
            ("Capital per pair, in USD [200]", "150", False),
            ("from the peak", "150", False),  # refused: a percentage
            ("from the peak", "8", False),
            ("in a day, in USD", "50", False),
            ("Connect a Kraken account", "", False),
        ]
    )
    result = ktrade("setup")
    assert result.code == 0, result.err
    assert answers.steps == []
    assert "the drawdown limit must be between 0 and 100" in result.out
    saved = tomllib.loads(home.config.read_text())
    assert saved["trading"]["pairs"] == ["BTC/USD", "SOL/USD"]
    assert saved["trading"]["capital_per_pair"] == 150
    assert saved["risk"]["max_drawdown_pct"] == 8 and saved["risk"]["daily_loss_limit"] == 50
    assert home.config.stat().st_mode & 0o777 == 0o600
    assert "no keys stored: paper trading only" in result.out
    assert "ktrade download" in result.out and "ktrade live" in result.out
    assert not credentials_file().exists()


def test_keys_go_to_the_encrypted_file_and_never_to_the_screen(
    home: Home,
    ktrade: Callable[..., Result],
    script: Callable[..., Script],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home.config.unlink()
    report = KeyReport(ok=["query funds", "query open orders"], can_withdraw=True)
    monkeypatch.setattr(setup_flow, "check_key", _fake_check(report))
    script(
        [
            *_defaults("y"),
            ("Kraken API key", KEY, True),
            ("Kraken private key", "not base64!", True),
            ("Kraken private key", SECRET, True),
            ("Verification tier", "pro", False),
            ("Passphrase for the credentials file", "short", True),
            ("Passphrase for the credentials file", PASSPHRASE, True),
            ("The same passphrase again", "something else", True),
            ("Passphrase for the credentials file", PASSPHRASE, True),
            ("The same passphrase again", PASSPHRASE, True),
        ]
    )
    result = ktrade("setup", "--storage", "file")
    assert result.code == 0, result.err
    assert "that is not the private key: it is base64" in result.out
    assert "too short" in result.out and "the two passphrases differ" in result.out
    assert "ok       query funds" in result.out
    assert "WARNING: this key may WITHDRAW funds" in result.err
    path = credentials_file()
    assert f"keys stored in the encrypted file {path}" in result.out
    for text in (result.out, result.err, home.config.read_text(), path.read_text()):
        assert KEY not in text and SECRET not in text
    creds = BrokerCredentials.with_passphrase(PASSPHRASE)
    assert creds.require("kraken_api_key") == KEY and creds.require("kraken_api_secret") == SECRET
    assert tomllib.loads(home.config.read_text())["trading"]["tier"] == "pro"


class MemoryKeyring(KeyringBackend):
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


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_keys_go_to_a_usable_keyring_when_chosen(
    home: Home,
    ktrade: Callable[..., Result],
    script: Callable[..., Script],
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: MemoryKeyring,
) -> None:
    monkeypatch.setattr(
        setup_flow, "check_key", _fake_check(KeyReport(ok=["query funds"], can_withdraw=False))
    )
    script(
        [
            *_defaults("y"),
            ("Kraken API key", KEY, True),
            ("Kraken private key", SECRET, True),
            ("Verification tier", "", False),
            ("OS keyring", "", False),
        ]
    )
    home.config.unlink()
    result = ktrade("setup")
    assert result.code == 0, result.err
    assert memory_keyring.store[("kraken-ml-trader", "KRAKEN_API_SECRET")] == SECRET
    assert keyring_note().is_file() and KEY not in keyring_note().read_text()
    assert "WITHDRAW" not in result.err
    assert BrokerCredentials().require("kraken_api_key") == KEY  # no passphrase needed


def test_a_key_refused_every_time_stores_nothing(
    home: Home,
    ktrade: Callable[..., Result],
    script: Callable[..., Script],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        setup_flow, "check_key", _fake_check(AuthenticationError("EAPI:Invalid key"))
    )
    tries = [
        ("Kraken API key", KEY, True),
        ("Kraken private key", SECRET, True),
        ("Verification tier", "", False),
    ] * 3
    script([("exists. Replace it", "y", False), *_defaults("y"), *tries])
    result = ktrade("setup", "--storage", "file")
    assert result.code == 2
    assert result.out.count("Kraken refused this key: EAPI:Invalid key") == 3
    assert result.err.startswith("error: Kraken refused the keys")
    assert not credentials_file().exists()
    assert home.config.read_text() == ""  # the old (empty) config was not replaced


def test_an_existing_config_is_kept_unless_replacing_is_confirmed(
    home: Home, ktrade: Callable[..., Result], script: Callable[..., Script]
) -> None:
    home.write_config('[trading]\npairs = ["XRP/USD"]\n')
    script([("exists. Replace it", "", False)])
    result = ktrade("setup")
    assert result.code == 1 and "error: nothing changed" in result.err
    assert home.config.read_text() == '[trading]\npairs = ["XRP/USD"]\n'
    script(
        [
            ("exists. Replace it", "y", False),
            ("Pairs to trade [XRP/USD]", "", False),
            *_defaults("n")[1:],
        ]
    )
    assert ktrade("setup").code == 0
    assert tomllib.loads(home.config.read_text())["trading"]["pairs"] == ["XRP/USD"]


def test_setup_writes_where_config_points(
    home: Home, ktrade: Callable[..., Result], script: Callable[..., Script], tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere" / "ktrade.toml"
    script(_defaults("n"))
    result = ktrade("--config", str(target), "setup")
    assert result.code == 0, result.err
    assert f"your config goes to {target}" in result.out and target.is_file()


def test_commands_ask_for_the_passphrase_only_when_a_person_can_answer(
    home: Home, ktrade: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    from src.brokers.credentials import write_credentials_file

    write_credentials_file(
        credentials_file(),
        {"KRAKEN_API_KEY": KEY, "KRAKEN_API_SECRET": SECRET},
        PASSPHRASE,
        n=2**10,
    )
    locked = ktrade("live", "--duration", "1")
    assert locked.code == 2
    assert (
        "are in the encrypted file" in locked.err and "KRAKEN_CREDENTIALS_PASSPHRASE" in locked.err
    )
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSPHRASE)
    opened = ktrade("live", "--duration", "1")
    assert opened.code == 2  # the keys opened; now the paper gate stops it
    assert "live trading needs a recent paper session" in opened.err

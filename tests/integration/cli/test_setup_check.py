"""``ktrade setup`` checks the keys it is given on the exchange (the paper one, over loopback)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from src.brokers.credentials import BrokerCredentials
from tests.integration.cli.conftest import ThreadedExchange
from tests.unit.cli.cli_support import Home, Result

pytestmark = pytest.mark.integration
PASSPHRASE = "correct horse battery"


def test_setup_checks_the_key_and_asks_again_when_it_is_refused(
    home: Home,
    ktrade: Callable[..., Result],
    threaded_exchange: ThreadedExchange,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ex = threaded_exchange.exchange
    assert ex is not None
    monkeypatch.setenv("KRAKEN_API_URL", ex.rest_url)
    home.config.unlink()
    answers = iter(
        [
            "",
            "",
            "",
            "",
            "y",  # pairs, capital, drawdown, daily loss: defaults; connect: yes
            "unknown-key",
            ex.api_secret,
            "",  # refused by the exchange
            ex.api_key,
            ex.api_secret,
            "",  # accepted
            PASSPHRASE,
            PASSPHRASE,
        ]
    )
    prompts: list[str] = []

    def answer(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("builtins.input", answer)
    monkeypatch.setattr("getpass.getpass", answer)
    result = ktrade("setup", "--storage", "file")
    assert result.code == 0, result.err
    assert "Kraken refused this key" in result.out
    assert "Key check:" in result.out and "ok       query funds" in result.out
    assert "withdraw" in result.err.lower()  # told whether the key may withdraw, or to look
    assert prompts.count("Kraken API key: ") == 2
    creds = BrokerCredentials.with_passphrase(PASSPHRASE)
    assert creds.require("kraken_api_key") == ex.api_key
    assert ex.api_secret not in result.out + result.err

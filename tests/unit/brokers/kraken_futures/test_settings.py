"""KrakenFuturesSettings: demo by default, overrides, redacted secrets, errors naming variables."""

from __future__ import annotations

import pytest

from src.brokers.kraken_futures.settings import KrakenFuturesSettings
from src.core.errors import ConfigurationError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("KRAKEN_FUTURES_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(str(tmp_path))  # no .env of the checkout


def test_defaults_to_the_demo_environment() -> None:
    settings = KrakenFuturesSettings()
    assert settings.rest_url == "https://demo-futures.kraken.com"
    assert settings.websocket_url == "wss://demo-futures.kraken.com/ws/v1"
    assert not settings.is_live and not settings.has_credentials
    assert settings.trigger_signal == "mark"


def test_live_and_overrides_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAKEN_FUTURES_ENVIRONMENT", "LIVE")
    assert KrakenFuturesSettings().rest_url == "https://futures.kraken.com"
    assert KrakenFuturesSettings().is_live
    monkeypatch.setenv("KRAKEN_FUTURES_API_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("KRAKEN_FUTURES_WS_URL", "ws://127.0.0.1:8081/ws/v1")
    settings = KrakenFuturesSettings()
    assert settings.rest_url == "http://127.0.0.1:8081" and not settings.is_live
    assert settings.websocket_url == "ws://127.0.0.1:8081/ws/v1"


def test_secrets_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAKEN_FUTURES_API_KEY", "public-key-value")
    monkeypatch.setenv("KRAKEN_FUTURES_API_SECRET", "c2VjcmV0LXZhbHVl")
    settings = KrakenFuturesSettings()
    assert settings.has_credentials
    assert "c2VjcmV0LXZhbHVl" not in repr(settings) and "public-key-value" not in repr(settings)


def test_blank_values_mean_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAKEN_FUTURES_API_URL", "   ")
    assert KrakenFuturesSettings().rest_url == "https://demo-futures.kraken.com"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KRAKEN_FUTURES_ENVIRONMENT", "prod"),
        ("KRAKEN_FUTURES_API_URL", "127.0.0.1:8080"),
        ("KRAKEN_FUTURES_WS_URL", "http://x"),
        ("KRAKEN_FUTURES_TRIGGER_SIGNAL", "spot"),
    ],
)
def test_a_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        KrakenFuturesSettings()

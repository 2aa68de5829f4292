"""Endpoints (paper by default, live only on request, env overrides) and secret handling."""

from __future__ import annotations

import pytest

from src.brokers.alpaca.config import AlpacaConfig
from src.brokers.alpaca_adapter import AlpacaAdapter
from src.core.errors import MissingCredentialError

KEY, SECRET = "PKTESTKEY123456", "s3cr3t-value-that-must-not-leak"


def test_paper_is_the_default_endpoint() -> None:
    adapter = AlpacaAdapter(api_key=KEY, api_secret=SECRET)
    assert adapter.config.base_url == "https://paper-api.alpaca.markets"
    assert adapter.config.stream_url == "wss://paper-api.alpaca.markets/stream"
    assert adapter.config.paper is True


def test_live_only_when_paper_false() -> None:
    adapter = AlpacaAdapter(api_key=KEY, api_secret=SECRET, paper=False)
    assert adapter.config.base_url == "https://api.alpaca.markets"
    assert adapter.config.stream_url == "wss://api.alpaca.markets/stream"
    assert "LIVE" in repr(adapter)


def test_environment_overrides_urls_and_arguments_beat_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPACA_BASE_URL", "http://127.0.0.1:9999/")
    from_env = AlpacaAdapter(api_key=KEY, api_secret=SECRET)
    assert from_env.config.base_url == "http://127.0.0.1:9999"
    assert from_env.config.stream_url == "ws://127.0.0.1:9999/stream"
    monkeypatch.setenv("ALPACA_STREAM_URL", "ws://127.0.0.1:1/other")
    explicit = AlpacaAdapter(api_key=KEY, api_secret=SECRET, base_url="https://example.test")
    assert explicit.config.base_url == "https://example.test"
    assert explicit.config.stream_url == "ws://127.0.0.1:1/other"


@pytest.mark.parametrize(
    ("key", "secret", "variable"),
    [("", SECRET, "ALPACA_API_KEY"), (KEY, None, "ALPACA_API_SECRET")],
)
def test_missing_credentials_name_the_variable(key: str, secret: str | None, variable: str) -> None:
    with pytest.raises(MissingCredentialError, match=variable):
        AlpacaAdapter(api_key=key, api_secret=secret)


def test_secrets_never_appear_in_reprs() -> None:
    adapter = AlpacaAdapter(api_key=KEY, api_secret=SECRET)
    config = AlpacaConfig.resolve(KEY, SECRET)
    texts = [repr(adapter), str(adapter), repr(config), str(config), repr(adapter.http)]
    texts.append(str(config.model_dump()))
    for text in texts:
        assert SECRET not in text
        assert KEY not in text
    assert config.api_secret.get_secret_value() == SECRET


async def test_secrets_stay_out_of_logs_and_errors() -> None:
    from structlog.testing import capture_logs

    from src.core.errors import AuthenticationError
    from src.venues.alpaca_sim import AlpacaSim

    async with AlpacaSim() as sim:
        bad = AlpacaAdapter(api_key=sim.api_key, api_secret=SECRET, base_url=sim.base_url)
        with capture_logs() as logs, pytest.raises(AuthenticationError) as info:
            await bad.get_account()
        with capture_logs() as stream_logs, pytest.raises(AuthenticationError) as stream_info:
            await anext(bad.stream_fills())
        await bad.close()
    texts = [str(info.value), repr(info.value), str(stream_info.value), str(logs), str(stream_logs)]
    assert all(SECRET not in text for text in texts)

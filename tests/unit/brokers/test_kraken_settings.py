"""KrakenSettings: every KRAKEN_* setting read once, from the environment and from ``.env``.

Precedence: constructor argument > environment > ``.env`` > default. Each test runs in an empty
temporary directory with every ``KRAKEN_*`` variable removed, so neither a developer's ``.env``
nor the shell's environment leaks in.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError

from src.app.session import Venue, live_venue
from src.brokers.credentials import BrokerCredentials
from src.brokers.kraken.constants import DEFAULT_REST_URL, DEFAULT_WS_AUTH_URL, DEFAULT_WS_URL
from src.brokers.kraken.limits.counters import KrakenRateLimits, KrakenRateLimitSettings
from src.brokers.kraken.limits.gate import NullGate
from src.brokers.kraken.rate_costs import TIERS
from src.brokers.kraken.settings import KrakenSettings
from src.brokers.kraken.ws.market_data import KrakenMarketData
from src.brokers.kraken_adapter import KrakenAdapter
from src.core.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[3]
LOOPBACK = "http://127.0.0.1:8080"  # the paper exchange's usual address (never contacted here)
SECRET = "a2V5"  # base64 of "key": enough for a signing key, not an account's


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty cwd (so ``.env`` is only what a test writes) and no KRAKEN_* in the environment."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("KRAKEN_"):
            monkeypatch.delenv(name)
    return tmp_path


def write_env(path: Path, *lines: str) -> None:
    (path / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")


def gate_of(adapter: KrakenAdapter) -> KrakenRateLimits:
    assert isinstance(adapter.gate, KrakenRateLimits)
    return adapter.gate


async def test_api_url_in_dotenv_is_where_the_adapter_goes(clean: Path) -> None:
    write_env(clean, f"KRAKEN_API_URL={LOOPBACK}")
    # assert_all_mocked: a request to any host without a route fails instead of leaving.
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        loopback = router.get(f"{LOOPBACK}/0/public/Time").mock(
            return_value=httpx.Response(200, json={"error": [], "result": {"unixtime": 7}})
        )
        real = router.route(host="api.kraken.com").mock(return_value=httpx.Response(500))
        async with KrakenAdapter() as adapter:
            assert await adapter.get_server_time() == 7
    assert adapter.base_url == LOOPBACK
    assert loopback.call_count == 1
    assert real.call_count == 0


def test_environment_beats_dotenv(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_env(clean, f"KRAKEN_API_URL={LOOPBACK}", "KRAKEN_TIER=pro", "KRAKEN_NONCE_SCALE=1000")
    monkeypatch.setenv("KRAKEN_API_URL", "http://127.0.0.1:9090")
    monkeypatch.setenv("KRAKEN_TIER", "intermediate")
    adapter = KrakenAdapter()
    assert adapter.base_url == "http://127.0.0.1:9090"
    assert gate_of(adapter).tier == "intermediate"
    assert adapter.rest.transport.nonce.scale == 1000  # not overridden: .env still counts


def test_blank_values_mean_default(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_env(
        clean,
        "KRAKEN_API_URL=",
        "KRAKEN_WS_URL=   ",
        "KRAKEN_WS_AUTH_URL=",
        "KRAKEN_TIER=",
        "KRAKEN_RATE_LIMIT_MODE=",
        "KRAKEN_HISTORY_CALL_COST=",
        "KRAKEN_RATE_LIMIT_MARGIN=",
        "KRAKEN_NONCE_SCALE=",
    )
    monkeypatch.setenv("KRAKEN_TIER", "")  # blank in the environment: not given there either
    assert KrakenSettings() == KrakenSettings.model_construct()
    adapter = KrakenAdapter()
    assert (adapter.base_url, adapter.ws_url, adapter.ws_auth_url) == (
        DEFAULT_REST_URL,
        DEFAULT_WS_URL,
        DEFAULT_WS_AUTH_URL,
    )
    assert (gate_of(adapter).tier, gate_of(adapter).mode) == ("starter", "wait")


def test_the_shipped_env_example_loads(clean: Path) -> None:
    shutil.copy(ROOT / ".env.example", clean / ".env")
    settings = KrakenSettings()
    assert settings.api_url == DEFAULT_REST_URL
    assert settings.tier == "starter"
    assert not BrokerCredentials().has_kraken


def test_tier_in_dotenv_gives_that_tiers_gate(clean: Path) -> None:
    write_env(clean, "KRAKEN_TIER=pro", "KRAKEN_RATE_LIMIT_MODE=Refuse")
    gate = gate_of(KrakenAdapter())
    assert (gate.tier, gate.mode) == ("pro", "refuse")
    assert gate.limits == TIERS["pro"]


@pytest.mark.parametrize(
    ("line", "variable"),
    [
        ("KRAKEN_TIER=diamond", "KRAKEN_TIER"),
        ("KRAKEN_RATE_LIMIT_MODE=sometimes", "KRAKEN_RATE_LIMIT_MODE"),
        ("KRAKEN_NONCE_SCALE=7", "KRAKEN_NONCE_SCALE"),
        ("KRAKEN_HISTORY_CALL_COST=-1", "KRAKEN_HISTORY_CALL_COST"),
        ("KRAKEN_API_URL=127.0.0.1:8080", "KRAKEN_API_URL"),
        ("KRAKEN_WS_AUTH_URL=https://ws-auth.kraken.com/v2", "KRAKEN_WS_AUTH_URL"),
    ],
)
def test_invalid_value_names_the_variable(clean: Path, line: str, variable: str) -> None:
    write_env(clean, line)
    with pytest.raises(ConfigurationError, match=variable):
        KrakenSettings()
    with pytest.raises(ConfigurationError, match=variable):
        KrakenAdapter()


def test_invalid_tier_in_environment_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRAKEN_TIER", "platinum")
    with pytest.raises(ConfigurationError, match="KRAKEN_TIER='platinum'"):
        KrakenAdapter(api_key="key", api_secret=SECRET)


def test_constructor_arguments_beat_settings(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_env(
        clean,
        f"KRAKEN_API_URL={LOOPBACK}",
        "KRAKEN_WS_URL=ws://127.0.0.1:8080/ws/v2",
        "KRAKEN_WS_AUTH_URL=ws://127.0.0.1:8080/ws-auth/v2",
        "KRAKEN_NONCE_SCALE=1000",
    )
    monkeypatch.setenv("KRAKEN_TIER", "pro")
    gate = NullGate()
    adapter = KrakenAdapter(
        base_url="http://127.0.0.1:7070/",
        ws_url="ws://127.0.0.1:7070/ws/v2",
        ws_auth_url="ws://127.0.0.1:7070/ws-auth/v2",
        nonce_scale=1_000_000,
        gate=gate,
    )
    assert adapter.base_url == "http://127.0.0.1:7070"
    assert adapter.ws_url == "ws://127.0.0.1:7070/ws/v2"
    assert adapter.ws_auth_url == "ws://127.0.0.1:7070/ws-auth/v2"
    assert adapter.rest.transport.nonce.scale == 1_000_000
    assert adapter.gate is gate


def test_given_settings_are_used_and_nothing_rereads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = KrakenSettings(api_url=LOOPBACK, tier="intermediate", nonce_scale=1000)
    # Invalid values now in the environment would raise if anything read it again.
    monkeypatch.setenv("KRAKEN_TIER", "diamond")
    monkeypatch.setenv("KRAKEN_API_URL", "not a url")
    adapter = KrakenAdapter(settings=settings)
    assert adapter.settings is settings
    assert adapter.base_url == LOOPBACK
    assert gate_of(adapter).tier == "intermediate"
    assert adapter.rest.transport.nonce.scale == 1000
    market = KrakenMarketData(settings=settings)
    assert (market.ws_url, market.rest_url) == (DEFAULT_WS_URL, LOOPBACK)


def test_market_data_reads_dotenv_and_arguments_win(clean: Path) -> None:
    write_env(clean, "KRAKEN_WS_URL=ws://127.0.0.1:8080/ws/v2", f"KRAKEN_API_URL={LOOPBACK}")
    market = KrakenMarketData()
    assert (market.ws_url, market.rest_url) == ("ws://127.0.0.1:8080/ws/v2", LOOPBACK)
    market = KrakenMarketData("ws://127.0.0.1:7070/ws/v2", "http://127.0.0.1:7070")
    assert (market.ws_url, market.rest_url) == (
        "ws://127.0.0.1:7070/ws/v2",
        "http://127.0.0.1:7070",
    )


def test_rate_limit_settings_name_and_from_env_still_work(clean: Path) -> None:
    write_env(clean, "KRAKEN_HISTORY_CALL_COST=4", "KRAKEN_RATE_LIMIT_MARGIN=0.25")
    assert KrakenRateLimitSettings is KrakenSettings
    gate = KrakenRateLimits.from_env(settings=KrakenSettings(tier="pro"))
    assert gate.tier == "pro"
    assert gate.rest_cost("Ledgers") == 4  # the other fields still come from .env
    assert gate.safety_margin == 0.25


def test_settings_are_frozen_and_ignore_credentials(clean: Path) -> None:
    write_env(clean, "KRAKEN_API_KEY=public", f"KRAKEN_API_SECRET={SECRET}", "OTHER=1")
    settings = KrakenSettings()
    assert "api_key" not in settings.model_dump()  # credentials live in BrokerCredentials only
    assert SECRET not in repr(settings)
    with pytest.raises(ValidationError, match="frozen"):
        settings.tier = "pro"  # type: ignore[misc]


async def test_live_venue_uses_the_tier_from_settings(clean: Path) -> None:
    write_env(clean, "KRAKEN_TIER=pro", f"KRAKEN_API_URL={LOOPBACK}")
    async with live_venue("key", SECRET, settings=KrakenSettings()) as venue:
        assert gate_of(venue.adapter).tier == "pro"
        assert venue.adapter.base_url == LOOPBACK
    async with live_venue("key", SECRET, "intermediate", settings=KrakenSettings()) as venue:
        assert gate_of(venue.adapter).tier == "intermediate"  # an explicit tier still wins


async def test_live_example_passes_kraken_tier_down(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from examples import live_trading_kraken

    write_env(
        clean, "KRAKEN_TIER=intermediate", "KRAKEN_API_KEY=public", f"KRAKEN_API_SECRET={SECRET}"
    )
    seen: list[KrakenSettings] = []

    class Stop(Exception):
        pass

    @asynccontextmanager
    async def fake_live_venue(*args: Any, **kwargs: Any) -> AsyncIterator[Venue]:
        seen.append(kwargs["settings"])
        raise Stop
        yield  # pragma: no cover - makes this a generator

    monkeypatch.setattr(live_trading_kraken, "setup_logs", lambda mode: clean / "log.jsonl")
    monkeypatch.setattr(live_trading_kraken, "live_venue", fake_live_venue)
    risk = str(ROOT / "config" / "risk.toml")
    with pytest.raises(Stop):
        await live_trading_kraken.main(["--live", "--yes", "--risk-config", risk])
    assert [s.tier for s in seen] == ["intermediate"]

"""``ktrade check``, ``paper``, ``live`` and ``status`` end to end on the local paper exchange.

``live`` is pointed at a paper exchange through ``KRAKEN_API_URL`` (the adapter's documented
override), so nothing here can reach Kraken.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.integration.cli.conftest import ThreadedExchange
from tests.unit.cli.cli_support import Home, Result

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _point_at(
    exchange: ThreadedExchange,
    monkeypatch: pytest.MonkeyPatch,
    *,
    key: str | None = None,
    secret: str | None = None,
) -> None:
    ex = exchange.exchange
    assert ex is not None
    monkeypatch.setenv("KRAKEN_API_URL", ex.rest_url)
    monkeypatch.setenv("KRAKEN_WS_URL", ex.ws_url)
    monkeypatch.setenv("KRAKEN_WS_AUTH_URL", ex.ws_auth_url)
    monkeypatch.setenv("KRAKEN_API_KEY", key or ex.api_key)
    monkeypatch.setenv("KRAKEN_API_SECRET", secret or ex.api_secret)


def test_check_without_keys_checks_the_paper_exchange(
    home: Home, ktrade: Callable[..., Result]
) -> None:
    result = ktrade("check")
    assert result.code == 0, result.err
    assert "No Kraken keys configured: checking the local paper exchange (PAPER)" in result.out
    assert "ALL TESTS PASSED! (PAPER)" in result.out


def test_check_with_keys_checks_them_and_their_permissions(
    home: Home,
    ktrade: Callable[..., Result],
    threaded_exchange: ThreadedExchange,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _point_at(threaded_exchange, monkeypatch)
    result = ktrade("check")
    assert result.code == 0, result.out + result.err
    # Keys at an endpoint that is not Kraken (here a paper exchange) do not read as LIVE.
    assert "Checking Kraken (YOUR KEYS)" in result.out and "LIVE" not in result.out
    assert "API key permissions" in result.out and "ok       query funds" in result.out
    assert "ALL TESTS PASSED! (YOUR KEYS)" in result.out
    assert "fix:" not in result.err


def test_check_with_a_refused_key_fails(
    home: Home,
    ktrade: Callable[..., Result],
    threaded_exchange: ThreadedExchange,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _point_at(threaded_exchange, monkeypatch, key="not-a-key-the-exchange-knows")
    result = ktrade("check")
    assert result.code == 1
    assert "❌ Authentication: AuthenticationError" in result.out
    assert "CHECK(S) FAILED (YOUR KEYS): Authentication" in result.out
    assert "fix: the exchange refused the key: check KRAKEN_API_KEY" in result.err


def test_paper_session_unlocks_live_for_the_same_strategy_only(
    home: Home,
    ktrade: Callable[..., Result],
    threaded_exchange: ThreadedExchange,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home.write_config("[trading]\npaper_gate_minutes = 0\n")
    paper = ktrade("paper", "--duration", "3")
    assert paper.code == 0, paper.err
    assert "### PAPER TRADING" in paper.out
    assert "mode       PAPER: the local paper exchange" in paper.out
    assert "strategy   moving-average cross 3/8 on 60-minute candles" in paper.out
    assert "Session summary" in paper.out and " NO" not in paper.out
    [record] = [json.loads(line) for line in (home.data / "runtime" / "sessions.jsonl").open()]
    assert record["mode"] == "paper" and record["exit_code"] == 0
    assert record["identity"] == "ma fast=3 slow=8 60m BTC/USD,ETH/USD"
    status = ktrade("status")
    assert status.code == 0 and f"{home.data / 'runtime' / 'paper.sqlite'}" in status.out

    no_keys = ktrade("live", "--duration", "1")
    assert no_keys.code == 2
    assert no_keys.err.startswith("error: live trading needs your Kraken API key")

    _point_at(threaded_exchange, monkeypatch)
    other = ktrade("live", "--fast", "4", "--duration", "1")
    assert other.code == 2
    assert "needs a recent paper session of the same strategy" in other.err
    assert "ma fast=4 slow=8" in other.err

    monkeypatch.setattr("builtins.input", lambda prompt: "yes")  # not the word asked for
    declined = ktrade("live", "--duration", "1")
    assert declined.code == 1
    assert "paper gate: passed" in declined.out
    assert "NOT Kraken's host: KRAKEN_API_URL is http://127.0.0.1:" in declined.out
    assert "error: not confirmed; nothing was sent" in declined.err

    monkeypatch.setattr("builtins.input", lambda prompt: "LIVE")
    live = ktrade("live", "--duration", "1")
    assert live.code == 0, live.err
    assert "### LIVE TRADING" in live.out and "mode       LIVE: real orders" in live.out
    assert f"endpoint   {threaded_exchange.exchange.rest_url}" in live.out  # type: ignore[union-attr]
    assert "ok       query funds" in live.out
    [log] = list((home.data / "logs").glob("trading_live_*.jsonl"))[-1:]
    events = [json.loads(line)["event"] for line in log.open()]
    for event in (
        "cli.start",
        "operator.live_confirmed",
        "session.config",
        "session.start",
        "session.stop",
        "cli.stop",
    ):
        assert event in events
    modes = [json.loads(line)["mode"] for line in (home.data / "runtime" / "sessions.jsonl").open()]
    assert modes == ["paper", "live"]


def test_skip_paper_gate_is_logged(
    home: Home,
    ktrade: Callable[..., Result],
    threaded_exchange: ThreadedExchange,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _point_at(threaded_exchange, monkeypatch)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    result = ktrade("live", "--skip-paper-gate", "--duration", "1")
    assert result.code == 1
    assert "WARNING: --skip-paper-gate" in result.err
    logs = "".join(p.read_text() for p in (home.data / "logs").glob("trading_live_*.jsonl"))
    assert "operator.skip_paper_gate" in logs and "operator.live_declined" in logs


def test_paper_on_a_standalone_exchange_keeps_its_books_across_sessions(
    home: Home,
    ktrade: Callable[..., Result],
    threaded_exchange: ThreadedExchange,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ex = threaded_exchange.exchange
    assert ex is not None
    refused = ktrade("paper", "--exchange-url", ex.rest_url, "--duration", "1")
    assert refused.code == 2 and "KTRADE_PAPER_API_KEY" in refused.err
    monkeypatch.setenv("KTRADE_PAPER_API_KEY", ex.api_key)
    monkeypatch.setenv("KTRADE_PAPER_API_SECRET", ex.api_secret)
    db_name = "paper@" + ex.rest_url.split("://", 1)[1].replace(":", "-") + ".sqlite"
    for _ in range(2):  # the second session resumes the first one's books, kept on disk
        result = ktrade("paper", "--exchange-url", ex.rest_url + "/", "--duration", "2")
        assert result.code == 0, result.out + result.err
        assert f"endpoint   {ex.rest_url}\n" in result.out  # not the in-process exchange
        assert " NO" not in result.out.split("Session summary", 1)[1]
        assert (home.data / "runtime" / db_name).is_file()


def test_paper_replays_one_candle_of_the_interval_a_second(
    home: Home, ktrade: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At one hour a second a 1-minute strategy would get 60 candles a second, and its limits
    (orders a minute) would refuse nearly all it decides; the replay follows the interval."""
    import src.app.session as session_module

    speeds: list[float] = []
    real = session_module.paper_venue

    def recording(**kwargs: object) -> object:
        speeds.append(float(kwargs["speed"]))  # type: ignore[arg-type]
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(session_module, "paper_venue", recording)
    for interval, speed in (("1", 60.0), ("60", 3600.0)):
        result = ktrade("paper", "--interval", interval, "--duration", "2", "--no-dashboard")
        assert result.code == 0, result.err
        assert f"on {interval}-minute candles" in result.out
        assert "max_orders_per_minute" not in result.out  # no order was refused for the rate
        assert speeds[-1] == speed

"""``ktrade download`` (REST OHLC) and ``ktrade universe`` against the paper exchange on loopback.

The exchange runs on a manual clock with no background ticks, so the test decides when new
one-minute bars exist; its OHLC, like Kraken's, serves only the latest 720 bars.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from src.core.clock import ManualClock
from src.ml.data.store import CandleStore
from tests.integration.cli.conftest import ThreadedExchange
from tests.unit.cli.cli_support import Home, Result

pytestmark = pytest.mark.integration
START = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def market(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ThreadedExchange, ManualClock]]:
    clock = ManualClock(wall_start=START)
    runner = ThreadedExchange(market="synthetic", auto_tick=False, clock=clock)
    exchange = runner.start()
    monkeypatch.setenv("KRAKEN_API_URL", exchange.rest_url)
    yield runner, clock
    runner.stop()


def _row(out: str, pair: str) -> list[str]:
    return next(line for line in out.splitlines() if line.strip().startswith(pair)).split()


def test_download_pages_resumes_and_keeps_older_bars(
    home: Home, ktrade: Callable[..., Result], market: tuple[ThreadedExchange, ManualClock]
) -> None:
    runner, clock = market
    first = ktrade("download", "--pairs", "BTC/USD", "ETH/USD", "--interval", "1")
    assert first.code == 0, first.err
    assert "BTC/USD 1m" in first.err  # the progress bar
    btc = _row(first.out, "BTC/USD")
    assert btc[1:3] == ["719", "0"]  # added, had
    store = CandleStore(home.data / "candles")
    oldest = store.read("BTC/USD", 1)["timestamp"].min()

    async def thirty_minutes() -> None:
        assert runner.exchange is not None
        for _ in range(30):
            clock.advance(60)
            await runner.exchange.step(60)

    runner.run(thirty_minutes())
    again = ktrade("download", "--pairs", "BTC/USD", "--interval", "1", "--no-progress")
    assert again.code == 0, again.err
    added, had, conflicts, stored = _row(again.out, "BTC/USD")[1:5]
    assert (added, conflicts, stored) == ("30", "0", "749")
    assert int(had) >= 1  # the overlap re-read at the resume point, not stored twice
    frame = store.read("BTC/USD", 1)
    assert frame["timestamp"].min() == oldest  # older than the API's 720 bars now: still kept
    assert frame["timestamp"].is_unique().all()
    # Missing minutes (the store drops bars without volume) are reported, never invented.
    assert _row(again.out, "BTC/USD")[9] == str(len(store.find_gaps("BTC/USD", 1)))


def test_download_says_where_older_history_comes_from(
    home: Home, ktrade: Callable[..., Result], market: tuple[ThreadedExchange, ManualClock]
) -> None:
    result = ktrade("download", "--pairs", "BTC/USD", "--interval", "60", "--since", "2020-01-01")
    assert result.code == 0
    assert "Kraken's OHLC serves only the latest 720 bars" in result.err
    assert "--import" in result.err


def test_download_of_an_unknown_pair_suggests_one(
    home: Home, ktrade: Callable[..., Result], market: tuple[ThreadedExchange, ManualClock]
) -> None:
    result = ktrade("download", "--pairs", "BTC/USX")
    assert result.code == 2
    # The paper exchange lists every Kraken pair, so BTC/USD leads the close matches.
    assert result.err.startswith("error: unknown symbol 'BTC/USX'; did you mean BTC/USD")


def test_universe_filters_prints_and_writes(
    home: Home, ktrade: Callable[..., Result], market: tuple[ThreadedExchange, ManualClock]
) -> None:
    runner, _ = market
    assert runner.exchange is not None
    for pair, price in (
        ("XBTUSD", "30000"),
        ("ETHUSD", "2000"),
        ("SOLUSD", "150"),
        ("XDGUSD", "0.1"),
        ("XRPUSD", "0.5"),
        ("ETHXBT", "0.066"),
    ):
        runner.call(runner.exchange.drive, pair, price, "10", "buy")
    result = ktrade("universe", "--min-volume", "0", "--max-spread-bps", "10000")
    assert result.code == 0, result.err
    listed = {line.split()[0] for line in result.out.splitlines()[3:] if "/" in line}
    # The paper exchange lists every Kraken pair: the driven ones pass, only USD quotes show.
    assert {"BTC/USD", "ETH/USD", "SOL/USD", "DOGE/USD", "XRP/USD"} <= listed
    assert all(name.endswith("/USD") for name in listed)
    btc = ktrade("universe", "--quote", "BTC", "--min-volume", "0", "--max-spread-bps", "10000")
    btc_listed = {line.split()[0] for line in btc.out.splitlines()[3:] if "/" in line}
    assert "ETH/BTC" in btc_listed and all(name.endswith("/BTC") for name in btc_listed)

    home.write_config('[universe]\nexclude_bases = ["DOGE"]\n[risk]\nallowed_pairs = ["BTC/USD"]\n')
    written = ktrade(
        "universe",
        "--min-volume",
        "0",
        "--max-spread-bps",
        "10000",
        "--max-pairs",
        "3",
        "--exclude-base",
        "XRP",
        "--write",
    )
    assert written.code == 0, written.err
    saved = tomllib.loads(home.config.read_text())
    assert len(saved["trading"]["pairs"]) == 3
    assert not {"DOGE/USD", "XRP/USD"} & set(saved["trading"]["pairs"])
    assert saved["risk"]["allowed_pairs"] == saved["trading"]["pairs"]
    assert saved["universe"]["exclude_bases"] == ["DOGE"]  # the option is not written back
    none = ktrade("universe", "--min-volume", "1e15")
    assert none.code == 2 and "error: no pair passes the filters" in none.err

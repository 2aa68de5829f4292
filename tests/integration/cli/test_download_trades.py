"""``ktrade download --trades`` against the paper exchange on loopback: paged, stored, resumed.

The exchange runs on a manual clock with no background ticks; the test prints the trades
(``drive``), so it knows every trade the exchange's ``Trades`` endpoint can return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from src.core.clock import ManualClock
from src.ml.data.sources import candles_from_trades
from src.ml.data.store import CandleStore
from src.ml.data.trades import TradeStore
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


def _trade_minutes(runner: ThreadedExchange, clock: ManualClock, minutes: int) -> None:
    """Print three BTC/USD trades in each of ``minutes`` minutes, 20 s apart."""

    async def trade() -> None:
        assert runner.exchange is not None
        for i in range(minutes * 3):
            clock.advance(20)
            runner.exchange.drive("XBTUSD", str(30000 + (i * 7) % 50), "0.01")

    runner.run(trade())


def _tape_ids(runner: ThreadedExchange) -> list[str]:
    assert runner.exchange is not None
    return [str(t.trade_id) for t in runner.exchange.markets["XXBTZUSD"].tape]


def _row(out: str, pair: str) -> list[str]:
    return next(line for line in out.splitlines() if line.strip().startswith(pair)).split()


def test_trades_are_paged_stored_resumed_and_made_into_closed_bars(
    home: Home, ktrade: Callable[..., Result], market: tuple[ThreadedExchange, ManualClock]
) -> None:
    runner, clock = market
    _trade_minutes(runner, clock, 10)
    since = (START - timedelta(days=1)).date().isoformat()
    first = ktrade(
        "download", "--pairs", "BTC/USD", "--interval", "1", "--trades", "--since", since
    )
    assert first.code == 0, first.err
    assert "BTC/USD trades" in first.err  # the progress bar
    trades = TradeStore(home.data / "candles")
    held = trades.read("BTC/USD")
    # Every print the exchange still serves (its tape) is stored once, in order.
    assert held["trade_id"].to_list() == _tape_ids(runner)
    store = CandleStore(home.data / "candles")
    bars = store.read("BTC/USD", 1)
    expected = candles_from_trades(held.select("timestamp", "price", "volume"), 1)
    # Closed bars only: not the newest trade's bar, not the first trade's (joined midway).
    assert bars.height == expected.height - 2
    assert bars.equals(expected.slice(1, bars.height))

    _trade_minutes(runner, clock, 5)
    again = ktrade("download", "--pairs", "BTC/USD", "--interval", "1", "--trades", "--no-progress")
    assert again.code == 0, again.err
    assert _row(again.out, "BTC/USD")[-1] == "(+15)"  # only the new prints were fetched
    held = trades.read("BTC/USD")
    assert held["trade_id"].to_list() == _tape_ids(runner)
    rebuilt = store.read("BTC/USD", 1)
    expected = candles_from_trades(held.select("timestamp", "price", "volume"), 1)
    # The bar that was still open at the first run is now whole, from all its trades.
    assert rebuilt.equals(expected.slice(1, expected.height - 2))
    assert rebuilt.height > bars.height


def test_trades_without_since_or_stored_trades_say_what_to_add(
    home: Home, ktrade: Callable[..., Result], market: tuple[ThreadedExchange, ManualClock]
) -> None:
    result = ktrade("download", "--pairs", "BTC/USD", "--trades")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert lines[0].startswith("error: --trades: no BTC/USD trades stored yet")
    assert lines[1].startswith("  fix: add --since DATE")

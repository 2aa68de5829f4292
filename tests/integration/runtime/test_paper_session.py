"""End to end on the paper exchange: the session's fills, positions and PnL match its records."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from src.app.session import SessionSettings, build_runtime, paper_venue
from src.app.summary import scope_line, summarize
from src.core.market_data import Candle
from src.core.portfolio import Portfolio
from src.core.risk import RiskLimits
from src.core.sizing import Target
from src.core.strategy import MovingAverageCross

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_paper_session_books_match_the_exchange(tmp_path: Path) -> None:
    lines: list[str] = []
    settings = SessionSettings(
        db_path=tmp_path / "paper.sqlite", limits=RiskLimits(kill_file=None), poll_seconds=0.1
    )
    async with paper_venue(speed=3600) as venue:
        strategy = MovingAverageCross(["BTC/USD", "ETH/USD"], fast=2, slow=4, interval_minutes=60)
        runtime = build_runtime(venue, strategy, settings, status_sink=lines.append)
        await runtime.run(duration=5)
        summary = await summarize(runtime, venue.adapter)
        venue_fills = await venue.adapter.get_fills()
        account = await venue.adapter.get_account()

    assert runtime.portfolio.trades >= 2, lines
    assert summary.agrees, summary.table()
    # Independently of the summary helper: same trades, and the exchange's trades rebuild the
    # same book (positions, realized PnL, fees) as the runtime's database.
    ours = runtime.store.fills()
    assert sorted(f.fill_id for f in ours) == sorted(f.fill_id for f in venue_fills)
    rebuilt = Portfolio()
    for fill in venue_fills:
        rebuilt.commit(*rebuilt.preview(fill))
    for symbol in ("BTC/USD", "ETH/USD"):
        assert runtime.portfolio.position(symbol) == rebuilt.position(symbol)
    assert runtime.portfolio.fees == sum((f.fee for f in venue_fills), Decimal(0))
    baseline = runtime.store.get("baseline_balances")
    for symbol, base in (("BTC/USD", "BTC"), ("ETH/USD", "ETH")):
        change = account[base] - Decimal(baseline[base])
        assert runtime.portfolio.position(symbol).quantity == change
    assert "kill=off" in lines[-1]


async def test_after_a_restart_the_summary_says_this_sessions_share(tmp_path: Path) -> None:
    # The summary audits the database's whole history; after a restart on the same database
    # the operator must still see how many fills this session made, and since when the rest.
    db = tmp_path / "live.sqlite"
    settings = SessionSettings(db_path=db, limits=RiskLimits(kill_file=None), poll_seconds=0.1)
    strategy = MovingAverageCross(["BTC/USD"], fast=2, slow=4, interval_minutes=60)
    async with paper_venue(speed=3600) as venue:
        first = build_runtime(venue, strategy, settings, status_sink=lambda _: None)
        await first.run(duration=4)
        earlier = len(first.store.fills())
        since = min(o.created_at for o in first.store.orders())
        second = build_runtime(venue, strategy, settings, status_sink=lambda _: None)
        before = len(second.store.fills())
        await second.run(duration=4)
        total = len(second.store.fills())
        summary = await summarize(second, venue.adapter)

    assert earlier >= 1 and before == earlier and total > earlier
    assert summary.rows[0].ours == str(total) and summary.agrees, summary.table()
    assert scope_line(second, before, db) == (
        f"this session: {total - earlier} of the {total} fills recorded in {db} "
        f"since {since:%Y-%m-%d %H:%M} UTC, which the table covers"
    )


class _OnlyBitcoinMoves(MovingAverageCross):
    """Trades BTC/USD, and holds ETH/USD flat without ever asking for an order."""

    def on_candle(self, candle: Candle) -> list[Target]:
        return [] if candle.symbol == "ETH/USD" else super().on_candle(candle)


async def test_a_pair_that_never_filled_still_reads_flat_in_the_summary(tmp_path: Path) -> None:
    # A session paused after its first fill may leave a pair untraded; the operator must see
    # that pair's position and balance rows as flat, not find them missing from the table.
    settings = SessionSettings(
        db_path=tmp_path / "one.sqlite", limits=RiskLimits(kill_file=None), poll_seconds=0.1
    )
    strategy = _OnlyBitcoinMoves(["BTC/USD", "ETH/USD"], fast=2, slow=4, interval_minutes=60)
    async with paper_venue(speed=3600) as venue:
        runtime = build_runtime(venue, strategy, settings, status_sink=lambda _: None)
        await runtime.run(duration=4)
        summary = await summarize(runtime, venue.adapter)

    assert {f.symbol for f in runtime.store.fills()} == {"BTC/USD"}
    rows = {r.name: (r.ours, r.exchange) for r in summary.rows}
    assert rows["ETH/USD position"] == ("0", "0")
    assert rows["ETH balance change"] == ("0", "0")
    assert "BTC/USD position" in rows and summary.agrees, summary.table()

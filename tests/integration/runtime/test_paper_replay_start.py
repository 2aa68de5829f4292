"""``paper_venue(replay_start=...)`` replays the recorded market from then, on today's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from src.app.session import paper_venue
from src.venues.kraken_paper.sources import DATA_DIR, REPLAY_FILES, load_hourly

pytestmark = pytest.mark.integration


def _recorded_range(start: datetime, hours: int) -> tuple[float, float]:
    rows = load_hourly(DATA_DIR / REPLAY_FILES["XXBTZUSD"])
    first, last = start.timestamp(), (start + timedelta(hours=hours)).timestamp()
    window = [(low, high) for t, _o, high, low, _c in rows if first <= t <= last]
    return min(lo for lo, _ in window), max(hi for _, hi in window)


async def test_the_replay_starts_where_asked_and_the_exchange_clock_stays_in_the_present() -> None:
    start = datetime(2022, 6, 1, tzinfo=UTC)
    async with paper_venue(speed=3600, replay_start=start) as venue:
        candles = await venue.adapter.fetch_candles("BTC/USD", 60)
        ticker = await venue.adapter.get_ticker("XXBTZUSD")
        server_time = await venue.adapter.get_server_time()
    # The backfill and the first ticks follow the recorded June 2022 path (about 29-32k), not
    # January 2021's first candle (about 29k then 40k); the band is the recorded range.
    low, high = _recorded_range(start, 18)  # 12 h of backfill, then seconds at 3600x
    last = float(next(iter(ticker.values()))["c"][0])
    assert low <= last <= high, (last, low, high)
    assert all(low <= float(c.close) <= high for c in candles)
    # Fills, tokens and candles are stamped in the present, as on Kraken.
    now = datetime.now(UTC)
    assert abs(server_time - now.timestamp()) < 3600 * 24
    assert candles and candles[-1].timestamp > now - timedelta(days=2)
    assert all(isinstance(c.close, Decimal) for c in candles)


async def test_without_replay_start_the_replay_begins_at_the_first_recorded_candle() -> None:
    rows = load_hourly(DATA_DIR / REPLAY_FILES["XXBTZUSD"])
    async with paper_venue(speed=3600) as venue:
        ticker = await venue.adapter.get_ticker("XXBTZUSD")
    last = float(next(iter(ticker.values()))["c"][0])
    lows, highs = [r[3] for r in rows[:16]], [r[2] for r in rows[:16]]
    assert min(lows) <= last <= max(highs)

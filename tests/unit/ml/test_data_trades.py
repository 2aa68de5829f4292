"""Trades in the candle store: paging any trade source, resuming, and closed bars only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from src.core.market_data import PublicTrade, TradeSource
from src.ml.data.sources import candles_from_trades
from src.ml.data.trades import (
    TradeStore,
    _frame,
    _keys,
    backfill_trades,
    bar_start,
    closed_bars,
)

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def _tape(count: int, *, step_s: float = 7.0, same_time_every: int = 0) -> list[PublicTrade]:
    """``count`` prints, ``step_s`` apart; every ``same_time_every``-th shares its time."""
    out, at = [], T0 + timedelta(seconds=3)
    for i in range(count):
        if not same_time_every or i % same_time_every:
            at += timedelta(seconds=step_s)
        out.append(
            PublicTrade(
                symbol="BTC/USD",
                price=Decimal(30000 + (i * 37) % 500),
                quantity=Decimal("0.01") * (1 + i % 5),
                side="buy" if i % 3 else "sell",
                timestamp=at,
                trade_id=str(i + 1),
            )
        )
    return out


class PagedTape:
    """A trade source as the protocol says: ``page`` prints at or after ``since``, in order."""

    def __init__(self, tape: list[PublicTrade], page: int) -> None:
        self.tape, self.page = tape, page
        self.calls: list[datetime | None] = []

    async def fetch_trades(
        self, symbol: str, since: datetime | None = None
    ) -> Sequence[PublicTrade]:
        self.calls.append(since)
        if since is None:
            return self.tape[: self.page]
        return [t for t in self.tape if t.timestamp >= since][: self.page]


def test_the_fake_is_a_trade_source() -> None:
    assert isinstance(PagedTape([], 1), TradeSource)


async def test_backfill_pages_every_trade_once_even_across_equal_times(tmp_path: Path) -> None:
    # Pairs of trades share a time, and page boundaries (every 25) split some pairs: the
    # source repeats the ones at the cursor's time, which are dropped by id.
    tape = _tape(230, same_time_every=2)
    source = PagedTape(tape, 25)
    store = TradeStore(tmp_path)
    done = await backfill_trades(source, store, "BTC/USD", since=T0, progress=False)
    held = store.read("BTC/USD")
    assert held["trade_id"].to_list() == [t.trade_id for t in tape]
    assert done.fetched == len(tape) and done.newest == tape[-1].timestamp
    assert len(source.calls) >= len(tape) // 25 + 1  # paged, and asked once more at the end


async def test_backfill_resumes_after_the_newest_stored_trade_and_chunks(tmp_path: Path) -> None:
    tape = _tape(300)
    store = TradeStore(tmp_path)
    first = PagedTape(tape[:120], 50)
    await backfill_trades(first, store, "BTC/USD", since=T0, flush_rows=60, progress=False)
    assert len(list(store.folder("BTC/USD").glob("*.parquet"))) == 2  # flushed at 100, then 120
    again = PagedTape(tape, 50)
    done = await backfill_trades(again, store, "BTC/USD", progress=False)
    assert again.calls[0] == tape[119].timestamp  # not from the start
    assert done.fetched == 180 and done.resumed_from == tape[119].timestamp
    held = store.read("BTC/USD")
    assert held["trade_id"].to_list() == [t.trade_id for t in tape]


async def test_an_interrupted_backfill_keeps_what_it_fetched(tmp_path: Path) -> None:
    tape = _tape(200)

    class Failing(PagedTape):
        async def fetch_trades(
            self, symbol: str, since: datetime | None = None
        ) -> Sequence[PublicTrade]:
            if len(self.calls) == 3:
                raise ConnectionError("dropped")
            return await super().fetch_trades(symbol, since)

    store = TradeStore(tmp_path)
    with pytest.raises(ConnectionError):
        await backfill_trades(Failing(tape, 40), store, "BTC/USD", since=T0, progress=False)
    kept = store.read("BTC/USD")["trade_id"].to_list()
    # Three pages of 40, each (but the first) repeating the trade at its cursor: 118 kept.
    assert kept == [t.trade_id for t in tape[:118]]
    await backfill_trades(PagedTape(tape, 40), store, "BTC/USD", progress=False)
    assert store.read("BTC/USD")["trade_id"].to_list() == [t.trade_id for t in tape]


async def test_backfill_stops_before_until(tmp_path: Path) -> None:
    tape = _tape(100)
    until = tape[60].timestamp
    store = TradeStore(tmp_path)
    await backfill_trades(
        PagedTape(tape, 30), store, "BTC/USD", since=T0, until=until, progress=False
    )
    assert store.read("BTC/USD")["trade_id"].to_list() == [t.trade_id for t in tape[:60]]


def test_closed_bars_leave_out_the_bar_of_the_newest_trade() -> None:
    frame = _frame(_tape(100, step_s=11))  # about 18 minutes
    newest = frame["timestamp"].max()
    assert isinstance(newest, datetime)
    bars = closed_bars(frame, 5)
    last_open = bars["timestamp"].max()
    assert isinstance(last_open, datetime)
    assert last_open + timedelta(minutes=5) <= newest
    everything = candles_from_trades(frame, 5)
    assert everything.height == bars.height + 1
    assert bars.equals(everything.head(bars.height))


def test_bar_start_is_epoch_aligned() -> None:
    moment = datetime(2025, 3, 1, 10, 7, 31, 5, tzinfo=UTC)
    assert bar_start(moment, 5) == datetime(2025, 3, 1, 10, 5, tzinfo=UTC)
    assert bar_start(moment, 60) == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert bar_start(datetime(2025, 3, 1, 10, 5, tzinfo=UTC), 5).minute == 5


def test_trades_without_ids_are_told_apart_by_every_field() -> None:
    tape = [t.model_copy(update={"trade_id": None}) for t in _tape(10)]
    keys = _keys(_frame(tape))
    assert len(keys) == 10
    assert pl.Series(list(keys)).str.contains(r"\|").all()

"""The parquet candle store: layout, append-only updates, conflicts, gaps and REST backfill."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from structlog.testing import capture_logs

from src.core.market_data import Candle, CandleSource
from src.ml.data import (
    CANDLE_SCHEMA,
    CandleDataError,
    CandleStore,
    fetch_candle_history,
    read_kraken_ohlcvt_csv,
)


@pytest.fixture
def store(tmp_path: Path) -> CandleStore:
    return CandleStore(tmp_path / "candles")


@pytest.fixture(scope="module")
def minutes(market_dir: Path) -> pl.DataFrame:
    path = market_dir / "kraken-ohlcvt-1m-btcusdc-2023q1" / "BTCUSDC_1m_2023-03-01_to_03-15.csv"
    return read_kraken_ohlcvt_csv(path).head(2000)


class PagedSource:
    """A CandleSource over real candles, 500 per page, like a paging REST endpoint."""

    def __init__(self, frame: pl.DataFrame, *, exclusive: bool = False, page: int = 500) -> None:
        self.frame, self.exclusive, self.page = frame, exclusive, page
        self.calls: list[datetime | None] = []

    async def fetch_candles(
        self, symbol: str, interval_minutes: int, since: datetime | None = None
    ) -> Sequence[Candle]:
        self.calls.append(since)
        rows = self.frame
        if since is not None:
            keep = pl.col("timestamp") > since if self.exclusive else pl.col("timestamp") >= since
            rows = rows.filter(keep)
        return [
            Candle(
                symbol=symbol,
                interval_minutes=interval_minutes,
                timestamp=r["timestamp"],
                open=Decimal(str(r["open"])),
                high=Decimal(str(r["high"])),
                low=Decimal(str(r["low"])),
                close=Decimal(str(r["close"])),
                volume=Decimal(str(r["volume"])),
                trades=r["trades"],
            )
            for r in rows.head(self.page).iter_rows(named=True)
        ]


def test_layout_and_round_trip(store: CandleStore, btc_hourly: pl.DataFrame) -> None:
    result = store.update("BTC/USD", "1h", btc_hourly)
    assert result.added == btc_hourly.height
    assert store.path("BTC/USD", 60) == store.root / "BTC-USD" / "60m.parquet"
    assert store.path("BTC/USD", 60).exists()
    back = store.read("BTC/USD", "60m")
    assert back.equals(btc_hourly) and dict(back.schema) == CANDLE_SCHEMA
    start, end = btc_hourly["timestamp"][10], btc_hourly["timestamp"][20]
    assert store.read("BTC/USD", 60, start, end).equals(btc_hourly.slice(10, 10))
    assert store.last_timestamp("BTC/USD", 60) == btc_hourly["timestamp"][-1]


def test_updates_append_only_what_is_new(store: CandleStore, btc_hourly: pl.DataFrame) -> None:
    store.update("BTC/USD", 60, btc_hourly.head(100))
    result = store.update("BTC/USD", 60, btc_hourly.slice(50, 100))
    assert (result.added, result.already_stored, result.conflicts) == (50, 50, 0)
    assert store.read("BTC/USD", 60).equals(btc_hourly.head(150))
    older = store.update("BTC/USD", 60, btc_hourly.head(150).reverse())
    assert older.added == 0 and older.already_stored == 150


def test_backfilling_older_history_merges_in_order(
    store: CandleStore, btc_hourly: pl.DataFrame
) -> None:
    store.update("BTC/USD", 60, btc_hourly.slice(100, 50))
    store.update("BTC/USD", 60, btc_hourly.head(100))
    assert store.read("BTC/USD", 60).equals(btc_hourly.head(150))


def test_conflicting_bars_keep_replace_or_refuse(
    store: CandleStore, btc_hourly: pl.DataFrame
) -> None:
    store.update("BTC/USD", 60, btc_hourly.head(10))
    changed = btc_hourly.slice(5, 1).with_columns(close=pl.col("high"), volume=pl.lit(1.0))
    with capture_logs() as logs:
        kept = store.update("BTC/USD", 60, changed)
    assert (kept.added, kept.conflicts) == (0, 1)
    assert store.read("BTC/USD", 60).equals(btc_hourly.head(10))
    assert any(e["event"] == "candle_conflicts" for e in logs)
    with pytest.raises(CandleDataError, match="differ from stored"):
        store.update("BTC/USD", 60, changed, on_conflict="error")
    store.update("BTC/USD", 60, changed, on_conflict="replace")
    stored = store.read("BTC/USD", 60)
    assert stored.height == 10 and stored["volume"][5] == 1.0


def test_bad_rows_are_refused_and_nothing_is_written(
    store: CandleStore, btc_hourly: pl.DataFrame
) -> None:
    bad = btc_hourly.head(10).with_columns(low=pl.col("high") + 1)
    with pytest.raises(CandleDataError, match="high < low"):
        store.update("BTC/USD", 60, bad)
    assert not store.exists("BTC/USD", 60)


def test_store_reports_gaps(store: CandleStore, minutes: pl.DataFrame) -> None:
    store.update("BTC/USDC", "1m", minutes)
    gaps = store.find_gaps("BTC/USDC", "1m")
    assert gaps and sum(g.missing_bars for g in gaps) == (
        (minutes["timestamp"][-1] - minutes["timestamp"][0]) // timedelta(minutes=1)
        + 1
        - minutes.height
    )


def test_bad_pair_names_and_missing_datasets(store: CandleStore) -> None:
    with pytest.raises(ValueError, match="invalid pair"):
        store.path("../etc", 1)
    with pytest.raises(FileNotFoundError, match="no candles stored"):
        store.scan("ETH/USD", 1)
    assert store.read("ETH/USD", 1).is_empty()


def test_load_files_with_progress(store: CandleStore, market_dir: Path) -> None:
    files = [
        (market_dir / "kraken-ohlcvt-60m" / "XBTUSD_60_2021_2023.csv", "BTC/USD"),
        (market_dir / "kraken-ohlcvt-60m" / "ETHUSD_60_2021_2023.csv", "ETH/USD"),
    ]
    results = store.load_files(files, 60, read_kraken_ohlcvt_csv, progress=False)
    assert [r.added for r in results.values()] == [17668, 19674]
    assert store.read("ETH/USD", 60).height == 19674


@pytest.mark.parametrize("exclusive", [False, True])
async def test_paging_fetches_everything_once(minutes: pl.DataFrame, exclusive: bool) -> None:
    source = PagedSource(minutes, exclusive=exclusive)
    assert isinstance(source, CandleSource)
    got = await fetch_candle_history(source, "BTC/USDC", 1, progress=False)
    assert got.equals(minutes)
    assert len(source.calls) == (5 if exclusive else 6)  # the last page adds nothing new
    until = minutes["timestamp"][1234]
    part = await fetch_candle_history(source, "BTC/USDC", 1, until=until, progress=False)
    assert part.equals(minutes.head(1234))


async def test_backfill_then_update_fetches_only_new_bars(
    store: CandleStore, minutes: pl.DataFrame
) -> None:
    source = PagedSource(minutes.head(1200))
    first = await store.backfill(source, "BTC/USDC", 1, progress=False)
    assert first.added == 1200
    source.frame = minutes  # time passes: the source has 800 more bars
    source.calls.clear()
    second = await store.backfill(source, "BTC/USDC", 1, progress=False)
    assert source.calls[0] == minutes["timestamp"][1199]  # resumes from the newest stored bar
    assert (second.added, second.already_stored) == (800, 1)
    assert store.read("BTC/USDC", 1).equals(minutes)

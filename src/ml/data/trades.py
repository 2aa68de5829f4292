"""Public trades in the candle store: paged from any trade source, kept raw, made into bars.

Kraken's OHLC endpoint serves only the latest 720 bars of an interval, but its Trades endpoint
pages through every print since the pair listed. :func:`backfill_trades` pages a
:class:`TradeSource` from where the store's trades end (or ``since``), writing a chunk file
every ``flush_rows`` trades so an interrupted run keeps what it fetched and the next run
resumes there. :func:`closed_bars` turns stored trades into candles, leaving out the bar the
newest trade is in (more trades may still come for it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import structlog
from tqdm.auto import tqdm

from src.core.execution import ensure_utc
from src.core.market_data import PublicTrade, TradeSource
from src.ml.data.schema import TIMESTAMP, parse_interval
from src.ml.data.sources import candles_from_trades

log = structlog.get_logger(__name__)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

TRADE_ID = "trade_id"
STORED_TRADE_SCHEMA: dict[str, pl.DataType] = {
    TIMESTAMP: pl.Datetime("us", "UTC"),
    "price": pl.Float64(),
    "volume": pl.Float64(),
    "side": pl.String(),
    TRADE_ID: pl.String(),
}


def _frame(trades: Sequence[PublicTrade]) -> pl.DataFrame:
    """Trades as the stored frame (floats only at this edge, as for candles)."""
    return pl.DataFrame(
        {
            TIMESTAMP: [ensure_utc(t.timestamp) for t in trades],
            "price": [float(t.price) for t in trades],
            "volume": [float(t.quantity) for t in trades],
            "side": [t.side for t in trades],
            TRADE_ID: [t.trade_id for t in trades],
        },
        schema=STORED_TRADE_SCHEMA,
    )


def _key_expr() -> pl.Expr:
    """One key per trade: its id, else (a source without ids) every field."""
    fields = pl.concat_str(
        [pl.col(TIMESTAMP).dt.epoch("us").cast(pl.String), "price", "volume", "side"],
        separator="|",
    )
    return pl.coalesce(pl.col(TRADE_ID), fields)


def _keys(frame: pl.DataFrame) -> set[str]:
    return set(frame.select(_key_expr()).to_series().to_list())


class TradeStore:
    """Trades on disk as ``<root>/<PAIR>/trades/<first>-<last>.parquet`` chunks (UTC µs).

    Chunks are written whole (write then rename) and never rewritten, so an append costs one
    chunk however long the history is; readers scan them together.
    """

    def __init__(self, root: str | Path) -> None:
        """Open (or create lazily) the trades under ``root`` (the candle store's root)."""
        self.root = Path(root)

    def folder(self, pair: str) -> Path:
        """The folder of one pair's trade chunks."""
        if "/" not in pair or ".." in pair:
            raise ValueError(f"invalid pair name {pair!r}")
        return self.root / pair.replace("/", "-") / "trades"

    def _chunks(self, pair: str) -> list[Path]:
        folder = self.folder(pair)
        return sorted(folder.glob("*.parquet")) if folder.is_dir() else []

    def read(
        self,
        pair: str,
        start: datetime | None = None,
        *,
        columns: Sequence[str] = tuple(STORED_TRADE_SCHEMA),
    ) -> pl.DataFrame:
        """Stored trades at or after ``start``, in time order (stable: the order fetched).

        ``columns`` narrows what is loaded (a long history without ids is much smaller).
        """
        chunks = self._chunks(pair)
        if not chunks:
            return pl.DataFrame(schema={c: STORED_TRADE_SCHEMA[c] for c in columns})
        lazy = pl.scan_parquet(chunks).select(columns)
        if start is not None:
            lazy = lazy.filter(pl.col(TIMESTAMP) >= ensure_utc(start))
        return lazy.collect().sort(TIMESTAMP, maintain_order=True)

    def last_timestamp(self, pair: str) -> datetime | None:
        """Time of the newest stored trade, or None."""
        chunks = self._chunks(pair)
        if not chunks:
            return None
        value = pl.scan_parquet(chunks).select(pl.col(TIMESTAMP).max()).collect().item()
        return value if isinstance(value, datetime) else None

    def append(self, pair: str, frame: pl.DataFrame) -> None:
        """Write ``frame`` (trades newer than the stored ones) as one new chunk."""
        if frame.is_empty():
            return
        first = frame[TIMESTAMP].min()
        last = frame[TIMESTAMP].max()
        assert isinstance(first, datetime) and isinstance(last, datetime)
        folder = self.folder(pair)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{first:%Y%m%dT%H%M%S%f}-{last:%Y%m%dT%H%M%S%f}.parquet"
        tmp = path.with_suffix(".parquet.tmp")
        frame.select(list(STORED_TRADE_SCHEMA)).write_parquet(tmp, statistics=True)
        os.replace(tmp, path)
        log.info("trades_stored", pair=pair, rows=frame.height, first=first, last=last)


@dataclass(frozen=True)
class TradeBackfill:
    """What one pair's trade backfill did.

    Attributes:
        fetched: New trades stored.
        resumed_from: Where the paging started (the newest stored trade, or ``since``).
        newest: The newest stored trade afterwards (None: nothing stored).
    """

    fetched: int
    resumed_from: datetime | None
    newest: datetime | None


async def backfill_trades(
    source: TradeSource,
    store: TradeStore,
    pair: str,
    *,
    symbol: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    flush_rows: int = 100_000,
    max_pages: int = 1_000_000,
    progress: bool = True,
) -> TradeBackfill:
    """Page trades from ``source`` into ``store`` from the newest stored trade (or ``since``).

    Each page is asked for from the newest trade seen (inclusive, so a source that treats
    ``since`` either way loses nothing at a page boundary); trades already seen at that time
    are dropped by id. Paging stops at a page with nothing new, or at ``until``.
    """
    resumed = store.last_timestamp(pair)
    cursor = resumed or (ensure_utc(since) if since is not None else None)
    stop = ensure_utc(until) if until is not None else None
    boundary = _keys(store.read(pair, resumed)) if resumed is not None else set()
    buffer: list[pl.DataFrame] = []
    fetched = buffered = 0

    def flush() -> None:
        nonlocal buffered
        if buffer:
            store.append(pair, pl.concat(buffer))
            buffer.clear()
            buffered = 0

    with tqdm(desc=f"{pair} trades", unit="trade", disable=not progress) as bar:
        try:
            for _ in range(max_pages):
                page = _frame(await source.fetch_trades(symbol or pair, cursor))
                if cursor is not None:
                    page = page.filter(pl.col(TIMESTAMP) >= cursor)
                if stop is not None:
                    page = page.filter(pl.col(TIMESTAMP) < stop)
                if boundary:
                    page = page.filter(~_key_expr().is_in(list(boundary)))
                if page.is_empty():
                    break
                page = page.sort(TIMESTAMP, maintain_order=True)
                newest = page[TIMESTAMP].max()
                assert isinstance(newest, datetime)
                same = page.filter(pl.col(TIMESTAMP) == newest)
                boundary = (boundary if newest == cursor else set()) | _keys(same)
                cursor = newest
                buffer.append(page)
                fetched += page.height
                buffered += page.height
                bar.update(page.height)
                bar.set_postfix_str(f"at {newest:%Y-%m-%d %H:%M}")
                if buffered >= flush_rows:
                    flush()
            else:
                log.warning("trade_paging_stopped", pair=pair, max_pages=max_pages)
        finally:
            flush()  # an interrupted run keeps what it fetched: the next one resumes there
    return TradeBackfill(fetched, resumed or since, store.last_timestamp(pair))


def closed_bars(trades: pl.DataFrame, interval: str | int) -> pl.DataFrame:
    """Candles of ``interval`` from ``trades``, without the bar the newest trade falls in.

    That bar may still get trades; every earlier bar is closed because trades arrive in time
    order. Call it with every stored trade from a bar's start on, so no bar is cut short.
    """
    if trades.is_empty():
        return candles_from_trades(trades, interval)
    minutes = parse_interval(interval)
    newest = trades[TIMESTAMP].max()
    assert isinstance(newest, datetime)
    bars = candles_from_trades(trades, minutes)
    return bars.filter(pl.col(TIMESTAMP) + timedelta(minutes=minutes) <= newest)


def bar_start(moment: datetime, interval: str | int) -> datetime:
    """The open time of the ``interval`` bar ``moment`` falls in (bars epoch-aligned, UTC)."""
    step = timedelta(minutes=parse_interval(interval))
    return _EPOCH + (ensure_utc(moment) - _EPOCH) // step * step

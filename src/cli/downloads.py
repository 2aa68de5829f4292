"""``ktrade download``: candles into the candle store, from the REST API or Kraken's archives.

REST: Kraken's public OHLC, paged by the adapter (rate-limited like every call) and resumed
from the newest bar the store already holds, so a second run fetches only what is new. The
API serves only the latest 720 bars of an interval; older history comes from Kraken's
downloadable archives, imported with ``--import``: the OHLCVT files (``XBTUSD_60.csv``,
headerless ``time,open,high,low,close,volume,trades``) and the Time & Sales files
(``XBTUSD.csv``, headerless ``time,price,volume``, aggregated into bars here). A file, a
folder or a ``.zip`` of either works; the store validates and deduplicates every row.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from src.cli.errors import CliError
from src.core.market_data import CandleSource, TradeSource
from src.ml.data.schema import TIMESTAMP, epoch_seconds_to_timestamp, to_candle_schema
from src.ml.data.sources import OHLCVT_COLUMNS, candles_from_trades
from src.ml.data.store import CandleStore, UpdateResult
from src.ml.data.trades import TradeStore, backfill_trades, bar_start, closed_bars
from src.ml.dataset import kraken_altname

#: ``XBTUSD_60.csv``, ``XBTUSD_60_2021_2023.csv`` (OHLCVT) or ``XBTUSD.csv`` (Time & Sales).
_NAME = re.compile(r"^(?P<alt>[A-Z0-9]+?)(?:_(?P<interval>\d+))?(?:_[^/]*)?\.csv$", re.I)
#: Kraken's OHLC endpoint returns at most this many bars of an interval (its documentation).
API_BARS = 720


@dataclass(frozen=True)
class Outcome:
    """What one pair's download or import did to the store."""

    pair: str
    source: str
    added: int
    already: int
    conflicts: int
    stored: int
    first: datetime | None
    last: datetime | None
    gaps: int


def _stamp(frame: pl.DataFrame, expr: pl.Expr) -> datetime | None:
    value = frame.select(expr).item() if frame.height else None
    return value if isinstance(value, datetime) else None


def _outcome(store: CandleStore, pair: str, interval: int, source: str, r: UpdateResult) -> Outcome:
    frame = store.read(pair, interval)
    first = _stamp(frame, pl.col(TIMESTAMP).min())
    last = _stamp(frame, pl.col(TIMESTAMP).max())
    gaps = len(store.find_gaps(pair, interval))
    return Outcome(
        pair, source, r.added, r.already_stored, r.conflicts, frame.height, first, last, gaps
    )


async def from_rest(
    store: CandleStore,
    source: CandleSource,
    pairs: list[str],
    interval: int,
    *,
    since: datetime | None,
    until: datetime | None,
    progress: bool,
) -> tuple[list[Outcome], list[str]]:
    """Backfill each pair from ``source`` (the adapter) after the newest stored bar.

    Returns:
        The outcomes, and notes (history asked for that the API cannot serve).
    """
    outcomes, notes = [], []
    for pair in pairs:
        result = await store.backfill(
            source, pair, interval, since=since, until=until, progress=progress
        )
        outcome = _outcome(store, pair, interval, "Kraken REST OHLC", result)
        outcomes.append(outcome)
        if (
            since is not None
            and outcome.first is not None
            and outcome.first > since + timedelta(minutes=interval)
        ):
            notes.append(
                f"{pair}: history starts {outcome.first:%Y-%m-%d %H:%M}, after --since: Kraken's "
                f"OHLC serves only the latest {API_BARS} bars; page every trade since then "
                "with --trades, or import Kraken's OHLCVT archive (support.kraken.com, "
                "'Downloadable historical OHLCVT') with --import"
            )
    return outcomes, notes


async def from_trades(
    store: CandleStore,
    source: TradeSource,
    pairs: list[str],
    interval: int,
    *,
    since: datetime | None,
    until: datetime | None,
    progress: bool,
) -> tuple[list[Outcome], list[str]]:
    """Page each pair's trades into the store from its newest stored trade, then make bars.

    The raw trades are kept (``<PAIR>/trades/``), so a run resumes where the last one ended
    and bars of any interval can be made of them later. Only closed bars go into the candle
    store (the one the newest trade is in waits for the next run), and not the bar the first
    stored trade may have joined midway.

    Raises:
        CliError: nothing stored for a pair and no ``since`` (where would it start?).
    """
    trades = TradeStore(store.root)
    outcomes, notes = [], []
    for pair in pairs:
        if since is None and trades.last_timestamp(pair) is None:
            raise CliError(
                f"--trades: no {pair} trades stored yet, so no place to start",
                "add --since DATE (every print since then; a busy pair's year is millions "
                "of trades, hours at Kraken's public rate limit)",
            )
        done = await backfill_trades(
            source, trades, pair, since=since, until=until, progress=progress
        )
        held = trades.read(pair, columns=(TIMESTAMP, "price", "volume"))
        if held.is_empty():
            notes.append(f"{pair}: the exchange returned no trades at or after {since}")
            outcomes.append(_outcome(store, pair, interval, "Kraken REST Trades", _nothing()))
            continue
        first_trade = held[TIMESTAMP].min()
        assert isinstance(first_trade, datetime)
        # The first stored trade's bar is whole only if that trade opens it exactly. Every
        # later bar is rebuilt from all stored trades: the store keeps the bars it holds.
        floor = bar_start(first_trade, interval)
        if floor != first_trade:
            floor += timedelta(minutes=interval)
        bars = closed_bars(held.filter(pl.col(TIMESTAMP) >= floor), interval)
        result = store.update(pair, interval, bars) if bars.height else _nothing()
        kind = f"Kraken REST Trades (+{done.fetched})"
        outcomes.append(_outcome(store, pair, interval, kind, result))
    return outcomes, notes


def _nothing() -> UpdateResult:
    from src.ml.data.validation import ValidationReport

    return UpdateResult(0, 0, 0, ValidationReport(rows_in=0))


def _members(path: Path) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """(file name, reader) for a CSV file, every CSV in a folder, or every CSV in a zip."""
    if not path.exists():
        raise CliError(f"--import {path}: no such file or folder", "check the path")
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file():
                yield from _members(child)
    elif path.suffix.lower() == ".zip":
        archive = zipfile.ZipFile(path)
        for info in archive.infolist():
            if info.filename.lower().endswith(".csv"):
                yield Path(info.filename).name, functools.partial(archive.read, info)
    elif path.suffix.lower() == ".csv":
        yield path.name, path.read_bytes


def _frame(data: bytes, interval: int) -> tuple[pl.DataFrame, str] | None:
    """Candles from one archive file: OHLCVT as is, Time & Sales aggregated to ``interval``."""
    raw = pl.read_csv(io.BytesIO(data), has_header=False, infer_schema_length=10_000)
    if raw.width == len(OHLCVT_COLUMNS):
        raw.columns = list(OHLCVT_COLUMNS)
        return to_candle_schema(raw.rename({"time": TIMESTAMP})), "Kraken OHLCVT archive"
    if raw.width == 3:
        raw.columns = ["time", "price", "volume"]
        trades = raw.select(
            epoch_seconds_to_timestamp("time").alias(TIMESTAMP),
            pl.col("price").cast(pl.Float64),
            pl.col("volume").cast(pl.Float64),
        )
        return candles_from_trades(trades, interval), "Kraken Time & Sales archive"
    return None


def from_archives(
    store: CandleStore, paths: list[Path], pairs: list[str], interval: int
) -> tuple[list[Outcome], list[str]]:
    """Import every archive file of ``pairs`` at ``interval`` into the store.

    OHLCVT files of other intervals are skipped; Time & Sales files are aggregated.
    """
    wanted = {kraken_altname(p).upper(): p for p in pairs}
    outcomes, notes, seen = [], [], set()
    for path in paths:
        for name, read in _members(path):
            match = _NAME.match(name)
            if match is None or match["alt"].upper() not in wanted:
                continue
            if match["interval"] and int(match["interval"]) != interval:
                continue
            parsed = _frame(read(), interval)
            if parsed is None:
                notes.append(f"{name}: not an OHLCVT or Time & Sales file, skipped")
                continue
            frame, kind = parsed
            pair = wanted[match["alt"].upper()]
            result = store.update(pair, interval, frame)
            outcomes.append(_outcome(store, pair, interval, f"{kind} {name}", result))
            seen.add(pair)
    for pair in pairs:
        if pair not in seen:
            notes.append(
                f"{pair}: no {kraken_altname(pair)}_{interval}.csv (OHLCVT) or "
                f"{kraken_altname(pair)}.csv (Time & Sales) in the files given"
            )
    return outcomes, notes

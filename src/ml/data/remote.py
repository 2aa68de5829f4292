"""Page candles out of any CandleSource (e.g. the Kraken adapter's REST OHLC) into a frame."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import polars as pl
import structlog
from tqdm.auto import tqdm

from src.core.execution import ensure_utc
from src.core.market_data import Candle, CandleSource
from src.ml.data.schema import CANDLE_SCHEMA, TIMESTAMP

log = structlog.get_logger(__name__)


def candles_to_frame(candles: Sequence[Candle]) -> pl.DataFrame:
    """Convert :class:`Candle` objects to the canonical candle frame (floats only at this edge)."""
    return pl.DataFrame(
        {
            TIMESTAMP: [ensure_utc(c.timestamp) for c in candles],
            "open": [float(c.open) for c in candles],
            "high": [float(c.high) for c in candles],
            "low": [float(c.low) for c in candles],
            "close": [float(c.close) for c in candles],
            "volume": [float(c.volume) for c in candles],
            "trades": [c.trades for c in candles],
        },
        schema=CANDLE_SCHEMA,
    )


async def fetch_candle_history(
    source: CandleSource,
    symbol: str,
    interval_minutes: int,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    max_pages: int = 100_000,
    progress: bool = True,
) -> pl.DataFrame:
    """Page through ``source.fetch_candles`` until it returns nothing new.

    Each call asks for bars from the newest bar seen so far (inclusive, so a source that treats
    ``since`` as exclusive or inclusive loses nothing); repeated bars are dropped.

    Args:
        source: Any :class:`CandleSource`.
        symbol: Symbol as the source understands it (e.g. ``"BTC/USD"``).
        interval_minutes: Bar interval.
        since: First bar wanted (open time, UTC); the source's default if None.
        until: Stop once a bar at or after this time arrives; rows at/after it are dropped.
        max_pages: Safety stop against a source that never stops returning new rows.
        progress: Show a tqdm bar counting fetched bars.

    Returns:
        Canonical candle frame, sorted and unique by timestamp (not otherwise validated).
    """
    pages: list[pl.DataFrame] = []
    newest: datetime | None = None
    cursor = ensure_utc(since) if since is not None else None
    stop = ensure_utc(until) if until is not None else None
    with tqdm(desc=f"{symbol} {interval_minutes}m", unit="bar", disable=not progress) as bar:
        for _ in range(max_pages):
            page = candles_to_frame(await source.fetch_candles(symbol, interval_minutes, cursor))
            if newest is not None:
                page = page.filter(pl.col(TIMESTAMP) > newest)
            if stop is not None:
                page = page.filter(pl.col(TIMESTAMP) < stop)
            if page.is_empty():
                break
            pages.append(page)
            bar.update(page.height)
            newest = page[TIMESTAMP].max()  # type: ignore[assignment]
            cursor = newest
            if (
                stop is not None
                and newest is not None
                and newest + timedelta(minutes=interval_minutes) >= stop
            ):
                break
        else:
            log.warning("candle_paging_stopped", symbol=symbol, max_pages=max_pages)
    if not pages:
        return pl.DataFrame(schema=CANDLE_SCHEMA)
    return pl.concat(pages).unique(TIMESTAMP, keep="first").sort(TIMESTAMP)

"""Parquet candle store: one file per pair and interval, validated, deduplicated, append-only."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import polars as pl
import structlog
from tqdm.auto import tqdm

from src.core.execution import ensure_utc
from src.core.market_data import CandleSource
from src.ml.data.gaps import Gap, find_gaps
from src.ml.data.remote import fetch_candle_history
from src.ml.data.schema import CANDLE_COLUMNS, CANDLE_SCHEMA, TIMESTAMP, parse_interval
from src.ml.data.validation import CandleDataError, Policy, ValidationReport, clean_candles

log = structlog.get_logger(__name__)

_PAIR_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
OnConflict = Literal["keep", "replace", "error"]
ReaderFn = Callable[[str | Path], pl.DataFrame]


@dataclass(frozen=True)
class UpdateResult:
    """Outcome of :meth:`CandleStore.update`.

    Attributes:
        added: New bars written.
        already_stored: Incoming bars identical to stored ones (ignored).
        conflicts: Incoming bars whose timestamp was stored with different values.
        report: The validation report of the incoming rows.
    """

    added: int
    already_stored: int
    conflicts: int
    report: ValidationReport


class CandleStore:
    """Candles on disk as ``<root>/<PAIR>/<interval>m.parquet`` (``BTC/USD`` -> ``BTC-USD``).

    Every write validates (see :func:`clean_candles`), so stored files are sorted by UTC
    ``timestamp`` with one row per bar and no nulls; missing bars are reported by
    :meth:`find_gaps`, never invented.
    """

    def __init__(self, root: str | Path) -> None:
        """Open (or create lazily) a store under ``root``."""
        self.root = Path(root)

    def path(self, pair: str, interval: str | int) -> Path:
        """Return the parquet file of one pair and interval."""
        if not _PAIR_RE.match(pair) or ".." in pair:
            raise ValueError(f"invalid pair name {pair!r}")
        return self.root / pair.replace("/", "-") / f"{parse_interval(interval)}m.parquet"

    def exists(self, pair: str, interval: str | int) -> bool:
        """Whether anything is stored for the pair and interval."""
        return self.path(pair, interval).exists()

    def scan(
        self,
        pair: str,
        interval: str | int,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pl.LazyFrame:
        """Lazily read stored candles with ``start <= timestamp < end``.

        Raises:
            FileNotFoundError: If nothing is stored for the pair and interval.
        """
        path = self.path(pair, interval)
        if not path.exists():
            raise FileNotFoundError(f"no candles stored for {pair} {interval} at {path}")
        lazy = pl.scan_parquet(path)
        if start is not None:
            lazy = lazy.filter(pl.col(TIMESTAMP) >= ensure_utc(start))
        if end is not None:
            lazy = lazy.filter(pl.col(TIMESTAMP) < ensure_utc(end))
        return lazy

    def read(
        self,
        pair: str,
        interval: str | int,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pl.DataFrame:
        """Read stored candles with ``start <= timestamp < end`` (an empty frame if none)."""
        if not self.exists(pair, interval):
            return pl.DataFrame(schema=CANDLE_SCHEMA)
        return self.scan(pair, interval, start, end).collect()

    def last_timestamp(self, pair: str, interval: str | int) -> datetime | None:
        """Open time of the newest stored bar, or None."""
        if not self.exists(pair, interval):
            return None
        value = self.scan(pair, interval).select(pl.col(TIMESTAMP).max()).collect().item()
        return value if isinstance(value, datetime) else None

    def find_gaps(self, pair: str, interval: str | int) -> list[Gap]:
        """Return the runs of missing bars in the stored series."""
        return find_gaps(self.read(pair, interval), parse_interval(interval))

    def update(
        self,
        pair: str,
        interval: str | int,
        candles: pl.DataFrame,
        *,
        policy: Policy = "repair",
        on_conflict: OnConflict = "keep",
    ) -> UpdateResult:
        """Validate ``candles`` and add the bars not stored yet; stored bars are left alone.

        New bars after the stored end are appended; older ones (backfill, filled gaps) are
        merged in order. A bar already stored with different values is a conflict: kept as
        stored (default, logged), replaced (``"replace"``) or refused (``"error"``).

        Raises:
            CandleDataError: If the rows are refused by validation, or on a conflict with
                ``on_conflict="error"``.
        """
        minutes = parse_interval(interval)
        incoming, report = clean_candles(candles, minutes, policy=policy, pair=pair)
        stored = self.read(pair, interval)
        same = incoming.join(stored, on=list(CANDLE_COLUMNS), how="semi", nulls_equal=True)
        clash = incoming.join(same, on=TIMESTAMP, how="anti").join(
            stored.select(TIMESTAMP), on=TIMESTAMP, how="semi"
        )
        if clash.height:
            if on_conflict == "error":
                raise CandleDataError(
                    f"{clash.height} bars of {pair} {minutes}m differ from stored ones "
                    f"(first {clash[TIMESTAMP][0]})"
                )
            log.warning("candle_conflicts", pair=pair, rows=clash.height, action=on_conflict)
        fresh = incoming.join(stored.select(TIMESTAMP), on=TIMESTAMP, how="anti")
        if on_conflict == "replace" and clash.height:
            stored = stored.join(clash.select(TIMESTAMP), on=TIMESTAMP, how="anti")
            fresh = pl.concat([fresh, clash])
        if fresh.height:
            combined = pl.concat([stored, fresh])
            if stored.height and fresh[TIMESTAMP].min() <= stored[TIMESTAMP].max():  # type: ignore[operator]
                combined = combined.sort(TIMESTAMP)
            self._write(self.path(pair, interval), combined)
            log.info("candles_stored", pair=pair, interval_minutes=minutes, added=fresh.height)
        return UpdateResult(fresh.height, same.height, clash.height, report)

    def load_files(
        self,
        files: Iterable[tuple[str | Path, str]],
        interval: str | int,
        reader: ReaderFn,
        *,
        policy: Policy = "repair",
        progress: bool = True,
    ) -> dict[str, UpdateResult]:
        """Read ``(path, pair)`` files with ``reader`` and store them, showing a progress bar."""
        results: dict[str, UpdateResult] = {}
        items = list(files)
        for path, pair in tqdm(items, desc="loading candles", unit="file", disable=not progress):
            results[f"{pair}:{path}"] = self.update(pair, interval, reader(path), policy=policy)
        return results

    async def backfill(
        self,
        source: CandleSource,
        pair: str,
        interval: str | int,
        *,
        symbol: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        progress: bool = True,
    ) -> UpdateResult:
        """Fetch bars from ``source`` (paging) starting after the newest stored bar and store them.

        Args:
            source: Any :class:`CandleSource` (e.g. the Kraken adapter).
            pair: Store key.
            interval: Bar interval, as :func:`parse_interval` reads it (minutes or ``"1h"``).
            symbol: Symbol passed to the source; ``pair`` if None.
            since: Where to start if nothing is stored yet (the source's default if None).
            until: Stop before this open time.
            progress: Show a progress bar.
        """
        minutes = parse_interval(interval)
        start = self.last_timestamp(pair, minutes) or since
        frame = await fetch_candle_history(
            source, symbol or pair, minutes, start, until, progress=progress
        )
        return self.update(pair, minutes, frame)

    @staticmethod
    def _write(path: Path, frame: pl.DataFrame) -> None:
        # Write then rename so a crash never leaves a half-written dataset behind.
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".parquet.tmp")
        frame.select(CANDLE_COLUMNS).write_parquet(tmp, statistics=True)
        os.replace(tmp, path)

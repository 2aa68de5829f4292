"""Check candle frames and either repair them (logging why) or refuse them with a clear error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl
import structlog

from src.ml.data.gaps import Gap, find_gaps
from src.ml.data.schema import PRICE_COLUMNS, TIMESTAMP, to_candle_schema

log = structlog.get_logger(__name__)

Policy = Literal["repair", "strict"]


class CandleDataError(ValueError):
    """Candle data that cannot be used as-is and was not (or could not be) repaired."""


@dataclass(frozen=True)
class Repair:
    """One repair applied to a candle frame: why, and how many rows it touched."""

    reason: str
    rows: int


@dataclass
class ValidationReport:
    """What :func:`clean_candles` found and did."""

    rows_in: int
    rows_out: int = 0
    repairs: list[Repair] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    @property
    def missing_bars(self) -> int:
        """Total bars missing between the first and last row."""
        return sum(g.missing_bars for g in self.gaps)


def _fix(
    report: ValidationReport,
    policy: Policy,
    problem: str,
    action: str,
    rows: int,
    context: dict[str, object],
) -> None:
    """Record a repair, or raise if the policy forbids repairing."""
    if policy == "strict":
        raise CandleDataError(f"{problem} ({rows} rows); refused under the strict policy")
    reason = f"{problem}: {action}"
    report.repairs.append(Repair(reason, rows))
    log.warning("candles_repaired", reason=reason, rows=rows, **context)


def _refuse_inconsistent(frame: pl.DataFrame) -> None:
    """Raise on rows no repair can make right: prices or volumes that contradict each other."""
    checks = {
        "high < low": pl.col("high") < pl.col("low"),
        "open or close outside [low, high]": (
            (pl.max_horizontal("open", "close") > pl.col("high"))
            | (pl.min_horizontal("open", "close") < pl.col("low"))
        ),
        "non-positive price": pl.min_horizontal(*PRICE_COLUMNS) <= 0,
        "negative volume": pl.col("volume") < 0,
    }
    for what, predicate in checks.items():
        bad = frame.filter(predicate)
        if bad.height:
            first = bad.row(0, named=True)
            raise CandleDataError(
                f"{bad.height} candle rows have {what}, e.g. at {first[TIMESTAMP]}: "
                f"o={first['open']} h={first['high']} l={first['low']} c={first['close']} "
                f"v={first['volume']}; refusing (no safe repair)"
            )


def _check_alignment(frame: pl.DataFrame, interval_minutes: int) -> None:
    step_us = interval_minutes * 60_000_000
    off = frame.filter(pl.col(TIMESTAMP).dt.epoch("us") % step_us != 0)
    if off.height:
        raise CandleDataError(
            f"{off.height} timestamps are not multiples of {interval_minutes}m "
            f"(first {off[TIMESTAMP][0]}); wrong interval or not bar open times"
        )


def _sort_and_dedupe(
    frame: pl.DataFrame, report: ValidationReport, policy: Policy, ctx: dict[str, object]
) -> pl.DataFrame:
    if not frame[TIMESTAMP].is_sorted():
        _fix(report, policy, "rows out of time order", "sorted", frame.height, ctx)
        frame = frame.sort(TIMESTAMP, maintain_order=True)
    exact = frame.height - frame.unique(maintain_order=True).height
    if exact:
        _fix(report, policy, "exact duplicate rows", "dropped", exact, ctx)
        frame = frame.unique(maintain_order=True)
    clashing = frame.height - frame[TIMESTAMP].n_unique()
    if clashing:
        # A later capture of the same bar is more complete (an earlier one may be a forming bar).
        problem = "conflicting duplicate rows for one timestamp"
        _fix(report, policy, problem, "kept the last", clashing, ctx)
        frame = frame.unique(subset=TIMESTAMP, keep="last", maintain_order=True)
    return frame


def _drop_unusable(
    frame: pl.DataFrame, report: ValidationReport, policy: Policy, ctx: dict[str, object]
) -> pl.DataFrame:
    values = [*PRICE_COLUMNS, "volume"]
    missing = pl.any_horizontal([pl.col(c).is_null() | pl.col(c).is_nan() for c in values])
    n_missing = frame.filter(missing).height
    if n_missing:
        problem = "rows with NaN/null price or volume"
        _fix(report, policy, problem, "dropped (now gaps)", n_missing, ctx)
        frame = frame.filter(~missing)
    zero = pl.col("volume") == 0
    n_zero = frame.filter(zero).height
    if n_zero:
        # Kraken's downloadable files have no row for an interval without trades; REST OHLC pads
        # such intervals with flat bars that would distort resampled opens, highs and lows.
        _fix(report, policy, "zero-volume (no trade) rows", "dropped (now gaps)", n_zero, ctx)
        frame = frame.filter(~zero)
    return frame


def clean_candles(
    candles: pl.DataFrame,
    interval_minutes: int,
    *,
    policy: Policy = "repair",
    pair: str | None = None,
) -> tuple[pl.DataFrame, ValidationReport]:
    """Validate one pair's candles, repairing what can be repaired and refusing the rest.

    Repaired (each logged with structlog as ``candles_repaired`` with a reason): unsorted rows
    (sorted), exact duplicates (dropped), conflicting duplicates (last kept), rows with NaN or
    null prices/volume (dropped), zero-volume rows (dropped). Refused with
    :class:`CandleDataError`: null or misaligned timestamps, ``high < low``, open/close outside
    the high-low range, non-positive prices, negative volume. Gaps are found and reported, not
    filled. Under ``policy="strict"`` every repair becomes a refusal.

    Args:
        candles: One pair's candles (any column order; cast to the canonical schema).
        interval_minutes: The bar interval.
        policy: ``"repair"`` (default) or ``"strict"``.
        pair: Name used in log lines.

    Returns:
        The clean frame (canonical schema, sorted, unique timestamps) and a report.
    """
    ctx: dict[str, object] = {"pair": pair, "interval_minutes": interval_minutes}
    frame = to_candle_schema(candles, keep_pair=False)
    report = ValidationReport(rows_in=frame.height)
    if frame[TIMESTAMP].null_count():
        raise CandleDataError(f"{frame[TIMESTAMP].null_count()} candle rows have no timestamp")
    _check_alignment(frame, interval_minutes)
    frame = _sort_and_dedupe(frame, report, policy, ctx)
    frame = _drop_unusable(frame, report, policy, ctx)
    _refuse_inconsistent(frame)
    report.rows_out = frame.height
    report.gaps = find_gaps(frame, interval_minutes)
    if report.gaps:
        log.info(
            "candle_gaps_found",
            gaps=len(report.gaps),
            missing_bars=report.missing_bars,
            largest=str(max(g.duration for g in report.gaps)),
            **ctx,
        )
    return frame, report

"""Malformed candles are repaired with a logged reason or refused with a clear error."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from datetime import timedelta
from typing import Any

import polars as pl
import pytest
from structlog.testing import capture_logs

from src.ml.data import CandleDataError, clean_candles, find_gaps


@pytest.fixture
def candles(btc_hourly: pl.DataFrame) -> pl.DataFrame:
    return btc_hourly.head(200)


def _set(frame: pl.DataFrame, row: int, **values: object) -> pl.DataFrame:
    idx = pl.int_range(pl.len())
    return frame.with_columns(
        [
            pl.when(idx == row).then(pl.lit(v)).otherwise(pl.col(c)).alias(c)
            for c, v in values.items()
        ]
    )


def _reasons(logs: Sequence[MutableMapping[str, Any]]) -> list[str]:
    return [str(e["reason"]) for e in logs if e["event"] == "candles_repaired"]


def test_clean_data_passes_untouched(candles: pl.DataFrame) -> None:
    with capture_logs() as logs:
        out, report = clean_candles(candles, 60)
    assert out.equals(candles)
    assert report.repairs == [] and _reasons(logs) == []
    assert report.rows_in == report.rows_out == 200


def test_unsorted_rows_are_sorted_with_a_logged_reason(candles: pl.DataFrame) -> None:
    shuffled = candles.sample(fraction=1.0, shuffle=True, seed=3)
    with capture_logs() as logs:
        out, report = clean_candles(shuffled, 60, pair="BTC/USD")
    assert out.equals(candles)
    assert any("sorted" in r for r in _reasons(logs))
    assert [e.get("pair") for e in logs if e["event"] == "candles_repaired"] == ["BTC/USD"]
    assert report.repairs[0].rows == 200


def test_duplicates_are_dropped_and_conflicts_keep_the_last(candles: pl.DataFrame) -> None:
    exact = pl.concat([candles, candles.slice(10, 5)])
    out, report = clean_candles(exact, 60)
    assert out.equals(candles)
    assert report.repairs[-1].rows == 5 and "exact duplicate" in report.repairs[-1].reason
    newer = _set(candles.slice(20, 1), 0, close=candles["close"][20] + 1.0, high=1e9)
    out, report = clean_candles(pl.concat([candles, newer]), 60)
    assert out.height == 200
    assert out["high"][20] == 1e9  # the later capture of that bar wins
    assert any("conflicting" in r.reason for r in report.repairs)


@pytest.mark.parametrize("value", [None, float("nan")])
def test_missing_prices_are_dropped_and_become_gaps(candles: pl.DataFrame, value: object) -> None:
    broken = _set(candles, 50, close=value)
    with capture_logs() as logs:
        out, report = clean_candles(broken, 60)
    assert out.height == 199
    assert any("NaN/null" in r for r in _reasons(logs))
    assert [(g.start, g.missing_bars) for g in report.gaps] == [(candles["timestamp"][50], 1)]


def test_zero_volume_rows_are_dropped(candles: pl.DataFrame) -> None:
    out, report = clean_candles(_set(candles, 7, volume=0.0), 60)
    assert out.height == 199 and candles["timestamp"][7] not in out["timestamp"].to_list()
    assert "zero-volume" in report.repairs[0].reason


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"high": 1.0}, "high < low"),
        ({"open": 1e9, "high": 1e9 - 1}, "outside"),
        ({"low": -5.0, "open": -5.0}, "non-positive"),
        ({"volume": -1.0}, "negative volume"),
    ],
)
def test_inconsistent_bars_are_refused(
    candles: pl.DataFrame, values: dict[str, object], message: str
) -> None:
    with pytest.raises(CandleDataError, match=message):
        clean_candles(_set(candles, 3, **values), 60)


def test_misaligned_or_missing_timestamps_are_refused(candles: pl.DataFrame) -> None:
    with pytest.raises(CandleDataError, match="not multiples of 60m"):
        clean_candles(
            _set(candles, 4, timestamp=candles["timestamp"][4] + timedelta(minutes=7)), 60
        )
    with pytest.raises(CandleDataError, match="no timestamp"):
        clean_candles(_set(candles, 4, timestamp=None), 60)


def test_strict_policy_refuses_what_repair_would_fix(candles: pl.DataFrame) -> None:
    with pytest.raises(CandleDataError, match=r"out of time order.*strict"):
        clean_candles(candles.reverse(), 60, policy="strict")
    with pytest.raises(CandleDataError, match=r"duplicate.*strict"):
        clean_candles(pl.concat([candles.head(1), candles]), 60, policy="strict")
    with pytest.raises(CandleDataError, match=r"zero-volume.*strict"):
        clean_candles(_set(candles, 1, volume=0.0), 60, policy="strict")


def test_gaps_in_real_minute_data_are_reported(market_dir) -> None:  # type: ignore[no-untyped-def]
    from src.ml.data import read_kraken_ohlcvt_csv

    path = market_dir / "kraken-ohlcvt-1m-btcusdc-2023q1" / "BTCUSDC_1m_2023-03-01_to_03-15.csv"
    minutes = read_kraken_ohlcvt_csv(path)
    with capture_logs() as logs:
        _, report = clean_candles(minutes, 1, pair="BTC/USDC")
    epoch = minutes["timestamp"].dt.epoch("s")
    span = (epoch[-1] - epoch[0]) // 60 + 1
    assert report.missing_bars == span - minutes.height  # every absent minute is in a gap
    assert report.gaps[0].start == minutes["timestamp"][2] - timedelta(minutes=1)
    assert report.gaps[0].end == minutes["timestamp"][2]
    assert all(g.duration == timedelta(minutes=g.missing_bars) for g in report.gaps)
    assert any(e["event"] == "candle_gaps_found" for e in logs)


def test_find_gaps_per_pair(btc_hourly: pl.DataFrame) -> None:
    both = pl.concat(
        [
            btc_hourly.head(10).with_columns(pair=pl.lit("A")),
            btc_hourly.head(10).filter(pl.int_range(pl.len()) != 4).with_columns(pair=pl.lit("B")),
        ]
    )
    gaps = find_gaps(both, 60)
    assert [(g.pair, g.start, g.missing_bars) for g in gaps] == [
        ("B", btc_hourly["timestamp"][4], 1)
    ]

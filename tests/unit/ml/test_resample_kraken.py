"""Resampling checked against Kraken's own candles.

Two references:

* Kraken trades (2022-01 REST dump) aggregated into 1m candles reproduce Kraken's 1m REST
  candles exactly, and resampling those 1m candles to 5m/15m/1h gives exactly the candles
  built straight from the trades: the window semantics (epoch-aligned, labelled and closed on
  the left; open first, high max, low min, close last, volume and trades summed) are exact.
* Kraken's REST OHLC captures of April 2020 (1m resampled to 5m/15m/1h/4h). Those captures are
  not mutually consistent, so only part of them can be compared exactly, see
  ``test_rest_captures_*`` and docs/ml_features.md ("Resampling against Kraken").
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from src.ml.data import (
    candles_from_trades,
    clean_candles,
    read_kraken_rest_ohlc_csv,
    read_kraken_trades_csv,
    resample,
    to_candle_schema,
)

VOLUME_ATOL = 1e-8  # volumes have 8 decimals; float sums of them differ by ~1e-12, not 1e-8


@pytest.fixture(scope="module")
def trades(market_dir: Path) -> pl.DataFrame:
    return read_kraken_trades_csv(
        market_dir / "kraken-rest-dumps-2022-01" / "Kraken_BTCUSD_tradeprints.csv"
    )


def _assert_same_candles(ours: pl.DataFrame, theirs: pl.DataFrame) -> None:
    assert ours["timestamp"].to_list() == theirs["timestamp"].to_list()
    for col in ("open", "high", "low", "close", "trades"):
        assert ours[col].to_list() == theirs[col].to_list(), col
    assert ((ours["volume"] - theirs["volume"]).abs() <= VOLUME_ATOL).all()


def test_trades_to_1m_match_kraken_minute_candles(trades: pl.DataFrame, market_dir: Path) -> None:
    minute = pl.read_csv(market_dir / "kraken-rest-dumps-2022-01" / "Kraken_BTCUSD_minute.csv")
    kraken = to_candle_schema(minute.rename({"unix": "timestamp", "tradecount": "trades"}))
    ours = candles_from_trades(trades, "1m")
    # The dump starts mid-minute (21:47:09), so the first minute holds only part of its trades.
    full = ours.filter(pl.col("timestamp") > trades["timestamp"].min())
    theirs = kraken.join(full.select("timestamp"), on="timestamp", how="semi")
    assert full.height == 75
    _assert_same_candles(full, theirs)


@pytest.mark.parametrize("interval", ["5m", "15m", "1h"])
def test_resampled_minutes_equal_candles_built_from_trades(
    trades: pl.DataFrame, interval: str
) -> None:
    minutes = candles_from_trades(trades, "1m")
    _assert_same_candles(resample(minutes, interval), candles_from_trades(trades, interval))


def test_four_hour_and_daily_bars_align_like_kraken(btc_hourly: pl.DataFrame) -> None:
    four = resample(btc_hourly, "4h", with_bar_count=True)
    assert (four["timestamp"].dt.hour() % 4 == 0).all()
    assert (four["timestamp"].dt.minute() == 0).all()
    day = resample(btc_hourly, "1d", with_bar_count=True)
    assert (day["timestamp"].dt.hour() == 0).all()
    first_day = btc_hourly.filter(pl.col("timestamp") < day["timestamp"][1])
    assert day.row(0, named=True) == {
        "timestamp": day["timestamp"][0],
        "open": first_day["open"][0],
        "high": first_day["high"].max(),
        "low": first_day["low"].min(),
        "close": first_day["close"][-1],
        "volume": pytest.approx(first_day["volume"].sum(), abs=VOLUME_ATOL),
        "trades": first_day["trades"].sum(),
        "bars": 24,
    }


def test_resample_keeps_pairs_apart(btc_hourly: pl.DataFrame, eth_hourly: pl.DataFrame) -> None:
    both = pl.concat(
        [
            btc_hourly.head(48).with_columns(pair=pl.lit("BTC/USD")),
            eth_hourly.head(48).with_columns(pair=pl.lit("ETH/USD")),
        ]
    )
    out = resample(both.lazy(), "4h").collect()
    alone = resample(eth_hourly.head(48), "4h")
    assert out.filter(pl.col("pair") == "ETH/USD").drop("pair").equals(alone)


def _rest(rest_dir: Path, interval: int, pair: str) -> pl.DataFrame:
    frame, _ = clean_candles(
        read_kraken_rest_ohlc_csv(rest_dir / str(interval) / pair / "1.csv"), interval
    )
    return frame


def _covered_comparison(rest_dir: Path, pair: str, interval: int, shift: int) -> pl.DataFrame:
    """Kraken's bars next to ours, for bars wholly inside the 1m capture."""
    minutes = _rest(rest_dir, 1, pair)
    first, last = minutes["timestamp"].min(), minutes["timestamp"].max()
    step = timedelta(minutes=interval)
    ours = resample(minutes.with_columns(pl.col("timestamp") + timedelta(minutes=shift)), interval)
    return ours.join(_rest(rest_dir, interval, pair), on="timestamp", suffix="_k").filter(
        (pl.col("timestamp") >= first) & (pl.col("timestamp") + step <= last)
    )


def _same_trades(frame: pl.DataFrame) -> pl.DataFrame:
    """Bars for which both captures hold the same trades (equal trade count and volume).

    The collector stored each batch's newest bar while it was still forming, so some captured
    bars (of either interval) miss trades; those cannot be compared and are excluded here.
    """
    return frame.filter(
        (pl.col("trades") == pl.col("trades_k"))
        & ((pl.col("volume") - pl.col("volume_k")).abs() <= VOLUME_ATOL)
    )


@pytest.mark.parametrize("pair", ["XXBTZUSD", "XETHZEUR"])
@pytest.mark.parametrize(("interval", "min_share"), [(5, 0.5), (15, 0.3)])
def test_rest_captures_5m_15m_match_on_bars_with_the_same_trades(
    rest_ohlc_dir: Path, pair: str, interval: int, min_share: float
) -> None:
    covered = _covered_comparison(rest_ohlc_dir, pair, interval, shift=0)
    same = _same_trades(covered)
    assert same.height >= min_share * covered.height
    # The close (last trade) always agrees exactly.
    assert (same["close"] == same["close_k"]).all()
    # Kraken's REST candles of 2020 often open at the previous bar's close instead of the first
    # trade (e.g. 2020-04-26 12:30 1m: count=1 but o=7647.4 != c=7647.5), and the 1m and 5m
    # series apply that differently; high/low inherit it when that open extends the range.
    for col, share in (("high", 0.9), ("low", 0.9), ("open", 0.6)):
        assert (same[col] == same[f"{col}_k"]).mean() >= share, col  # type: ignore[operator]


@pytest.mark.parametrize("pair", ["XXBTZUSD", "XETHZEUR"])
@pytest.mark.parametrize("interval", [5, 15])
def test_rest_captures_reject_misaligned_windows(
    rest_ohlc_dir: Path, pair: str, interval: int
) -> None:
    """A one-minute misalignment of the windows loses nearly all exact agreement."""
    aligned = _same_trades(_covered_comparison(rest_ohlc_dir, pair, interval, shift=0)).height
    shifted = _same_trades(_covered_comparison(rest_ohlc_dir, pair, interval, shift=1)).height
    assert shifted < 0.06 * aligned


@pytest.mark.parametrize("pair", ["XXBTZUSD", "XETHZEUR"])
@pytest.mark.parametrize("interval", [60, 240])
def test_rest_captures_1h_4h_are_forming_bar_snapshots(
    rest_ohlc_dir: Path, pair: str, interval: int
) -> None:
    """The 1h/4h captures overlapping the 1m capture were stored while forming.

    They still agree on the open and never hold more volume than the minutes they span, which
    is all a snapshot of an unfinished bar can be checked for.
    """
    covered = _covered_comparison(rest_ohlc_dir, pair, interval, shift=0)
    assert covered.height >= 30
    later = covered.filter(pl.col("timestamp") >= pl.datetime(2020, 4, 26, time_zone="UTC"))
    assert (later["volume_k"] <= later["volume"] + VOLUME_ATOL).mean() >= 0.9  # type: ignore[operator]

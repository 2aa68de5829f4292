"""Readers for Kraken's candle and trade files, and trades aggregated into candles."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from src.core.market_data import PublicTrade
from src.ml.data import (
    CANDLE_SCHEMA,
    candles_from_trades,
    clean_candles,
    read_kraken_ohlcvt_csv,
    read_kraken_rest_ohlc_csv,
    read_kraken_trades_csv,
)


def test_ohlcvt_file_is_read_in_the_canonical_schema(btc_hourly: pl.DataFrame) -> None:
    assert dict(btc_hourly.schema) == CANDLE_SCHEMA
    assert btc_hourly.height == 17668
    first = btc_hourly.row(0, named=True)  # 1609459200,28959.4,29069.3,28739.6,29069.0,...
    assert first["timestamp"] == datetime(2021, 1, 1, tzinfo=UTC)
    assert (first["open"], first["close"], first["trades"]) == (28959.4, 29069.0, 2071)
    assert first["volume"] == pytest.approx(272.11314761)


def test_ohlcvt_with_wrong_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("1609459200,1,2,0.5,1.5,10\n")
    with pytest.raises(ValueError, match="expected 7 columns"):
        read_kraken_ohlcvt_csv(path)


def test_rest_capture_out_of_order_and_duplicated_is_repaired(
    rest_ohlc_dir: Path, tmp_path: Path
) -> None:
    source = rest_ohlc_dir / "15" / "XXBTZUSD" / "1.csv"
    original = pl.read_csv(source)
    messy = pl.concat([original.sample(fraction=1.0, shuffle=True, seed=1), original.head(40)])
    path = tmp_path / "messy.csv"
    messy.write_csv(path)
    clean, report = clean_candles(read_kraken_rest_ohlc_csv(path), 15)
    reference, _ = clean_candles(read_kraken_rest_ohlc_csv(source), 15)
    assert clean.equals(reference)
    assert reference["timestamp"].is_sorted() and reference["timestamp"].n_unique() == 1291
    reasons = " ".join(r.reason for r in report.repairs)
    assert "sorted" in reasons and "duplicate" in reasons


def test_rest_capture_missing_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rest.csv"
    path.write_text("time,open,high,low,close\n1587769560,1,1,1,1\n")
    with pytest.raises(ValueError, match="missing columns"):
        read_kraken_rest_ohlc_csv(path)


def test_public_trades_aggregate_like_the_trade_dump(market_dir: Path) -> None:
    dump = read_kraken_trades_csv(
        market_dir / "kraken-rest-dumps-2022-01" / "Kraken_BTCUSD_tradeprints.csv"
    ).head(300)
    trades = [
        PublicTrade(
            symbol="BTC/USD",
            price=Decimal(str(row["price"])),
            quantity=Decimal(str(row["volume"])),
            side=row["side"],
            timestamp=row["timestamp"],
        )
        for row in dump.iter_rows(named=True)
    ]
    from_objects = candles_from_trades(trades, "5m")
    from_frame = candles_from_trades(dump, "5m")
    assert from_objects.equals(from_frame)
    assert from_frame["trades"].sum() == 300
    assert dict(from_frame.schema) == CANDLE_SCHEMA


def test_trades_out_of_order_still_give_first_and_last_by_time() -> None:
    t = [datetime(2024, 1, 1, 0, 0, s, tzinfo=UTC) for s in (30, 10, 50)]
    trades = [
        PublicTrade(symbol="X", price=Decimal(p), quantity=Decimal("1"), side="buy", timestamp=ts)
        for p, ts in zip(("2", "1", "3"), t, strict=True)
    ]
    bar = candles_from_trades(trades, 1).row(0, named=True)
    assert (bar["open"], bar["high"], bar["low"], bar["close"]) == (1.0, 3.0, 1.0, 3.0)

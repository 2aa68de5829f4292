"""Candle loading for training: Kraken file names, common ranges, slicing and the data hash."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from src.ml.config import DEFAULT_CONFIG_PATH, DataConfig, load_config
from src.ml.dataset import candle_file, data_hash, kraken_altname, load_candles
from tests.support.paths import MARKET_DATA

DATA_DIR = str(MARKET_DATA / "kraken-ohlcvt-60m")


def test_kraken_altnames_and_file_lookup() -> None:
    assert kraken_altname("BTC/USD") == "XBTUSD"
    assert kraken_altname("ETH/USD") == "ETHUSD"
    with pytest.raises(ValueError, match="BASE/QUOTE"):
        kraken_altname("BTCUSD")
    cfg = DataConfig(data_dir=DATA_DIR)
    assert candle_file(cfg, "BTC/USD").name == "XBTUSD_60_2021_2023.csv"
    with pytest.raises(FileNotFoundError, match="SOLUSD_60"):
        candle_file(cfg, "SOL/USD")


def test_pairs_share_one_range_and_dates_without_offset_are_utc() -> None:
    cfg = DataConfig(data_dir=DATA_DIR, start="2022-06-01", end="2022-06-03", max_rows=40)
    candles = load_candles(cfg)
    per_pair = candles.group_by("pair").agg(
        pl.len(), pl.col("timestamp").min().alias("first"), pl.col("timestamp").max().alias("last")
    )
    assert per_pair["len"].to_list() == [40, 40]
    assert per_pair["first"].n_unique() == 1 and per_pair["last"].n_unique() == 1
    assert str(per_pair["last"][0]) == "2022-06-02 23:00:00+00:00"


def test_empty_slice_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no candles"):
        load_candles(DataConfig(data_dir=DATA_DIR, start="2030-01-01"))


def test_data_hash_is_stable_and_sensitive_to_one_value() -> None:
    candles = load_candles(DataConfig(data_dir=DATA_DIR, max_rows=200))
    assert data_hash(candles) == data_hash(candles.clone())
    changed = candles.with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(pl.col("close") + 0.01).otherwise("close")
    )
    assert data_hash(changed) != data_hash(candles)


def test_shipped_config_finds_its_data_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # nothing named data/ here
    cfg = load_config(DEFAULT_CONFIG_PATH)
    found = candle_file(cfg.data, "BTC/USD")
    assert found.is_file()
    assert found.name.startswith("XBTUSD_60")
    with pytest.raises(FileNotFoundError, match=r"XDGUSD_60\*\.csv for DOGE/USD"):
        candle_file(cfg.data, "DOGE/USD")

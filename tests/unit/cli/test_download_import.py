"""``ktrade download --import``: Kraken's OHLCVT and Time & Sales files into the candle store,
and ``universe``'s filters."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import polars as pl

from src.cli.config import UniverseSection
from src.cli.universe import Candidate, choose
from src.ml.data.sources import read_kraken_trades_csv
from src.ml.data.store import CandleStore
from tests.support.paths import MARKET_DATA
from tests.unit.cli.cli_support import Home, Result

OHLCVT = MARKET_DATA / "kraken-ohlcvt-60m" / "XBTUSD_60_2021_2023.csv"
PRINTS = MARKET_DATA / "kraken-rest-dumps-2022-01" / "Kraken_BTCUSD_tradeprints.csv"


def _archive(tmp_path: Path) -> Path:
    """A zip laid out as Kraken's OHLCVT download: one file per pair and interval."""
    lines = OHLCVT.read_text().splitlines()
    path = tmp_path / "Kraken_OHLCVT.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("XBTUSD_60.csv", "\n".join(lines[:500]) + "\n")
        archive.writestr("XBTUSD_1440.csv", "\n".join(lines[:10]) + "\n")  # another interval
        archive.writestr("ETHEUR_60.csv", "\n".join(lines[:20]) + "\n")  # a pair not asked for
    return path


def test_ohlcvt_archive_import_is_idempotent(
    home: Home, ktrade: Callable[..., Result], tmp_path: Path
) -> None:
    archive = _archive(tmp_path)
    first = ktrade("download", "--pairs", "BTC/USD", "--interval", "60", "--import", str(archive))
    assert first.code == 0, first.err
    store = CandleStore(home.data / "candles")
    stored = store.read("BTC/USD", 60)
    assert stored.height == 500
    assert stored["close"][0] == float(OHLCVT.read_text().splitlines()[0].split(",")[4])
    assert "Kraken OHLCVT archive XBTUSD_60.csv" in first.out
    again = ktrade("download", "--pairs", "BTC/USD", "--interval", "60", "--import", str(archive))
    row = next(line for line in again.out.splitlines() if line.strip().startswith("BTC/USD"))
    assert row.split()[1:5] == ["0", "500", "0", "500"]  # added, had, conflicts, stored
    assert not store.exists("BTC/USD", 1440)


def test_time_and_sales_file_becomes_candles(
    home: Home, ktrade: Callable[..., Result], tmp_path: Path
) -> None:
    trades = read_kraken_trades_csv(PRINTS)
    # Kraken's Time & Sales layout: headerless time (epoch seconds), price, volume.
    path = tmp_path / "XBTUSD.csv"
    trades.select(pl.col("timestamp").dt.epoch("us") / 1e6, "price", "volume").write_csv(
        path, include_header=False
    )
    result = ktrade("download", "--pairs", "BTC/USD", "--interval", "1", "--import", str(path))
    assert result.code == 0, result.err
    assert "Kraken Time & Sales archive XBTUSD.csv" in result.out
    bars = CandleStore(home.data / "candles").read("BTC/USD", 1)
    minute = trades.with_columns(pl.col("timestamp").dt.truncate("1m").alias("bar"))
    first = minute.filter(pl.col("bar") == minute["bar"].min())
    assert bars.height == minute["bar"].n_unique()
    assert bars["open"][0] == first["price"][0] and bars["close"][0] == first["price"][-1]
    assert bars["high"][0] == first["price"].max() and bars["trades"][0] == first.height
    assert abs(float(bars["volume"].sum()) - float(trades["volume"].sum())) < 1e-9


def test_import_names_pairs_it_found_nothing_for(
    home: Home, ktrade: Callable[..., Result], tmp_path: Path
) -> None:
    result = ktrade(
        "download", "--pairs", "SOL/USD", "--interval", "60", "--import", str(_archive(tmp_path))
    )
    assert result.code == 1
    assert "WARNING: SOL/USD: no SOLUSD_60.csv (OHLCVT) or SOLUSD.csv (Time & Sales)" in result.err
    missing = ktrade("download", "--import", str(tmp_path / "nope.zip"))
    assert missing.code == 2 and "no such file or folder" in missing.err
    bad = ktrade("download", "--interval", "7")
    assert bad.code == 2 and "--interval 7: Kraken has no such candles" in bad.err


def _c(symbol: str, volume: int, spread: str | None = "5", status: str = "online") -> Candidate:
    base, quote = symbol.split("/")
    return Candidate(
        symbol,
        base,
        quote,
        status,
        Decimal(volume),
        None if spread is None else Decimal(spread),
        Decimal(1),
    )


def test_universe_filters_and_orders_by_volume() -> None:
    found = [
        _c("BTC/USD", 9_000_000),
        _c("ETH/USD", 5_000_000),
        _c("SOL/USD", 2_000_000, "35"),
        _c("DOGE/USD", 500_000),
        _c("XRP/USD", 3_000_000, status="cancel_only"),
        _c("USDT/USD", 8_000_000),
        _c("ETH/BTC", 9_999_999),
        _c("ADA/USD", 4_000_000, None),
    ]
    rules = UniverseSection(
        min_volume_24h=Decimal(1_000_000),
        max_spread_bps=Decimal(20),
        exclude_bases=["USDT"],
        max_pairs=5,
    )
    kept, reasons = choose(found, rules)
    assert [c.symbol for c in kept] == ["BTC/USD", "ETH/USD"]
    assert reasons == {
        "spread too wide": 2,
        "24 h volume too low": 1,
        "status cancel_only": 1,
        "excluded by the config": 1,
    }
    top, more = choose(found, rules.model_copy(update={"max_pairs": 1}))
    assert [c.symbol for c in top] == ["BTC/USD"] and more["beyond max_pairs"] == 1

"""Exact digests of feature frames on real candles, to prove a faster pipeline computes the same.

Each case is real Kraken data and a spec; a frame's digest is, per column, a SHA-256 of its
null mask and of its values' bytes (nulls written as 0.0), so a single bit of difference in
any value, any warm-up null or the row order changes it. The stored digests
(``tests/fixtures/ml/feature_digests.json``) were taken from the implementation before the
issue-19 speed work (commit 8561b87); regenerate them only for an intended change of values:
``.venv/bin/python -m tests.unit.ml.feature_snapshot``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import polars as pl

from src.ml.data import read_kraken_ohlcvt_csv
from src.ml.features import CATALOGUE, FeatureConfig, FeatureSpec, build_features, default_spec
from tests.support.paths import FIXTURES, MARKET_DATA

DIGESTS = FIXTURES / "ml" / "feature_digests.json"
_HOURLY = MARKET_DATA / "kraken-ohlcvt-60m"
_MINUTE = MARKET_DATA / "kraken-ohlcvt-1m-btcusdc-2023q1" / "BTCUSDC_1m_2023-03-01_to_03-15.csv"


def _hourly(copies: int = 1) -> pl.DataFrame:
    """XBT/USD and ETH/USD hourly candles, each repeated ``copies`` times under a new name."""
    frames = []
    for name, pair in (("XBTUSD", "BTC/USD"), ("ETHUSD", "ETH/USD")):
        base = read_kraken_ohlcvt_csv(_HOURLY / f"{name}_60_2021_2023.csv")
        for i in range(copies):
            frames.append(base.with_columns(pair=pl.lit(pair if i == 0 else f"{pair}#{i}")))
    return pl.concat(frames).drop("trades")


def _every_kind() -> FeatureSpec:
    """Every catalogue kind on the base bars, on 4h and on 1d bars, with a cross pair."""
    timeframes = (None, "4h", "1d")
    return FeatureSpec(
        features=tuple(
            FeatureConfig(kind=kind, timeframe=tf) for tf in timeframes for kind in CATALOGUE
        ),
        cross_pairs=default_spec(reference_pair="BTC/USD").cross_pairs,
    )


def _unsorted_gappy() -> pl.DataFrame:
    """Both pairs shuffled, ETH missing every 7th bar (so cross-pair rows miss some matches)."""
    frame = _hourly().with_row_index("i")
    frame = frame.filter((pl.col("pair") == "BTC/USD") | (pl.col("i") % 7 != 3)).drop("i")
    return frame.sample(fraction=1.0, shuffle=True, seed=19)


def _minute_single() -> pl.DataFrame:
    return read_kraken_ohlcvt_csv(_MINUTE).drop("trades")


CASES: dict[str, Callable[[], pl.DataFrame]] = {
    "hourly_2_pairs_default_btc": lambda: build_features(
        _hourly(), default_spec(reference_pair="BTC/USD")
    ),
    "hourly_16_pairs_default_btc": lambda: build_features(
        _hourly(8), default_spec(reference_pair="BTC/USD")
    ),
    "hourly_2_pairs_every_kind_4h_1d": lambda: build_features(_hourly(), _every_kind()),
    "hourly_unsorted_gappy_default_btc": lambda: build_features(
        _unsorted_gappy(), default_spec(reference_pair="BTC/USD")
    ),
    "minute_single_pair_no_pair_column_1h_4h": lambda: build_features(
        _minute_single(),
        FeatureSpec(
            features=(
                *default_spec(context_timeframe="1h").features,
                FeatureConfig(kind="atr", windows=(14, 3), timeframe="4h"),
                FeatureConfig(kind="bollinger", windows=(5,), timeframe="4h"),
            )
        ),
    ),
}


def digest(frame: pl.DataFrame) -> dict[str, str]:
    """Shape, column order and per column a SHA-256 of dtype, null mask and values (nulls 0)."""
    out = {"__shape__": f"{frame.height}x{frame.width}", "__columns__": ",".join(frame.columns)}
    for name in frame.columns:
        col = frame[name]
        h = hashlib.sha256(str(col.dtype).encode())
        h.update(col.is_null().to_numpy().tobytes())
        if col.dtype == pl.Float64:
            h.update(col.fill_null(0.0).to_numpy().tobytes())
        else:
            h.update(col.cast(pl.String).fill_null("").str.join("\x00").item().encode())
        out[name] = h.hexdigest()
    return out


def compute() -> dict[str, dict[str, str]]:
    """Digests of every case with the current implementation."""
    return {name: digest(make()) for name, make in CASES.items()}


if __name__ == "__main__":
    DIGESTS.parent.mkdir(parents=True, exist_ok=True)
    DIGESTS.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {DIGESTS}")

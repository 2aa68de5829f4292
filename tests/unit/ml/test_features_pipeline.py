"""build_features end to end: higher timeframes, pairs, cross-pair joins, config and bad input."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl
import pytest
from pydantic import ValidationError

from src.ml.data import read_kraken_ohlcvt_csv, resample
from src.ml.features import (
    CrossPairRef,
    FeatureConfig,
    FeatureSpec,
    build_features,
    default_spec,
)


@pytest.fixture(scope="module")
def btc_minutes(market_dir):  # type: ignore[no-untyped-def]
    path = market_dir / "kraken-ohlcvt-1m-btcusdc-2023q1" / "BTCUSDC_1m_2023-03-01_to_03-15.csv"
    return read_kraken_ohlcvt_csv(path).head(3000)


@pytest.fixture(scope="module")
def two_pairs(btc_hourly: pl.DataFrame, eth_hourly: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(
        [
            eth_hourly.head(500).with_columns(pair=pl.lit("ETH/USD")),
            btc_hourly.head(500).with_columns(pair=pl.lit("BTC/USD")),
        ]
    )


def test_hourly_feature_on_minute_bars_uses_only_closed_hours(btc_minutes: pl.DataFrame) -> None:
    spec = FeatureSpec(features=(FeatureConfig(kind="returns", windows=(1,), timeframe="1h"),))
    got = build_features(btc_minutes, spec)["ret_1_1h"].to_numpy()
    hours = resample(btc_minutes, "1h")
    hour_ret = (hours["close"] / hours["close"].shift(1)).log().to_numpy()
    hour_close_us = (hours["timestamp"].dt.epoch("us") + 3_600_000_000).to_numpy()
    row_close_us = (btc_minutes["timestamp"].dt.epoch("us") + 60_000_000).to_numpy()
    # the newest hour whose close is at or before this minute bar's close
    idx = np.searchsorted(hour_close_us, row_close_us, side="right") - 1
    want = np.where(idx >= 0, hour_ret[np.clip(idx, 0, None)], np.nan)
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0, equal_nan=True)  # log ulp
    assert np.isfinite(got).sum() > 2500


def test_last_minute_of_an_hour_sees_that_hour(btc_minutes: pl.DataFrame) -> None:
    spec = FeatureSpec(features=(FeatureConfig(kind="returns", windows=(1,), timeframe="1h"),))
    feats = build_features(btc_minutes, spec)
    hours = resample(btc_minutes, "1h").with_columns(
        ret=(pl.col("close") / pl.col("close").shift(1)).log()
    )
    row = feats.filter(pl.col("timestamp").dt.minute() == 59).row(5, named=True)
    ts = row["timestamp"]
    this_hour = hours.filter(pl.col("timestamp") == ts - timedelta(minutes=59))["ret"].item()
    assert row["ret_1_1h"] == this_hour
    before = feats.filter(pl.col("timestamp") == ts - timedelta(minutes=1))
    if before.height:  # one minute earlier the hour is still forming: previous hour's value
        prev_hour = hours.filter(pl.col("timestamp") == ts - timedelta(minutes=119))["ret"].item()
        assert before["ret_1_1h"].item() == prev_hour


def test_pairs_are_computed_independently(two_pairs: pl.DataFrame) -> None:
    spec = default_spec()
    together = build_features(two_pairs, spec)
    assert together["pair"].to_list()[:1] == ["BTC/USD"]  # sorted by pair then time
    for pair in ("BTC/USD", "ETH/USD"):
        alone = build_features(two_pairs.filter(pl.col("pair") == pair).drop("pair"), spec)
        part = together.filter(pl.col("pair") == pair).drop("pair")
        assert part.equals(alone)


def test_cross_pair_features_are_the_reference_pairs_values(two_pairs: pl.DataFrame) -> None:
    spec = default_spec(reference_pair="BTC/USD")
    out = build_features(two_pairs, spec)
    btc = out.filter(pl.col("pair") == "BTC/USD").select("timestamp", "ret_1", "ret_4", "rvol_24")
    eth = out.filter(pl.col("pair") == "ETH/USD").join(btc, on="timestamp", how="left", suffix="_b")
    assert eth["btc_ret_1"].equals(eth["ret_1_b"], check_names=False, null_equal=True)
    assert eth["btc_rvol_24"].equals(eth["rvol_24_b"], check_names=False, null_equal=True)
    assert not eth["btc_ret_1"].equals(eth["ret_1"], check_names=False, null_equal=True)


def test_output_schema_and_warmups(btc_hourly: pl.DataFrame) -> None:
    spec = default_spec()
    out = build_features(btc_hourly.lazy(), spec)
    assert out.columns == ["timestamp", *spec.column_names()]
    assert all(out.schema[c] == pl.Float64 for c in spec.column_names())
    assert out.height == btc_hourly.height
    assert out.select(pl.col(spec.column_names()).is_nan().sum()).sum_horizontal().item() == 0
    warm = spec.warmups()
    for name, rows in warm.items():
        if not name.endswith("_4h"):
            assert out[name][:rows].null_count() == rows, name
            assert out[name][rows:].null_count() == 0, name


def test_spec_loads_from_toml_and_dict(btc_hourly: pl.DataFrame) -> None:
    text = """
    [features]
    base_interval = "60"

    [[features.features]]
    kind = "rsi"
    windows = [7, 14]

    [[features.features]]
    kind = "bollinger"
    params = { num_std = 2.5 }
    timeframe = "240m"

    [[features.cross_pairs]]
    pair = "BTC/USD"
    alias = "btc"
    features = [{ kind = "returns", windows = [1] }]
    """
    spec = FeatureSpec.from_toml(text, table="features")
    assert spec.column_names() == ["rsi_7", "rsi_14", "bb_pctb_20_4h", "btc_ret_1"]
    assert spec.base_interval == "1h"
    assert FeatureSpec.from_dict(spec.model_dump()) == spec


def test_spec_loads_from_a_toml_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "features.toml"
    path.write_text('[[features]]\nkind = "atr"\nwindows = [10]\nparams = {normalize = true}\n')
    assert FeatureSpec.from_toml(path).column_names() == ["natr_10"]
    assert FeatureSpec.from_toml(str(path)).column_names() == ["natr_10"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"features": [{"kind": "stochastic"}]}, "unknown feature kind"),
        ({"features": [{"kind": "rsi", "params": {"window": 3}}]}, "no parameter"),
        ({"features": [{"kind": "rsi", "windows": [0]}]}, "positive"),
        ({"features": [{"kind": "time", "windows": [3]}]}, "takes no windows"),
        ({"features": [{"kind": "rsi", "timeframe": "soon"}]}, "unrecognised interval"),
        ({"features": [{"kind": "rsi"}, {"kind": "rsi"}]}, "duplicate columns"),
    ],
)
def test_bad_specs_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FeatureSpec.from_dict(data)


def test_bad_candles_are_refused(btc_hourly: pl.DataFrame, two_pairs: pl.DataFrame) -> None:
    spec = FeatureSpec(features=(FeatureConfig(kind="rsi"),))
    with pytest.raises(ValueError, match="missing columns"):
        build_features(btc_hourly.drop("volume"), spec)
    with pytest.raises(ValueError, match="duplicate timestamps"):
        build_features(pl.concat([btc_hourly.head(30), btc_hourly.head(30)]), spec)
    holed = btc_hourly.head(30).with_columns(
        close=pl.when(pl.int_range(pl.len()) == 5).then(None).otherwise(pl.col("close"))
    )
    with pytest.raises(ValueError, match="nulls"):
        build_features(holed, spec)
    with pytest.raises(ValueError, match="NaN"):
        build_features(holed.with_columns(pl.col("close").fill_null(float("nan"))), spec)
    htf = FeatureSpec(features=(FeatureConfig(kind="rsi", timeframe="90m"),))
    with pytest.raises(ValueError, match="larger multiple"):
        build_features(btc_hourly.head(100), htf)
    cross = FeatureSpec(
        features=(FeatureConfig(kind="rsi"),),
        cross_pairs=(CrossPairRef(pair="SOL/USD", alias="sol", features=spec.features),),
    )
    with pytest.raises(ValueError, match="SOL/USD"):
        build_features(two_pairs, cross)
    with pytest.raises(ValueError, match="pair"):
        build_features(btc_hourly.head(100), cross)


def test_naive_timestamps_are_read_as_utc(btc_hourly: pl.DataFrame) -> None:
    spec = FeatureSpec(features=(FeatureConfig(kind="time"),))
    naive = btc_hourly.with_columns(pl.col("timestamp").dt.replace_time_zone(None))
    assert build_features(naive, spec).equals(build_features(btc_hourly, spec))


def test_empty_input_gives_an_empty_frame_with_every_column(btc_hourly: pl.DataFrame) -> None:
    spec = FeatureSpec(features=(FeatureConfig(kind="rsi"), FeatureConfig(kind="time")))
    out = build_features(btc_hourly.head(0), spec)
    assert out.height == 0
    assert out.columns == ["timestamp", "rsi_14", "tod_sin", "tod_cos", "dow_sin", "dow_cos"]


def test_default_spec_context_timeframe_follows_the_candles(btc_hourly: pl.DataFrame) -> None:
    daily = build_features(btc_hourly.head(24 * 40), default_spec(context_timeframe="1d"))
    assert {"ret_1_1d", "ret_6_1d", "rsi_14_1d"} <= set(daily.columns)
    assert daily["rsi_14_1d"].drop_nulls().len() > 0
    plain = default_spec(context_timeframe=None)
    assert not any(c.timeframe for c in plain.features)

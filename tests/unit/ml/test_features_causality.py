"""Causality: changing or removing any bar after time t changes no feature value at or before t.

The spec is generated from the catalogue (every kind, on base bars, on 4h and 1d bars, and as
cross-pair features), so a feature added to the catalogue is covered without editing this file.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np
import polars as pl
import pytest

from src.ml.features import (
    CATALOGUE,
    CrossPairRef,
    FeatureConfig,
    FeatureKind,
    FeatureSpec,
    build_features,
)
from src.ml.features.catalogue import FeatureColumn

ROWS = 1200
CUTS = (300, 701, 1000, 1150)  # row indices of t; 701 sits inside a 4h and a 1d bar
Perturb = Callable[[pl.DataFrame, datetime], pl.DataFrame]


def _catalogue_configs() -> list[FeatureConfig]:
    return [
        FeatureConfig(kind=kind, timeframe=tf) for tf in (None, "4h", "1d") for kind in CATALOGUE
    ]


def _full_spec() -> FeatureSpec:
    configs = tuple(_catalogue_configs())
    ref = CrossPairRef(pair="BTC/USD", alias="btc", features=configs)
    return FeatureSpec(features=configs, cross_pairs=(ref,))


@pytest.fixture(scope="module")
def candles(btc_hourly: pl.DataFrame, eth_hourly: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(
        [
            btc_hourly.head(ROWS).with_columns(pair=pl.lit("BTC/USD")),
            eth_hourly.head(ROWS).with_columns(pair=pl.lit("ETH/USD")),
        ]
    ).select("pair", "timestamp", "open", "high", "low", "close", "volume")


def _after(t: datetime) -> pl.Expr:
    return pl.col("timestamp") > t


def _scale_future(frame: pl.DataFrame, t: datetime) -> pl.DataFrame:
    rng = np.random.default_rng(7)
    factor = pl.Series(rng.uniform(0.8, 1.2, frame.height))
    vol = pl.Series(rng.uniform(0.1, 10.0, frame.height))
    prices = [
        pl.when(_after(t)).then(pl.col(c) * factor).otherwise(pl.col(c)).alias(c)
        for c in ("open", "high", "low", "close")
    ]
    volume = pl.when(_after(t)).then(pl.col("volume") * vol).otherwise(pl.col("volume"))
    return frame.with_columns(*prices, volume.alias("volume"))


def _spike_next_bar(frame: pl.DataFrame, t: datetime) -> pl.DataFrame:
    nxt = pl.col("timestamp") == pl.col("timestamp").filter(_after(t)).min().over("pair")
    return frame.with_columns(
        pl.when(nxt).then(pl.col("high") * 1.5).otherwise(pl.col("high")).alias("high"),
        pl.when(nxt).then(pl.col("close") * 1.3).otherwise(pl.col("close")).alias("close"),
        pl.when(nxt).then(pl.col("volume") * 50).otherwise(pl.col("volume")).alias("volume"),
    )


def _flatten_future(frame: pl.DataFrame, t: datetime) -> pl.DataFrame:
    flat = [
        pl.when(_after(t)).then(1.0).otherwise(pl.col(c)).alias(c)
        for c in ("open", "high", "low", "close")
    ]
    return frame.with_columns(
        *flat, pl.when(_after(t)).then(1e-3).otherwise(pl.col("volume")).alias("volume")
    )


def _truncate(frame: pl.DataFrame, t: datetime) -> pl.DataFrame:
    return frame.filter(~_after(t))


PERTURBATIONS: dict[str, Perturb] = {
    "scale_future": _scale_future,
    "spike_next_bar": _spike_next_bar,
    "flatten_future": _flatten_future,
    "truncate_future": _truncate,
}


def _changed_columns(
    candles: pl.DataFrame, spec: FeatureSpec, t: datetime, perturb: Perturb
) -> list[str]:
    """Feature columns whose values at or before ``t`` differ after perturbing the future."""
    base = build_features(candles, spec).filter(~_after(t))
    moved = build_features(perturb(candles, t), spec).filter(~_after(t))
    assert base.select("pair", "timestamp").equals(moved.select("pair", "timestamp"))
    return [
        c
        for c in spec.column_names()
        if not base[c].equals(moved[c], check_names=False, null_equal=True)
    ]


def test_spec_covers_the_whole_catalogue() -> None:
    spec = _full_spec()
    assert {c.kind for c in spec.features} == set(CATALOGUE)
    assert {c.timeframe for c in spec.features} == {None, "4h", "1d"}
    assert {c.kind for c in spec.cross_pairs[0].features} == set(CATALOGUE)


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_future_rows_never_change_past_features(candles: pl.DataFrame, name: str) -> None:
    spec = _full_spec()
    times = candles.filter(pl.col("pair") == "ETH/USD")["timestamp"]
    for cut in CUTS:
        t = times[cut]
        assert _changed_columns(candles, spec, t, PERTURBATIONS[name]) == [], (name, t)


def test_perturbations_do_change_the_future(candles: pl.DataFrame) -> None:
    """Guard against a vacuous test: the perturbed rows really move most features."""
    spec = _full_spec()
    t = candles["timestamp"].sort()[CUTS[1]]
    base = build_features(candles, spec).filter(_after(t))
    moved = build_features(_scale_future(candles, t), spec).filter(_after(t))
    changed = [c for c in spec.column_names() if not base[c].equals(moved[c], null_equal=True)]
    time_cols = {c for c in spec.column_names() if "tod_" in c or "dow_" in c}
    assert set(spec.column_names()) - set(changed) <= time_cols


def test_features_are_populated_at_the_cut_points(candles: pl.DataFrame) -> None:
    spec = _full_spec()
    out = build_features(candles, spec).filter(pl.col("pair") == "ETH/USD")
    at_t = out.row(CUTS[-1], named=True)
    empty = [c for c in spec.column_names() if at_t[c] is None]
    assert empty == [], "every feature must have left its warm-up by the last cut"


def test_a_leaking_feature_is_caught(
    candles: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same check flags an expression that peeks one bar ahead."""
    leak = FeatureKind(
        "peek",
        "uses the next close",
        lambda w, p: [FeatureColumn("peek", pl.col("close").shift(-1), 0)],
    )
    monkeypatch.setitem(CATALOGUE, "peek", leak)
    spec = FeatureSpec(features=(FeatureConfig(kind="peek"), FeatureConfig(kind="rsi")))
    t = candles["timestamp"].sort()[CUTS[0]]
    assert _changed_columns(candles, spec, t, _spike_next_bar) == ["peek"]

"""Labels net of cost, volatility-scaled triple barriers and meta-labels, by hand; and that
none of them can reach the features unnoticed (the leakage checks catch a label used as one)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from src.ml.config import CheckConfig, ExperimentConfig, LabelConfig
from src.ml.dataset import build_dataset
from src.ml.features import FeatureConfig, FeatureSpec, build_features
from src.ml.labels import make_labels, meta_label, net_direction, net_return, triple_barrier
from src.ml.leakage import check_causality

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SPEC = FeatureSpec(features=(FeatureConfig(kind="returns", windows=(4,)),))


def _frame(closes: list[float], highs: list[float] | None = None,
           lows: list[float] | None = None) -> pl.DataFrame:  # fmt: skip
    data = {
        "timestamp": [T0 + timedelta(hours=i) for i in range(len(closes))],
        "close": closes,
        "high": highs or closes,
        "low": lows or closes,
    }
    return pl.DataFrame(data).with_columns(pl.col("timestamp").dt.cast_time_unit("us"))


def test_net_return_and_net_direction_subtract_the_round_trip() -> None:
    frame = _frame([100.0, 102.0, 101.0, 101.5])
    out = net_return(frame, horizon=1, cost=0.005)
    # +2 % - 1 %, -0.98 % - 1 %, +0.495 % - 1 %
    expected = [0.01, 101.0 / 102.0 - 1.01, 101.5 / 101.0 - 1.01]
    assert out["label"].to_list()[:3] == pytest.approx(expected)
    assert out["fwd_return"].to_list()[0] == pytest.approx(0.02)  # the gross return stays
    assert out["label"][3] is None
    assert net_direction(frame, 1, 0.005)["label"].to_list() == [1.0, 0.0, 0.0, None]
    cfg = LabelConfig(kind="net_direction", horizon=1)
    assert make_labels(frame, cfg, 0.0)["label"].to_list()[:3] == [1.0, 0.0, 1.0]


def test_volatility_scaled_barriers_by_hand() -> None:
    # sigma at row 2 over the 2 log returns ln(1.01), ln(100/101): |r1 - r2| / sqrt(2);
    # the barriers are multiples of sigma x sqrt(horizon = 2) = 1.99 %.
    closes = [100.0, 101.0, 100.0, 100.0, 100.0, 100.0]
    highs = [100.0, 101.0, 100.0, 101.5, 101.8, 100.0]
    lows = [100.0, 100.0, 100.0, 99.5, 99.6, 100.0]
    sigma = abs(math.log(1.01) - math.log(100.0 / 101.0)) / math.sqrt(2)
    assert sigma * math.sqrt(2) == pytest.approx(0.0199, abs=1e-4)

    def label(take: float, stop: float, fee: float = 0.0) -> list[float | None]:
        cfg = LabelConfig(kind="triple_barrier", horizon=2, profit_take=take, stop_loss=stop,
                          barrier_scale="volatility", vol_window=2)  # fmt: skip
        return triple_barrier(_frame(closes, highs, lows), cfg, fee)["label"].to_list()

    assert label(1.0, 1.0)[:2] == [None, None]  # no volatility yet: no barrier, no label
    assert label(1.0, 1.0)[2] == 0.0  # +1.8 % < 1.99 % and -0.5 % > -1.99 %: time limit
    assert label(0.5, 1.0)[2] == 1.0  # +1.5 % >= 0.995 % at the first bar
    assert label(1.0, 0.2)[2] == -1.0  # -0.5 % <= -0.398 % at the first bar
    # With a 1 % round trip the best bar nets 0.8 % < 0.995 %, the worst -1.4 % > -1.99 %
    assert label(0.5, 1.0, fee=0.005)[2] == 0.0
    assert label(1.0, 1.0)[4:] == [None, None]  # the horizon runs past the data


def test_meta_labels_ask_whether_the_primary_rules_trade_pays() -> None:
    frame = _frame([100.0, 101.0, 102.0, 101.0, 100.0, 100.0, 103.0])
    cfg = LabelConfig(kind="meta", horizon=1, primary_window=1)
    out = meta_label(frame, cfg, cost=0.001)
    # side (vs the previous close): none, +1, +1, -1, -1, 0, +1; fwd: +1 %, +0.99 %, -0.98 %,
    # -0.99 %, 0, +3 %, end. Pays: side x fwd > 0.2 % round trip.
    assert out["label"].to_list() == [None, 1.0, 0.0, 1.0, 0.0, None, None]
    assert make_labels(frame, cfg, 0.001)["label"].to_list() == out["label"].to_list()


def _leaky(cfg: LabelConfig) -> object:
    def build(candles: pl.DataFrame, spec: FeatureSpec) -> pl.DataFrame:
        labels = make_labels(candles, cfg, 0.0021).select(
            "timestamp", "pair", pl.col("label").alias("label_as_feature")
        )
        return build_features(candles, spec).join(labels, on=["timestamp", "pair"], how="left")

    return build


KINDS = [
    LabelConfig(kind="net_return", horizon=24),
    LabelConfig(kind="net_direction", horizon=24),
    LabelConfig(
        kind="triple_barrier",
        horizon=24,
        barrier_scale="volatility",
        profit_take=1.0,
        stop_loss=1.0,
    ),
    LabelConfig(kind="meta", horizon=24, primary_window=24),
]


@pytest.mark.parametrize("cfg", KINDS, ids=lambda c: f"{c.kind}-{c.barrier_scale}")
def test_a_label_used_as_a_feature_is_caught_and_features_ignore_the_label_kind(
    cfg: LabelConfig, btc_hourly: pl.DataFrame, eth_hourly: pl.DataFrame
) -> None:
    candles = pl.concat([
        f.slice(2000, 700).with_columns(pair=pl.lit(p))
        for f, p in ((btc_hourly, "BTC/USD"), (eth_hourly, "ETH/USD"))
    ]).sort("pair", "timestamp")  # fmt: skip
    checks = CheckConfig(window_bars=600, n_cuts=3)
    report = check_causality(_leaky(cfg), candles, SPEC, checks, seed=1)  # type: ignore[arg-type]
    assert "label_as_feature" in report.perturbed and "label_as_feature" in report.truncated
    assert check_causality(build_features, candles, SPEC, checks, seed=1).leaky == []
    # The features of a dataset are the same whatever the label: labels only join on keys.
    plain = build_dataset(candles, ExperimentConfig(label=LabelConfig(kind="direction")), SPEC)
    kind = "lgbm_regressor" if cfg.regression else "lgbm_classifier"
    other = build_dataset(candles, ExperimentConfig(label=cfg, model={"kind": kind}), SPEC)
    assert plain.feature_names == other.feature_names
    assert np.array_equal(plain.x, other.x)

"""Live equals batch: ModelStrategy's features and scores against the batch pipeline's.

The audit found the live strategy computing features on 122 bars, which moved the 4 h RSI by
up to 30 %. The strategy now waits for the lookback the feature spec needs and recomputes the
batch features on the candles it holds.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np
import polars as pl
import pytest

from src.core.market_data import Candle
from src.ml.backtest import signals_to_positions
from src.ml.config import ExperimentConfig, PolicyConfig
from src.ml.features import CATALOGUE, FeatureConfig, FeatureKind, FeatureSpec, build_features
from src.ml.features import default_spec as make_default_spec
from src.ml.features.catalogue import FeatureColumn
from src.ml.features.lookback import lookback_mismatches, required_lookback
from src.ml.leakage import LeakageError
from src.ml.live_strategy import ModelStrategy, _policy
from src.ml.models import Model, make_model
from src.ml.policy import DecisionPolicy, EdgeCalibrator, rolling_side, rolling_vol
from src.ml.train import train
from tests.unit.ml.test_pipeline import RecordingTracker

SPEC = make_default_spec(reference_pair="BTC/USD")
LOOKBACK = required_lookback(SPEC, 60)
PAIRS = ("BTC/USD", "ETH/USD")
LONG, SHORT = 0.52, 0.48


@pytest.fixture(scope="module")
def candles(btc_hourly: pl.DataFrame, eth_hourly: pl.DataFrame) -> pl.DataFrame:
    n = LOOKBACK + 40
    frames = [f.slice(3000, n).with_columns(pair=pl.lit(p)) for f, p in zip(
        (btc_hourly, eth_hourly), PAIRS, strict=True)]  # fmt: skip
    out = pl.concat(frames).select("pair", "timestamp", "open", "high", "low", "close", "volume")
    # Both files have every hour in this stretch, so each timestamp has both pairs.
    assert out.group_by("timestamp").len()["len"].min() == 2
    return out.sort("pair", "timestamp")


@pytest.fixture(scope="module")
def batch(candles: pl.DataFrame) -> pl.DataFrame:
    return build_features(candles, SPEC).drop_nulls()


@pytest.fixture(scope="module")
def model(batch: pl.DataFrame, candles: pl.DataFrame) -> Model:
    up = candles.select(
        "pair", "timestamp", (pl.col("close").shift(-4).over("pair") > pl.col("close")).alias("y")
    )
    rows = batch.join(up, on=["pair", "timestamp"]).drop_nulls()
    x = rows.select(SPEC.column_names()).to_numpy()
    return make_model("lgbm_classifier", {"n_estimators": 20}, 1).fit(x, rows["y"].to_numpy())


def _stream(candles: pl.DataFrame) -> list[Candle]:
    out = []
    for r in candles.sort("timestamp", "pair").iter_rows(named=True):
        prices = {k: Decimal(repr(r[k])) for k in ("open", "high", "low", "close", "volume")}
        out.append(Candle(symbol=r["pair"], interval_minutes=60, timestamp=r["timestamp"],
                          **prices))  # fmt: skip
    return out


def _run(strategy: ModelStrategy, candles: pl.DataFrame) -> list[tuple[Candle, float, Decimal]]:
    seen = []
    for candle in _stream(candles):
        for target in strategy.on_candle(candle):
            seen.append((candle, strategy.last_score[candle.symbol], target.weight))
    return seen


def _batch_row(batch: pl.DataFrame, candle: Candle) -> np.ndarray:
    row = batch.filter(
        (pl.col("pair") == candle.symbol) & (pl.col("timestamp") == candle.timestamp)
    )
    return np.asarray(row.select(SPEC.column_names()).to_numpy()[0], dtype=np.float64)


def test_live_features_scores_and_targets_equal_the_batch_pipeline_exactly(
    candles: pl.DataFrame, batch: pl.DataFrame, model: Model
) -> None:
    strategy = ModelStrategy(PAIRS, model, SPEC, SPEC.column_names(),
                             long_threshold=LONG, short_threshold=SHORT)  # fmt: skip
    assert strategy.warmup_candles == LOOKBACK > 1000  # the 4 h RSI needs ~300 4 h bars
    seen = _run(strategy, candles)
    assert len(seen) == 2 * (candles.height // 2 - LOOKBACK + 1)  # every bar after warm-up
    for candle, score, _ in seen:
        row = _batch_row(batch, candle)
        assert score == model.score(row.reshape(1, -1))[0], candle.timestamp
    for pair in PAIRS:
        mine = [(c, s, w) for c, s, w in seen if c.symbol == pair]
        x = np.vstack([_batch_row(batch, c) for c, _, _ in mine])
        assert np.array_equal(x[-1], strategy.last_features[pair])  # bit for bit
        expected = signals_to_positions(model.score(x), LONG, SHORT)
        assert [float(w) for _, _, w in mine] == expected.tolist()


def test_a_sliding_window_of_the_lookback_stays_within_the_tolerance(
    candles: pl.DataFrame, batch: pl.DataFrame, model: Model
) -> None:
    strategy = ModelStrategy(PAIRS, model, SPEC, SPEC.column_names(), history=LOOKBACK)
    seen = _run(strategy, candles)
    assert len(seen) > 60
    scale = np.nanmax(np.abs(batch.select(SPEC.column_names()).to_numpy()), axis=0)
    for candle, score, _ in seen:
        assert abs(score - model.score(_batch_row(batch, candle).reshape(1, -1))[0]) < 1e-9
    for pair in PAIRS:
        candle = [c for c, _, _ in seen if c.symbol == pair][-1]
        live = strategy.last_features[pair]
        assert np.all(np.abs(live - _batch_row(batch, candle)) <= 1e-9 * scale)


def test_the_audits_122_bar_window_moves_the_4h_rsi_and_the_lookback_does_not(
    candles: pl.DataFrame,
) -> None:
    ends = [candles["timestamp"].sort()[-1]]
    short = lookback_mismatches(build_features, candles, SPEC, 122, 1e-3, ends)
    assert "rsi_14_4h" in {m.feature for m in short}
    assert lookback_mismatches(build_features, candles, SPEC, LOOKBACK, 1e-9, ends) == []


def test_no_target_before_the_lookback_and_prime_loads_history(
    candles: pl.DataFrame, model: Model
) -> None:
    stream = _stream(candles)
    strategy = ModelStrategy(PAIRS, model, SPEC, SPEC.column_names())
    head = 2 * (LOOKBACK - 1)
    assert all(strategy.on_candle(c) == [] for c in stream[:head])
    primed = ModelStrategy(PAIRS, model, SPEC, SPEC.column_names())
    primed.prime(stream[:head])
    assert primed.candle_frame().height == head and primed.last_score == {}
    assert [t.symbol for t in primed.on_candle(stream[head])] == ["BTC/USD"]


def test_lookback_counts_warm_up_timeframes_ema_memory_and_tolerance() -> None:
    returns = FeatureSpec(features=(FeatureConfig(kind="returns", windows=(24,)),))
    assert required_lookback(returns, 60) == 25  # a finite window: just its warm-up
    rsi = FeatureSpec(features=(FeatureConfig(kind="rsi", windows=(14,)),))
    rsi_4h = FeatureSpec(features=(FeatureConfig(kind="rsi", windows=(14,), timeframe="4h"),))
    base = required_lookback(rsi, 60)
    assert base > 250  # (13/14)^n <= 1e-9 takes ~280 bars beyond the warm-up
    assert required_lookback(rsi_4h, 60) == (base + 2) * 4
    assert required_lookback(rsi, 60, 1e-3) < base


def test_training_refuses_a_feature_no_live_window_can_reproduce(
    small_config: Callable[..., ExperimentConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An expanding mean is causal (it passes the leakage checks) but never forgets the first
    # bar of its data, so live and training values differ forever.
    expanding = FeatureColumn("close_vs_all_time", pl.col("close") / pl.col("close").cum_sum()
                              * pl.int_range(1, pl.len() + 1), 0)  # fmt: skip
    kind = FeatureKind("expanding", "close over its all-time mean", lambda w, p: [expanding])
    monkeypatch.setitem(CATALOGUE, "expanding", kind)
    spec = {"features": [{"kind": "rsi"}, {"kind": "expanding"}]}
    with pytest.raises(LeakageError, match=r"\['close_vs_all_time'\] differ between a live"):
        train(small_config("sqlite://", features=spec), RecordingTracker())


def test_a_cross_pair_reference_outside_the_symbols_is_refused(model: Model) -> None:
    with pytest.raises(ValueError, match=r"need \['BTC/USD'\]"):
        ModelStrategy(["ETH/USD"], model, SPEC, SPEC.column_names())


def _cost_aware_policy(scores: np.ndarray, meta: bool) -> DecisionPolicy:
    low, high = np.quantile(scores, [0.1, 0.9])
    cfg = PolicyConfig(kind="cost_aware", min_hold=3, sizing="volatility", target_vol=0.01,
                       max_weight=0.9, vol_window=48)  # fmt: skip
    cal = EdgeCalibrator((float(low), float(high)), (-0.001, 0.002))
    return DecisionPolicy(cfg, round_trip=0.0005, horizon=4, calibrator=cal, meta=meta,
                          primary_window=6, allow_short=meta)  # fmt: skip


@pytest.mark.parametrize("meta", [False, True], ids=["edge", "meta"])
def test_the_cost_aware_policy_gives_the_same_positions_live_and_in_the_backtest(
    candles: pl.DataFrame, batch: pl.DataFrame, model: Model, meta: bool
) -> None:
    scores = model.score(batch.select(SPEC.column_names()).to_numpy())
    policy = _cost_aware_policy(scores, meta)
    strategy = ModelStrategy(PAIRS, model, SPEC, SPEC.column_names(), policy=policy)
    seen = _run(strategy, candles)  # from the cold start: the warm-up is part of the run
    assert len(seen) == 2 * (candles.height // 2 - LOOKBACK + 1)
    for pair in PAIRS:
        mine = [(c, w) for c, _, w in seen if c.symbol == pair]
        closes = candles.filter(pl.col("pair") == pair)["close"].to_numpy()
        vol = rolling_vol(closes, 48)[-len(mine) :]
        side = rolling_side(closes, 6)[-len(mine) :] if meta else None
        x = np.vstack([_batch_row(batch, c) for c, _ in mine])
        # The backtest's path: the policy over the pair's rows from the first decision on.
        expected = policy.positions(policy.signal(model.score(x)), vol, side)
        live = [float(w) for _, w in mine]
        assert live == expected.tolist()
        assert len(set(live)) >= 2 and 0 < sum(w != 0 for w in live) < len(live)
    assert any(0 < abs(float(w)) < 0.9 for _, _, w in seen)  # sized, not just +-1


def test_a_runs_logged_policy_is_what_the_strategy_trades_and_old_runs_keep_thresholds() -> None:
    cal = EdgeCalibrator((0.4, 0.6), (-0.01, 0.01))
    logged = DecisionPolicy(PolicyConfig(kind="cost_aware"), round_trip=0.0084, calibrator=cal)
    doc = {"spec": {}, "feature_names": [], "policy": logged.to_dict()}
    assert _policy(doc, {}) == logged
    old = {"strategy.long_threshold": "0.6", "strategy.short_threshold": "0.4",
           "strategy.allow_short": "True"}  # fmt: skip
    legacy = _policy({"spec": {}}, old)
    assert not legacy.cost_aware and (legacy.long_threshold, legacy.short_threshold) == (0.6, 0.4)
    assert legacy.allow_short

"""The decision policy: the old threshold layer reproduced, the cost-aware rules by hand."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from sklearn.isotonic import IsotonicRegression

from src.ml.backtest import signals_to_positions
from src.ml.config import CostConfig, ExperimentConfig, PolicyConfig
from src.ml.policy import (
    DecisionPolicy,
    EdgeCalibrator,
    PolicyState,
    edge_column,
    rolling_side,
    rolling_vol,
    round_trip_cost,
    side_cost,
    target_weights,
    trailing_vol,
)

NAN = math.nan


def _policy(**overrides: object) -> DecisionPolicy:
    cfg = PolicyConfig.model_validate({"kind": "cost_aware", "min_hold": 2, **overrides})
    return DecisionPolicy(cfg, round_trip=0.01, horizon=4)


@pytest.mark.parametrize("allow_short", [False, True])
def test_the_threshold_kind_is_the_old_layer(allow_short: bool) -> None:
    rng = np.random.default_rng(3)
    score = rng.uniform(0.3, 0.7, 3000)
    score[::37] = np.nan
    policy = DecisionPolicy(long_threshold=0.6, short_threshold=0.45, allow_short=allow_short)
    expected = signals_to_positions(score, 0.6, 0.45, allow_short=allow_short)
    assert np.array_equal(policy.positions(policy.signal(score)), expected)
    assert len(np.unique(expected)) == (3 if allow_short else 2)


def test_round_trip_is_the_backtest_cost_model_both_ways() -> None:
    # Taker: 0.40 % fee + half of a 2 bp spread + 1 bp slippage, per side.
    assert side_cost(CostConfig()) == pytest.approx(0.004 + 0.0001 + 0.0001)
    assert round_trip_cost(CostConfig()) == pytest.approx(0.0084)
    # A maker fill pays its fee at the reference price: no spread, no slippage.
    maker = CostConfig(liquidity="maker", maker_fee=0.0016)
    assert round_trip_cost(maker) == pytest.approx(0.0032)
    config = ExperimentConfig(costs=maker)
    assert DecisionPolicy.from_config(config).round_trip == pytest.approx(0.0032)


def test_enters_only_above_the_round_trip_and_holds_at_least_min_hold() -> None:
    policy = _policy()
    # edge:        below cost, above, then negative at once, again, still negative -> exit
    edges = [0.009, 0.011, -0.02, -0.02, -0.02, 0.011]
    assert policy.positions(np.array(edges)).tolist() == [0, 1, 1, 0, 0, 1]


def test_hysteresis_keeps_a_position_between_exit_and_entry_levels() -> None:
    policy = _policy(exit_edge=0.002, min_hold=0)
    edges = [0.02, 0.005, 0.003, 0.0019, 0.005, 0.012]
    # held while the edge stays >= exit_edge although below the cost; flat stays flat at 0.005
    assert policy.positions(np.array(edges)).tolist() == [1, 1, 1, 0, 0, 1]


def test_entry_multiple_raises_the_bar() -> None:
    policy = _policy(entry_cost_multiple=2.0)
    assert policy.positions(np.array([0.015, 0.021])).tolist() == [0, 1]


def test_a_nan_signal_means_flat_even_inside_the_holding_period() -> None:
    policy = _policy(min_hold=10)
    assert policy.positions(np.array([0.02, NAN, 0.005])).tolist() == [1, 0, 0]


def test_shorts_when_allowed_and_a_flip_after_the_holding_period() -> None:
    cfg = PolicyConfig(kind="cost_aware", min_hold=1)
    policy = DecisionPolicy(cfg, allow_short=True, round_trip=0.01, horizon=4)
    edges = [-0.02, 0.0, 0.03, -0.001]
    assert policy.positions(np.array(edges)).tolist() == [-1, -1, 1, 0]
    assert _policy().positions(np.array([-0.02])).tolist() == [0]


def test_volatility_and_kelly_sizing_by_hand_fixed_while_held() -> None:
    vol = np.array([0.01, 0.02, 0.005])
    sized = _policy(sizing="volatility", target_vol=0.01, max_weight=0.8)
    # 0.01 / (0.01 x sqrt(4)) = 0.5; the next bars keep it although the volatility moves
    assert sized.positions(np.full(3, 0.02), vol).tolist() == [0.5, 0.5, 0.5]
    capped = sized.positions(np.array([0.02]), np.array([0.004]))  # 1.25 -> cap 0.8
    assert capped.tolist() == [0.8]
    kelly = _policy(sizing="kelly", kelly_fraction=0.5)
    # 0.5 x (0.02 - 0.01) / (0.02^2 x 4) = 3.125 -> cap 1; with vol 0.05: 0.5 x 0.01 / 0.01
    assert kelly.positions(np.array([0.02]), np.array([0.02])).tolist() == [1.0]
    assert kelly.positions(np.array([0.02]), np.array([0.05]))[0] == pytest.approx(0.5)
    tiny = _policy(sizing="kelly", kelly_fraction=0.5, min_weight=0.1)
    assert tiny.positions(np.array([0.011]), np.array([0.05])).tolist() == [0.0]  # 0.05 < 0.1
    assert sized.positions(np.array([0.02]), np.array([NAN])).tolist() == [0.0]


def test_meta_policy_takes_only_the_primary_side() -> None:
    cfg = PolicyConfig(kind="cost_aware", min_hold=1)
    meta = DecisionPolicy(cfg, round_trip=0.01, horizon=4, meta=True, allow_short=True)
    edges = np.array([0.02, 0.02, 0.02, 0.02, 0.02])
    sides = np.array([0.0, -1.0, -1.0, 1.0, NAN])
    # no side: no trade; the rule's short; kept; the rule turns: exit and take the new side;
    # no side any more: flat
    assert meta.positions(edges, side=sides).tolist() == [0, -1, -1, 1, 0]
    long_only = DecisionPolicy(cfg, round_trip=0.01, horizon=4, meta=True)
    assert long_only.positions(edges[:2], side=sides[:2]).tolist() == [0, 0]


def test_decide_counts_bars_held() -> None:
    policy, state = _policy(min_hold=3), PolicyState()
    assert [policy.decide(state, e) for e in (0.02, -1.0, -1.0, -1.0)] == [1, 1, 1, 0]
    assert state == PolicyState(0.0, 0)


def test_calibrator_is_isotonic_on_quantile_bins_and_clips() -> None:
    rng = np.random.default_rng(0)
    score = rng.uniform(0, 1, 4000)
    fwd = 0.02 * (score - 0.5) + rng.normal(0, 0.01, 4000)
    cal = EdgeCalibrator.fit(score, fwd, bins=10)
    order = np.argsort(score, kind="stable")
    groups = np.array_split(order, 10)
    centre = [np.median(score[g]) for g in groups]
    iso = IsotonicRegression(out_of_bounds="clip").fit(
        centre, [np.mean(fwd[g]) for g in groups], sample_weight=[len(g) for g in groups]
    )
    probe = np.array([-1.0, 0.1, 0.33, 0.5, 0.77, 2.0])
    assert np.allclose(cal.edge(probe), iso.predict(probe), rtol=0, atol=1e-15)
    assert np.all(np.diff(cal.edges) >= 0) and cal.edge(np.array([2.0]))[0] == cal.edges[-1]
    assert cal.edge(np.array([0.9]))[0] == pytest.approx(0.008, abs=0.002)
    assert math.isnan(cal.edge(np.array([NAN]))[0])
    assert EdgeCalibrator.from_dict(cal.to_dict()) == cal
    with pytest.raises(ValueError, match="at least 2 rows"):
        EdgeCalibrator.fit(np.array([0.5, NAN]), np.array([0.1, 0.2]))


def test_a_fat_tailed_day_cannot_set_the_top_edge() -> None:
    score = np.linspace(0, 1, 1000)
    fwd = np.zeros(1000)
    fwd[-1] = 0.5  # one +50 % day on the highest score
    cal = EdgeCalibrator.fit(score, fwd, bins=20)
    assert cal.edges[-1] == pytest.approx(0.5 / 50)  # averaged over its bin of 50 rows


def test_policy_round_trips_through_its_record() -> None:
    cal = EdgeCalibrator((0.1, 0.9), (-0.01, 0.02))
    policy = DecisionPolicy(PolicyConfig(kind="cost_aware", sizing="kelly"), 0.6, 0.4, True,
                            0.005, 12, cal, True, 48)  # fmt: skip
    assert DecisionPolicy.from_dict(policy.to_dict()) == policy
    assert policy.signal(np.array([0.5]))[0] == pytest.approx(0.005)
    with pytest.raises(ValueError, match="needs a calibrator"):
        DecisionPolicy(PolicyConfig(kind="cost_aware")).signal(np.array([0.5]))


def test_trailing_and_rolling_inputs_agree_bit_for_bit() -> None:
    close = 100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, 300)))
    vol = rolling_vol(close, 24)
    assert np.isnan(vol[:24]).all()
    for i in (24, 100, 299):
        assert vol[i] == trailing_vol(close[i - 24 : i + 1])
    assert vol[50] == pytest.approx(np.std(np.diff(np.log(close[26:51])), ddof=1))
    side = rolling_side(np.array([1.0, 2.0, 3.0, 2.0, 2.0, 1.0]), 2)
    assert side[:2].tolist() == [NAN, NAN] or np.isnan(side[:2]).all()
    assert side[2:].tolist() == [1.0, 0.0, -1.0, -1.0]


def test_target_weights_read_each_score_columns_edges_per_pair() -> None:
    assert [edge_column(c) for c in ("score", "score_seed2", "null5")] == [
        "edge", "edge_seed2", "edge_null5"]  # fmt: skip
    rows = pl.DataFrame({
        "pair": ["A"] * 3 + ["B"] * 3, "score": [0.9] * 6,
        "edge": [0.0, 0.02, 0.02, 0.02, -0.001, 0.0], "vol": [0.01] * 6,
    })  # fmt: skip
    config = ExperimentConfig(policy=PolicyConfig(kind="cost_aware", min_hold=0))
    out = target_weights(rows, "score", config)
    # B starts flat, not in A's state; it exits below exit_edge = 0 and stays out at 0
    assert out["target"].to_list() == [0, 1, 1, 1, 0, 0]
    threshold = target_weights(rows, "score", ExperimentConfig())
    assert threshold["target"].to_list() == [1] * 6  # 0.9 > 0.55 on every row
    with pytest.raises(ValueError, match="edge_null0"):
        target_weights(rows.with_columns(null0=pl.lit(0.5)), "null0", config)

"""Leakage checks: features that read the future are caught, by name, before anything is fitted.

The three leaks of issue 18's audit (the next bar's return, a centred rolling mean, the label's
own future return) are injected as a user would, through ``train(features=...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import pytest

import src.ml.models as models_module
import src.ml.pipeline as pipeline_module
import src.ml.runner as runner_module
from src.ml.config import CheckConfig, ExperimentConfig
from src.ml.features import CATALOGUE, CrossPairRef, FeatureConfig, FeatureSpec, build_features
from src.ml.leakage import (
    LeakageError,
    check_causality,
    feature_ic_violations,
    too_good_reasons,
)
from src.ml.models import Model
from src.ml.train import train
from tests.unit.ml.test_pipeline import RecordingTracker

ConfigFactory = Callable[..., ExperimentConfig]
HORIZON = 4  # the small config's label horizon
_close = pl.col("close")
LEAKS: dict[str, pl.Expr] = {
    "next_bar_return": _close.shift(-1) / _close - 1.0,
    "centred_mean": _close.rolling_mean(25, center=True) / _close - 1.0,
    "label_future_return": _close.shift(-HORIZON) / _close - 1.0,
}


def with_feature(name: str, expr: pl.Expr) -> Callable[[pl.DataFrame, Any], pl.DataFrame]:
    """The library's features plus one user column computed per pair."""

    def build(candles: pl.DataFrame, spec: Any) -> pl.DataFrame:
        extra = candles.select("pair", "timestamp", expr.over("pair").alias(name))
        return build_features(candles, spec).join(extra, on=["pair", "timestamp"], how="left")

    return build


@pytest.fixture(scope="module")
def candles(btc_hourly: pl.DataFrame, eth_hourly: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(
        [
            btc_hourly.head(1600).with_columns(pair=pl.lit("BTC/USD")),
            eth_hourly.head(1600).with_columns(pair=pl.lit("ETH/USD")),
        ]
    ).select("pair", "timestamp", "open", "high", "low", "close", "volume")


def _catalogue_spec() -> FeatureSpec:
    configs = tuple(
        FeatureConfig(kind=kind, timeframe=tf) for tf in (None, "4h", "1d") for kind in CATALOGUE
    )
    return FeatureSpec(
        features=configs, cross_pairs=(CrossPairRef(pair="BTC/USD", alias="btc", features=configs),)
    )


@pytest.mark.parametrize("leak", sorted(LEAKS))
def test_each_audit_leak_is_caught_by_perturbation_and_by_truncation(
    candles: pl.DataFrame, leak: str
) -> None:
    spec = FeatureSpec(features=(FeatureConfig(kind="rsi"), FeatureConfig(kind="returns")))
    report = check_causality(with_feature(leak, LEAKS[leak]), candles, spec, CheckConfig(), 3)
    assert report.leaky == [leak]
    assert len(report.perturbed[leak]) == len(report.cuts) == len(report.truncated[leak])
    with pytest.raises(LeakageError, match=f"feature '{leak}' reads the future") as err:
        report.raise_if_failed()
    assert err.value.features == [leak]


def test_the_shipped_catalogue_passes_on_every_timeframe_and_cross_pair(
    candles: pl.DataFrame,
) -> None:
    spec = _catalogue_spec()
    report = check_causality(build_features, candles, spec, CheckConfig(window_bars=1600), 11)
    assert report.leaky == [] and report.unchecked == []
    assert len(report.cuts) == 4
    report.raise_if_failed()  # no exception


def test_a_feature_whose_warm_up_outlasts_the_window_cannot_pass_unchecked(
    candles: pl.DataFrame,
) -> None:
    spec = FeatureSpec(features=(FeatureConfig(kind="returns", windows=(1,)),))
    slow = with_feature("slow", _close.rolling_mean(1300) / _close)
    report = check_causality(slow, candles, spec, CheckConfig(window_bars=1200), 0)
    assert report.leaky == [] and report.unchecked == ["slow"]
    with pytest.raises(LeakageError, match=r"raise checks\.window_bars"):
        report.raise_if_failed()


def _count_fits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    fits: list[str] = []
    real = models_module.make_model

    def counting(kind: str, params: dict[str, Any] | None = None, seed: int = 0) -> Model:
        fits.append(kind)
        return real(kind, params, seed)

    monkeypatch.setattr(pipeline_module, "make_model", counting)
    monkeypatch.setattr(runner_module, "make_model", counting)
    return fits


@pytest.mark.parametrize("leak", sorted(LEAKS))
def test_training_with_a_leaky_user_feature_fails_before_any_fit(
    small_config: ConfigFactory, monkeypatch: pytest.MonkeyPatch, leak: str
) -> None:
    fits = _count_fits(monkeypatch)
    tracker = RecordingTracker()
    with pytest.raises(LeakageError, match=leak) as err:
        train(small_config("sqlite://"), tracker, features=with_feature(leak, LEAKS[leak]))
    assert err.value.features == [leak]
    assert fits == [] and tracker.registered == []
    assert tracker.status == "FAILED" and tracker.tags["leakage_checks"] == "FAILED"


def test_with_causality_off_the_feature_ic_bound_still_names_the_label_leak(
    small_config: ConfigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    fits = _count_fits(monkeypatch)
    config = small_config("sqlite://", checks={"causality": False})
    leak = "label_future_return"
    with pytest.raises(LeakageError, match=r"too good to be true.*label_future_return"):
        train(config, RecordingTracker(), features=with_feature(leak, LEAKS[leak]))
    assert fits == []


def test_with_both_feature_checks_off_the_oos_bound_stops_the_final_fit_and_the_gate(
    small_config: ConfigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    fits = _count_fits(monkeypatch)
    config = small_config("sqlite://", checks={"causality": False, "max_feature_rank_ic": 2.0})
    tracker = RecordingTracker()
    leak = "label_future_return"
    with pytest.raises(LeakageError, match=r"oos_auc = \S+ > 0\.7 \(checks.max_auc\)") as err:
        train(config, tracker, features=with_feature(leak, LEAKS[leak]))
    assert leak in err.value.features  # the prime suspect is named
    walk_forward_fits = (2 + 1) * (2 + 3)  # (folds + holdout) x (seeds + null draws)
    assert len(fits) == walk_forward_fits  # no final model
    assert tracker.registered == [] and "gate" not in tracker.tags
    assert tracker.tags["live_tradable"] == "no"  # a custom builder cannot run live
    assert tracker.metrics["oos_auc"] > 0.9  # the figures stay recorded for a post-mortem


def test_too_good_bounds_read_oos_and_holdout() -> None:
    checks = CheckConfig()
    calm = {"oos_auc": 0.55, "oos_rank_ic": 0.05, "holdout_sharpe": 1.0, "oos_hit_rate": 0.53}
    assert too_good_reasons(calm, checks) == []
    loud = calm | {"oos_auc": 0.81, "holdout_sharpe": 9.0, "holdout_rank_ic": 0.45}
    reasons = too_good_reasons(loud, checks)
    assert len(reasons) == 3
    assert any(r.startswith("holdout_sharpe = 9.000 > 6.0") for r in reasons)


def test_feature_ic_bound_flags_only_the_feature_that_holds_the_answer() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    fwd = rng.normal(size=2000)
    x = np.column_stack([rng.normal(size=2000), fwd + 0.1 * rng.normal(size=2000)])
    found = feature_ic_violations(x, fwd, ["noise", "answer"], 0.3)
    assert list(found) == ["answer"] and found["answer"] > 0.9

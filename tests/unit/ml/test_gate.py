"""The promotion gate: trials counted in MLflow, deflated Sharpe, and a reason for every check."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from statistics import NormalDist

import mlflow.tracking  # noqa: F401  (at collection: importing it probes IPv6 with a socket)
import numpy as np
import pytest

from src.ml.config import ExperimentConfig
from src.ml.gate import decide, deflated_sharpe, expected_max_sharpe, probabilistic_sharpe
from src.ml.metrics import periods_per_year
from src.ml.tracking import MLflowTracker
from src.ml.train import train
from tests.unit.ml.test_pipeline import RecordingTracker

ConfigFactory = Callable[..., ExperimentConfig]


def test_expected_best_of_noise_grows_with_the_number_of_trials() -> None:
    values = [expected_max_sharpe(n, 0.01) for n in (1, 2, 10, 100, 1000)]
    assert values[0] == 0.0
    assert all(a < b for a, b in itertools.pairwise(values))
    # About sqrt(2 ln N) standard deviations for many trials (0.1 here).
    assert values[-1] == pytest.approx(0.1 * math.sqrt(2 * math.log(1000)), rel=0.15)


def test_one_trial_is_the_probabilistic_sharpe_against_zero() -> None:
    rng = np.random.default_rng(3)
    returns = rng.normal(0.001, 0.01, 2000)
    one = deflated_sharpe(returns, [])
    sr = returns.mean() / returns.std(ddof=1)
    assert one.n_trials == 1 and one.expected_max == 0.0
    normal = NormalDist().cdf(sr * math.sqrt(1999) / math.sqrt(1 + sr**2 / 2))
    assert one.deflated == pytest.approx(normal, abs=0.02)  # sample skew/kurtosis ~ normal
    many = deflated_sharpe(returns, list(rng.normal(0.0, 0.03, 49)))
    assert many.n_trials == 50 and many.expected_max > 0.05
    assert many.deflated < one.deflated  # the same result is worth less after 50 tries


def test_fat_tails_lower_the_probabilistic_sharpe() -> None:
    assert probabilistic_sharpe(0.05, 0.0, 1000, 0.0, 3.0) > probabilistic_sharpe(
        0.05, 0.0, 1000, -1.0, 12.0
    )


def _metrics(**over: float) -> dict[str, float]:
    return {"oos_sharpe": 1.5, "holdout_sharpe": -9.0} | over


def test_every_check_gives_its_reason_and_the_holdout_is_never_read(
    small_config: ConfigFactory,
) -> None:
    config = small_config("sqlite://", tracking={"champion_floor": 0.0, "min_deflated_sharpe": 0.9})
    good = deflated_sharpe(np.random.default_rng(0).normal(0.002, 0.01, 3000), [])
    decision = decide(_metrics(), config, correction=good, incumbent=1.0, warnings=[])
    assert decision.promote, decision.reasons
    assert [r.split()[0] for r in decision.reasons] == ["PASS"] * 4
    other_holdout = decide(
        _metrics(holdout_sharpe=9.0), config, correction=good, incumbent=1.0, warnings=[]
    )
    assert other_holdout == decision
    poor = deflated_sharpe(np.random.default_rng(0).normal(0.0, 0.01, 3000), [0.3] * 20)
    rejected = decide(_metrics(oos_sharpe=-0.2), config, correction=poor, incumbent=2.0,
                      warnings=["planted"])  # fmt: skip
    assert not rejected.promote
    assert [r.split()[0] for r in rejected.reasons] == ["FAIL"] * 4
    text = "\n".join(rejected.reasons)
    assert "planted" in text and "<= floor 0.0" in text and "over 21 trial(s)" in text
    assert "<= champion's 2.0000" in text


def test_trials_are_the_experiments_other_finished_runs(tracking_uri: str) -> None:
    uri = tracking_uri
    tracker = MLflowTracker(uri)
    for status, metrics in (
        ("FINISHED", {"oos_sharpe_per_bar": 0.01}),
        ("FINISHED", {"oos_sharpe_per_bar": -0.02}),
        ("FINISHED", {"oos_sharpe": 3.0}),  # a run from before the per-bar figure existed
        ("FAILED", {"oos_sharpe_per_bar": 0.5}),  # stopped by a leakage check: not a trial
        ("FINISHED", {}),  # never reached the out-of-sample figures
    ):
        tracker.start_run("exp", "r", {})
        tracker.log_params({"data.interval_minutes": 60})
        tracker.log_metrics(metrics)
        tracker.end_run(status)
    tracker.start_run("exp", "current", {})
    tracker.log_metrics({"oos_sharpe_per_bar": 0.9})
    found = sorted(tracker.trial_sharpes())
    tracker.end_run()
    old = 3.0 / math.sqrt(periods_per_year(60))
    assert found == pytest.approx(sorted([0.01, -0.02, old]))


def test_training_logs_and_returns_the_gates_reasons(small_config: ConfigFactory) -> None:
    class ManyTrials(RecordingTracker):
        def trial_sharpes(self) -> list[float]:
            return [0.02, -0.01, 0.0, 0.05]

    tracker = ManyTrials()
    config = small_config("sqlite://", tracking={"min_deflated_sharpe": 0.95})
    result = train(config, tracker, progress=False)
    assert result.metrics["n_trials"] == 5.0
    assert any("deflated Sharpe" in r and "over 5 trial(s)" in r for r in result.gate_reasons)
    assert tracker.tags["gate_reasons"] == " | ".join(result.gate_reasons)
    verdict = "promoted" if result.registered else "rejected"
    assert tracker.tags["gate"] == verdict
    assert result.registered == all(r.startswith("PASS") for r in result.gate_reasons)

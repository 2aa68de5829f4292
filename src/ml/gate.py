"""The promotion gate: the checks a run must pass to become champion, each with its reason.

Runs of one experiment compete on the same out-of-sample hours, so the best of many is partly
luck. The gate corrects for that with the **deflated Sharpe ratio** (Bailey and Lopez de Prado,
"The Deflated Sharpe Ratio", 2014): the probability that the run's true Sharpe exceeds the
Sharpe the best of ``N`` noise trials would reach, where ``N`` counts every finished run of the
experiment (this one included) and the trials' spread is the variance of their Sharpe ratios,
floored at ``1 / T`` (the sampling variance of a Sharpe estimate over ``T`` bars under the null)
so a handful of similar runs cannot shrink it to nothing. The holdout is never read here.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np

from src.ml.backtest import BacktestResult
from src.ml.config import ExperimentConfig

EULER_GAMMA = 0.5772156649015329


def bar_returns(result: BacktestResult) -> np.ndarray:
    """Per-bar portfolio returns of a backtest (the first bar against the initial cash)."""
    equity = np.concatenate(([result.initial_cash], result.equity["equity"].to_numpy()))
    return np.asarray(np.diff(equity) / equity[:-1], dtype=float)


def expected_max_sharpe(n_trials: int, variance: float) -> float:
    """Expected largest Sharpe ratio of ``n_trials`` noise trials with that Sharpe variance."""
    if n_trials < 2 or not variance > 0:
        return 0.0
    inv = NormalDist().inv_cdf
    spread = (1 - EULER_GAMMA) * inv(1 - 1 / n_trials) + EULER_GAMMA * inv(
        1 - 1 / (n_trials * math.e)
    )
    return math.sqrt(variance) * spread


def probabilistic_sharpe(
    sharpe: float, benchmark: float, n_obs: int, skew: float, kurtosis: float
) -> float:
    """P(true Sharpe > ``benchmark``) given a per-bar estimate over ``n_obs`` bars.

    ``kurtosis`` is the plain (not excess) kurtosis of the returns: 3 for normal ones.
    """
    if n_obs < 2 or not math.isfinite(sharpe):
        return math.nan
    denom = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    z = (sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(max(denom, 1e-12))
    return NormalDist().cdf(z)


@dataclass(frozen=True)
class TrialCorrection:
    """The run's Sharpe against the best of the experiment's trials (all per bar).

    Attributes:
        n_trials: Finished runs of the experiment, this one included.
        sharpe: This run's out-of-sample Sharpe per bar (after costs).
        variance: Variance of the trials' Sharpe ratios used (floored at ``1 / n_obs``).
        expected_max: Sharpe the best of ``n_trials`` noise trials would reach.
        deflated: The deflated Sharpe ratio, a probability.
        n_obs: Bars behind the Sharpe estimate.
    """

    n_trials: int
    sharpe: float
    variance: float
    expected_max: float
    deflated: float
    n_obs: int


def deflated_sharpe(returns: np.ndarray, other_trials: list[float]) -> TrialCorrection:
    """Deflate the Sharpe of ``returns`` by the experiment's other trials' Sharpe ratios."""
    r = np.asarray(returns, dtype=float)
    n = len(r)
    std = float(np.std(r, ddof=1)) if n > 1 else 0.0
    if std > 0:
        sharpe = float(np.mean(r)) / std
        centred = (r - r.mean()) / float(np.std(r))
        skew, kurt = float(np.mean(centred**3)), float(np.mean(centred**4))
    else:  # never traded: no risk, no return, nothing to deflate but nothing earned either
        sharpe, skew, kurt = 0.0, 0.0, 3.0
    trials = [sharpe, *[s for s in other_trials if math.isfinite(s)]]
    spread = float(np.var(trials, ddof=1)) if len(trials) > 1 else 0.0
    variance = max(spread, 1.0 / max(n, 1))
    sr0 = expected_max_sharpe(len(trials), variance)
    dsr = probabilistic_sharpe(sharpe, sr0, n, skew, kurt)
    return TrialCorrection(len(trials), sharpe, variance, sr0, dsr, n)


@dataclass(frozen=True)
class GateDecision:
    """Whether the run is promoted, with one ``PASS``/``FAIL`` line per check."""

    promote: bool
    reasons: list[str]

    def as_dict(self) -> dict[str, object]:
        """Plain dict (for the ``gate/decision.json`` artifact)."""
        return asdict(self)


def decide(
    metrics: dict[str, float],
    config: ExperimentConfig,
    *,
    correction: TrialCorrection,
    incumbent: float | None,
    warnings: list[str],
) -> GateDecision:
    """Run every check of the gate and keep its reason.

    Args:
        metrics: The run's figures (only ``oos_*`` are read, never ``holdout_*``).
        config: ``tracking`` holds the metric, floor and deflated-Sharpe threshold.
        correction: The trial correction for this run.
        incumbent: The current champion's value of the metric, or None.
        warnings: Reasons the null control looks too good (any fails the gate).
    """
    tcfg = config.tracking
    if not tcfg.register_model:
        return GateDecision(False, ["FAIL registration is off (tracking.register_model = false)"])
    noise = "null control looks like noise"
    checks = [(not warnings, f"{noise}" if not warnings else f"not {noise}: {'; '.join(warnings)}")]
    name = tcfg.champion_metric
    value = metrics.get(name, math.nan)
    above = math.isfinite(value) and value > tcfg.champion_floor
    checks.append(
        (above, f"{name} = {value:.4f} {'>' if above else '<='} floor {tcfg.champion_floor}")
    )
    if tcfg.min_deflated_sharpe > 0:
        c = correction
        ok = math.isfinite(c.deflated) and c.deflated >= tcfg.min_deflated_sharpe
        checks.append(
            (
                ok,
                f"deflated Sharpe {c.deflated:.3f} {'>=' if ok else '<'} "
                f"{tcfg.min_deflated_sharpe} over {c.n_trials} trial(s): Sharpe {c.sharpe:.4f}/bar "
                f"vs {c.expected_max:.4f}/bar expected from the best of {c.n_trials} noise trials",
            )
        )
    if incumbent is None or not math.isfinite(incumbent):
        checks.append((True, "no champion yet"))
    else:
        wins = math.isfinite(value) and value > incumbent
        checks.append(
            (wins, f"{name} {value:.4f} {'>' if wins else '<='} champion's {incumbent:.4f}")
        )
    reasons = [f"{'PASS' if ok else 'FAIL'} {text}" for ok, text in checks]
    return GateDecision(all(ok for ok, _ in checks), reasons)


__all__ = [
    "GateDecision",
    "TrialCorrection",
    "bar_returns",
    "decide",
    "deflated_sharpe",
    "expected_max_sharpe",
    "probabilistic_sharpe",
]

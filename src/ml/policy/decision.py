"""The decision policy: the model's output -> a target weight, one bar at a time.

One object decides in the backtest of the training run (``positions`` over a pair's rows) and
in the live strategy (``decide`` per closed candle); ``positions`` is nothing but ``decide`` in
a loop, so the two cannot disagree on the same inputs.

``threshold`` is the original layer: long above ``long_threshold``, flat (or short) below
``short_threshold``, unchanged in between. ``cost_aware`` trades the expected return over the
label horizon (the calibrated edge, :mod:`src.ml.policy.calibration`): it enters only when that
exceeds ``entry_cost_multiple`` x the round-trip cost, holds at least ``min_hold`` bars, leaves
when the edge drops below ``exit_edge``, and sizes the position once, at entry, from the edge and
the trailing volatility (capped), so a held position does not pay fees for rebalancing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from src.ml.config import ExperimentConfig, PolicyConfig
from src.ml.policy.calibration import EdgeCalibrator
from src.ml.policy.costs import round_trip_cost


@dataclass
class PolicyState:
    """What the policy remembers about one pair: the weight held and for how many bars."""

    weight: float = 0.0
    held: int = 0


@dataclass(frozen=True)
class DecisionPolicy:
    """Target weights from model outputs.

    Attributes:
        config: The policy's parameters.
        long_threshold / short_threshold / allow_short: The ``threshold`` kind's levels; shorts
            for both kinds.
        round_trip: Round-trip cost as a fraction (both sides' fee, half spread, slippage).
        horizon: Label horizon in bars (the edge's horizon; ``min_hold`` by default).
        calibrator: Score -> edge for live use (the backtest reads the edges the walk-forward
            computed per fold); None for the ``threshold`` kind.
        meta: The model is meta-labeled: it scores whether to take the primary rule's side,
            and the edge is the expected return of taking that side.
        primary_window: The primary rule's momentum window (``label.primary_window``).
    """

    config: PolicyConfig = field(default_factory=PolicyConfig)
    long_threshold: float = 0.55
    short_threshold: float = 0.45
    allow_short: bool = False
    round_trip: float = 0.0084
    horizon: int = 24
    calibrator: EdgeCalibrator | None = None
    meta: bool = False
    primary_window: int = 24

    def __post_init__(self) -> None:
        if self.short_threshold > self.long_threshold:
            raise ValueError(
                f"short_threshold {self.short_threshold} must be <= "
                f"long_threshold {self.long_threshold}"
            )

    @classmethod
    def from_config(
        cls, config: ExperimentConfig, calibrator: EdgeCalibrator | None = None
    ) -> DecisionPolicy:
        """The policy a training run evaluates (costs from ``[costs]``)."""
        s = config.strategy
        return cls(
            config.policy,
            s.long_threshold,
            s.short_threshold,
            s.allow_short,
            round_trip_cost(config.costs),
            config.label.horizon,
            calibrator,
            config.label.kind == "meta",
            config.label.primary_window,
        )

    @property
    def cost_aware(self) -> bool:
        """Whether the policy trades the calibrated edge (else the raw score)."""
        return self.config.kind == "cost_aware"

    @property
    def min_hold(self) -> int:
        """Bars a cost-aware position is held at least."""
        hold = self.config.min_hold
        return self.horizon if hold is None else hold

    def signal(self, score: np.ndarray) -> np.ndarray:
        """What :meth:`decide` reads: the score itself, or its calibrated edge.

        Raises:
            ValueError: A cost-aware policy without a calibrator.
        """
        if not self.cost_aware:
            return np.asarray(score, dtype=float)
        if self.calibrator is None:
            raise ValueError("a cost_aware policy needs a calibrator to turn scores into edges")
        return self.calibrator.edge(score)

    def decide(
        self, state: PolicyState, signal: float, vol: float = math.nan, side: float = 1.0
    ) -> float:
        """Update ``state`` with one bar's signal and return the new target weight.

        Args:
            state: The pair's state (changed in place).
            signal: From :meth:`signal`; NaN means flat.
            vol: Trailing per-bar volatility (``volatility``/``kelly`` sizing only).
            side: The primary rule's side for meta-labeled models (+1 long, -1 short, 0 no
                trade); the edge is then the expected return of taking that side.
        """
        if not math.isfinite(side):
            side = 0.0  # the primary rule has no side yet
        if math.isnan(signal):
            weight = 0.0
        elif self.cost_aware:
            weight = self._cost_aware(state, signal, vol, side)
        elif signal > self.long_threshold:
            weight = 1.0
        elif signal < self.short_threshold:
            weight = -1.0 if self.allow_short else 0.0
        else:
            weight = state.weight
        state.held = state.held + 1 if weight != 0.0 and weight == state.weight else 0
        state.weight = weight
        return weight

    def _held_edge(self, direction: float, edge: float, side: float) -> float:
        if self.meta:  # the edge is that of the primary rule's current side
            return edge if side == direction else -math.inf
        return edge * direction  # a short earns the negative of the expected return

    def _cost_aware(self, state: PolicyState, edge: float, vol: float, side: float) -> float:
        cfg = self.config
        if state.weight != 0.0:
            direction = math.copysign(1.0, state.weight)
            young = state.held + 1 < self.min_hold
            if young or self._held_edge(direction, edge, side) >= cfg.exit_edge:
                return state.weight
        cost = cfg.entry_cost_multiple * self.round_trip
        if self.meta:
            if side == 0.0 or (side < 0.0 and not self.allow_short):
                return 0.0
            return side * self._size(edge, vol) if edge > cost else 0.0
        if edge > cost:
            return self._size(edge, vol)
        if self.allow_short and -edge > cost:
            return -self._size(-edge, vol)
        return 0.0

    def _size(self, edge: float, vol: float) -> float:
        cfg = self.config
        if cfg.sizing == "fixed":
            return cfg.max_weight
        var = vol * vol * self.horizon
        if not math.isfinite(var) or var <= 0.0:
            return 0.0
        if cfg.sizing == "volatility":
            raw = cfg.target_vol / math.sqrt(var)
        else:
            raw = cfg.kelly_fraction * (edge - self.round_trip) / var
        weight = min(raw, cfg.max_weight)
        return weight if weight >= cfg.min_weight else 0.0

    def positions(
        self,
        signal: np.ndarray,
        vol: np.ndarray | None = None,
        side: np.ndarray | None = None,
    ) -> np.ndarray:
        """Target weights for one pair's time-ordered rows, starting flat."""
        state = PolicyState()
        s = np.asarray(signal, dtype=float)
        v = np.full(len(s), np.nan) if vol is None else np.asarray(vol, dtype=float)
        d = np.ones(len(s)) if side is None else np.asarray(side, dtype=float)
        return np.array([self.decide(state, s[i], v[i], d[i]) for i in range(len(s))], dtype=float)

    def to_dict(self) -> dict[str, Any]:
        """Everything needed to rebuild the policy live (logged next to the model)."""
        return {
            "config": self.config.model_dump(mode="json"),
            "long_threshold": self.long_threshold,
            "short_threshold": self.short_threshold,
            "allow_short": self.allow_short,
            "round_trip": self.round_trip,
            "horizon": self.horizon,
            "calibrator": None if self.calibrator is None else self.calibrator.to_dict(),
            "meta": self.meta,
            "primary_window": self.primary_window,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> DecisionPolicy:
        """Inverse of :meth:`to_dict`."""
        cal = doc.get("calibrator")
        return cls(
            PolicyConfig.model_validate(doc["config"]),
            float(doc["long_threshold"]),
            float(doc["short_threshold"]),
            bool(doc["allow_short"]),
            float(doc["round_trip"]),
            int(doc["horizon"]),
            None if cal is None else EdgeCalibrator.from_dict(cal),
            bool(doc.get("meta", False)),
            int(doc.get("primary_window", 24)),
        )


__all__ = ["DecisionPolicy", "PolicyState"]

"""Decisions that account for costs: model output -> calibrated edge -> target weight."""

from src.ml.policy.calibration import EdgeCalibrator
from src.ml.policy.costs import round_trip_cost, side_cost
from src.ml.policy.decision import DecisionPolicy, PolicyState
from src.ml.policy.inputs import primary_side, rolling_side, rolling_vol, trailing_vol
from src.ml.policy.table import SIDE, VOL, edge_column, target_weights

__all__ = [
    "SIDE",
    "VOL",
    "DecisionPolicy",
    "EdgeCalibrator",
    "PolicyState",
    "edge_column",
    "primary_side",
    "rolling_side",
    "rolling_vol",
    "round_trip_cost",
    "side_cost",
    "target_weights",
    "trailing_vol",
]

"""Trading costs as the decision policy and the labels see them: the backtest's own model."""

from __future__ import annotations

from src.ml.backtest.costs import CostModel
from src.ml.config import CostConfig


def side_cost(cfg: CostConfig) -> float:
    """Cost of one trade as a fraction of its notional: fee + half spread + slippage.

    Uses :class:`src.ml.backtest.costs.CostModel`, so the policy's threshold and the labels'
    netting charge what the backtest charges (a maker fill pays no spread or slippage).
    """
    model = CostModel.from_config(cfg)
    return model.fee_rate + model.impact(model.spread_bps / 20_000.0)


def round_trip_cost(cfg: CostConfig) -> float:
    """Entering and leaving a position: twice :func:`side_cost`."""
    return 2.0 * side_cost(cfg)


__all__ = ["round_trip_cost", "side_cost"]

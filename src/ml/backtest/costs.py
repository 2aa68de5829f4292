"""Kraken spot trading costs for the backtest: maker/taker fee plus spread and slippage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from src.ml.config import CostConfig


@dataclass(frozen=True)
class CostModel:
    """Fees and price impact per trade.

    Attributes:
        taker_fee: Taker fee fraction (Kraken 2025 starter tier: 0.40 %).
        maker_fee: Maker fee fraction (Kraken 2025 starter tier: 0.25 %).
        liquidity: ``taker`` crosses the spread and pays half of it plus slippage; ``maker``
            assumes a resting order filled at the reference price (optimistic: no queue risk).
        spread_bps: Full bid/ask spread in bps used when the candles carry no ``spread`` column.
        slippage_bps: Extra adverse move per taker trade, in bps.
    """

    taker_fee: float = 0.004
    maker_fee: float = 0.0025
    liquidity: Literal["taker", "maker"] = "taker"
    spread_bps: float = 2.0
    slippage_bps: float = 1.0

    def __post_init__(self) -> None:
        for name in ("taker_fee", "maker_fee", "spread_bps", "slippage_bps"):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")

    @property
    def fee_rate(self) -> float:
        """Fee fraction charged on each trade's notional."""
        return self.taker_fee if self.liquidity == "taker" else self.maker_fee

    def impact(self, half_spread: float) -> float:
        """Adverse price move fraction for one trade given the half-spread fraction."""
        if self.liquidity == "maker":
            return 0.0
        return half_spread + self.slippage_bps / 10_000.0

    @classmethod
    def from_config(cls, cfg: CostConfig) -> CostModel:
        """Build from the experiment's :class:`CostConfig`."""
        return cls(cfg.taker_fee, cfg.maker_fee, cfg.liquidity, cfg.spread_bps, cfg.slippage_bps)

    @classmethod
    def zero(cls) -> CostModel:
        """No fees, spread or slippage (for tests and comparisons)."""
        return cls(0.0, 0.0, "taker", 0.0, 0.0)

"""Vectorized backtest of target positions with Kraken fees, spread, slippage and precision."""

from src.ml.backtest.costs import CostModel
from src.ml.backtest.engine import TRADE_SCHEMA, BacktestResult, run_backtest
from src.ml.backtest.positions import signals_to_positions

__all__ = ["TRADE_SCHEMA", "BacktestResult", "CostModel", "run_backtest", "signals_to_positions"]

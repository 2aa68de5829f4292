"""Backtest a strategy over history through the same strategy, risk and order code as live.

The bars replay through the trading runtime on the in-memory SimEngine: a decision at a bar's
close fills at the next bar's open with the taker fee and half the spread, every order passes
the risk limits of your config (a tripped kill switch stops trading as it would live), and
the runtime keeps its books in SQLite. Candles come from the candle store (`ktrade
download`), else from the experiment's CSV files. Prints return, CAGR, Sharpe, Sortino, max
drawdown and its duration, win rate, profit factor, exposure, trades, fees and a per-pair
table, and writes an HTML report with the equity, drawdown and per-trade plots.

  ktrade backtest --pairs BTC/USD --start 2023-01-01 --compare
  ktrade backtest --strategy model --model kraken-signal@champion
  ktrade backtest --strategy model --model 3f2c...   # one training run's model
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from src.cli.context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The strategy's options, the date range, costs, the comparison and the outputs."""
    from src.cli.options import add_strategy_arguments

    add_strategy_arguments(parser)
    parser.add_argument("--start", metavar="DATE", help="first bar traded (default: after warm-up)")
    parser.add_argument("--end", metavar="DATE", help="stop before this bar (default: the last)")
    parser.add_argument("--capital-per-pair", type=Decimal, metavar="AMOUNT")
    parser.add_argument("--fee", type=Decimal, metavar="RATE", help="taker fee (0.004 = 0.4 %%)")
    parser.add_argument("--spread-bps", type=Decimal, metavar="BPS", help="quoted spread")
    parser.add_argument("--compare", action="store_true", help="also run buy-and-hold")
    parser.add_argument(
        "--data",
        choices=("auto", "store", "files"),
        default="auto",
        help="candle store, experiment CSV files, or store first (default)",
    )
    parser.add_argument("--output", type=Path, metavar="FILE", help="HTML report path")
    parser.add_argument("--no-html", action="store_true", help="no HTML report")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(ctx: Context) -> int:
    """Run the backtest."""
    from src.cli.backtesting import run_backtest

    return run_backtest(ctx)

"""Option groups several subcommands share (argparse only, so ``--help`` stays fast)."""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path


def add_strategy_arguments(parser: argparse.ArgumentParser) -> None:
    """``--pairs``, ``--strategy``, ``--model``, ``--fast``/``--slow``, ``--interval``, retrain."""
    group = parser.add_argument_group("strategy (defaults from the config's [trading] table)")
    group.add_argument("--pairs", nargs="+", metavar="PAIR", help="e.g. BTC/USD ETH/USD")
    group.add_argument("--strategy", choices=("ma", "model"), help="moving-average cross, or model")
    group.add_argument(
        "--model", metavar="NAME@ALIAS|RUN_ID", help="the model (default kraken-signal@champion)"
    )
    group.add_argument("--fast", type=int, help="moving-average cross: fast window (candles)")
    group.add_argument("--slow", type=int, help="moving-average cross: slow window (candles)")
    group.add_argument("--interval", type=int, metavar="MINUTES", help="candle minutes")
    group.add_argument(
        "--retrain-every",
        type=float,
        metavar="HOURS",
        help="--strategy model: retrain on a sliding window this often; a retrain replaces "
        "the model only if the promotion gate passes it (each is an MLflow run)",
    )
    group.add_argument(
        "--retrain-window",
        type=float,
        metavar="HOURS",
        help="hours of candles each retrain learns from (default: the experiment's max_rows)",
    )


def add_session_arguments(parser: argparse.ArgumentParser) -> None:
    """Options ``paper`` and ``live`` share (the strategy's are added separately)."""
    parser.add_argument(
        "--duration", type=float, metavar="SECONDS", help="stop after (default: Ctrl-C)"
    )
    parser.add_argument("--capital-per-pair", type=Decimal, metavar="AMOUNT", help="quote currency")
    parser.add_argument(
        "--db", type=Path, help="runtime database (default: <data dir>/runtime/<mode>.sqlite)"
    )

"""Trade on the local paper exchange: no account, no keys, no real money.

Starts the Kraken-compatible paper exchange in-process (replaying recorded Kraken candles at
one candle of the strategy's interval per second, or on Kraken's live public prices with
--mirror) and runs the strategy
through the same runtime, risk limits and order store as live trading. Ctrl-C stops it:
open orders are cancelled and the runtime's books are compared with the exchange's. A clean
session is recorded, and is what `ktrade live` asks for first.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from src.cli.context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The strategy's options, the session's, and ``--mirror``."""
    from src.app.ops_options import add_ops_arguments
    from src.cli.options import add_session_arguments, add_strategy_arguments

    add_strategy_arguments(parser)
    add_session_arguments(parser)
    add_ops_arguments(parser)
    parser.add_argument(
        "--mirror", action="store_true", help="follow Kraken's live public prices (needs internet)"
    )
    parser.add_argument(
        "--exchange-url",
        metavar="URL",
        help="trade on a paper exchange started on its own (`python -m src.brokers.paper`; "
        "its key in KTRADE_PAPER_API_KEY/_SECRET) instead of one inside this process",
    )


def run(ctx: Context) -> int:
    """Run one paper session."""
    from src.cli.trading import run_session

    return run_session(ctx, "mirror" if ctx.args.mirror else "paper")

"""Trade on Kraken with real money.

Needs your Kraken key (`ktrade setup`, or KRAKEN_API_KEY/KRAKEN_API_SECRET), a recent clean
paper session of the same strategy (`ktrade paper`; --skip-paper-gate overrides, and is
logged), and a typed confirmation after the risk limits are shown (--yes skips the question).
The key is checked first (a missing permission stops it; a withdraw permission is warned
about); Kraken's dead man's switch is armed for the session. Ctrl-C cancels the bot's open
orders, reconciles and prints the summary; `touch KILL` stops trading at once.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from src.cli.context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The strategy's options, the session's, ``--yes`` and ``--skip-paper-gate``."""
    from src.app.ops_options import add_ops_arguments
    from src.cli.options import add_session_arguments, add_strategy_arguments

    add_strategy_arguments(parser)
    add_session_arguments(parser)
    add_ops_arguments(parser)
    parser.add_argument("--yes", action="store_true", help="do not ask for the typed confirmation")
    parser.add_argument(
        "--skip-paper-gate",
        action="store_true",
        help="go live without a recent paper session of this strategy (logged)",
    )


def run(ctx: Context) -> int:
    """Run one live session."""
    from src.cli.trading import run_session

    return run_session(ctx, "live")

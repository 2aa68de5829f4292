"""Close a running bot's positions at market: one symbol with --symbol, else all of them.

The bot's open orders (in that symbol, or all of them) are cancelled first. The strategy may
buy again on its next signal: pause it first (`ktrade pause`) to stay flat.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from src.cli.context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The bot to reach, ``--yes`` and ``--symbol``."""
    from src.cli.remote_control import add_target_arguments

    add_target_arguments(parser)
    parser.add_argument("--symbol", help="close only this pair's position (e.g. BTC/USD)")


def run(ctx: Context) -> int:
    """Close one position or all."""
    from src.cli.remote_control import run_control

    symbol = ctx.args.symbol
    if symbol:
        return run_control(ctx, "close_position", f"Close the {symbol} position at market",
                           symbol=symbol)  # fmt: skip
    return run_control(ctx, "close_all", "Close every position at market")

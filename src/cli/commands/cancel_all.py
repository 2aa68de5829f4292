"""Cancel every open order on the account of a running bot (the venue's cancel-all).

This includes orders placed by hand on the same account. The bot keeps running; pause it
first (`ktrade pause`) if it should not place new ones.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from src.cli.context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The bot to reach and ``--yes``."""
    from src.cli.remote_control import add_target_arguments

    add_target_arguments(parser)


def run(ctx: Context) -> int:
    """Cancel all open orders."""
    from src.cli.remote_control import run_control

    return run_control(ctx, "cancel_all", "Cancel every open order on the account")

"""Pause new entries of a running bot: orders that add exposure are refused; exits still go out.

Talks to the bot's dashboard (found next to its runtime database, or --url); the pause is
recorded in the bot's audit log with your user name, and lasts until `ktrade resume`, across
restarts of the bot.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from src.cli.context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The bot to reach, ``--yes``, and ``--note`` (why, for the audit log)."""
    from src.cli.remote_control import add_target_arguments

    add_target_arguments(parser)
    parser.add_argument("--note", help="why you pause (kept in the audit log)")


def run(ctx: Context) -> int:
    """Pause the bot's new entries."""
    from src.cli.remote_control import run_control

    note = ctx.args.note
    return run_control(ctx, "pause", "Pause new entries", **({"note": note} if note else {}))

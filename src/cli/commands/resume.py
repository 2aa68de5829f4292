"""Resume new entries of a bot paused with `ktrade pause` (or from its dashboard)."""

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
    """Accept new entries again."""
    from src.cli.remote_control import run_control

    return run_control(ctx, "resume", "Resume new entries")

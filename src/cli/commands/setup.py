"""Placeholder: `ktrade setup` is being built (see docs/cli.md)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from src.cli.context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options yet."""


def run(ctx: Context) -> int:
    """Say that the subcommand does not exist yet."""
    from src.cli.errors import CliError

    raise CliError("`ktrade setup` is not available yet", "see docs/cli.md")

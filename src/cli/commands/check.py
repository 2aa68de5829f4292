"""Test the connection end to end: public endpoints, then the key (balances, open orders).

With Kraken keys configured (``ktrade setup``, ``.env`` or the environment) it checks Kraken,
or ``KRAKEN_API_URL``, and the key's permissions (warning if it may withdraw). Without keys,
or with ``--paper``, it starts the local paper exchange and checks that, labelled PAPER.
Exit status 0 when every check passes, 1 when one fails.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from src.cli.context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--paper``."""
    parser.add_argument(
        "--paper", action="store_true", help="check the local paper exchange even with keys"
    )


def run(ctx: Context) -> int:
    """Run the checks (the connection example's), then the key's permissions on Kraken."""
    import asyncio

    from src.cli.checks import run_checks

    return asyncio.run(run_checks(ctx, force_paper=bool(ctx.args.paper)))

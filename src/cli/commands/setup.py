"""Create your config and store your Kraken keys, by answering a few questions.

Writes the config to your user config directory (or --config / KTRADE_CONFIG), asks which
pairs, how much capital and which loss limits, and whether to connect a Kraken account.
Keys are checked against the exchange (warning if the key may withdraw funds) and kept in
the OS keyring where one is usable, else in a credentials file encrypted with a passphrase
(Scrypt + Fernet). Nothing needs keys for paper trading: answer no and trade on paper.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from src.cli.context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--storage``, ``--no-check``, ``--force``."""
    parser.add_argument(
        "--storage",
        choices=("auto", "keyring", "file"),
        default="auto",
        help="where the keys go (default: the keyring if usable, else an encrypted file)",
    )
    parser.add_argument("--no-check", action="store_true", help="do not check the key on Kraken")
    parser.add_argument("--force", action="store_true", help="replace an existing config unasked")


def run(ctx: Context) -> int:
    """Ask, check, store, write; print what to do next."""
    from src.cli.setup_run import run_setup

    return run_setup(ctx)

"""Choose the tradable universe from Kraken's AssetPairs and Ticker; print it; write it.

Filters (the config's [universe] table; options override): quote currency, status online,
24 h volume in the quote currency, spread, and the bases or pairs your region rules out
(`exclude_bases`, `exclude_pairs`: Kraken's API does not say what a region may trade).
`--write` puts the pairs in the config's [trading] pairs (and [risk] allowed_pairs if set).

  ktrade universe --quote USD EUR --min-volume 5000000 --max-spread-bps 10
  ktrade universe --exclude-base USDT --write
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from src.cli.context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The filters, ``--all`` and ``--write``."""
    parser.add_argument("--quote", nargs="+", metavar="ASSET", help="quote currencies (USD ...)")
    parser.add_argument("--min-volume", type=Decimal, metavar="AMOUNT", help="24 h, quote currency")
    parser.add_argument("--max-spread-bps", type=Decimal, metavar="BPS")
    parser.add_argument("--exclude-base", nargs="+", metavar="ASSET", help="bases to leave out")
    parser.add_argument("--max-pairs", type=int, metavar="N")
    parser.add_argument("--write", action="store_true", help="write the pairs into the config")


def run(ctx: Context) -> int:
    """Fetch, filter, print; write with ``--write``."""
    from src.cli.universe_run import run_universe

    return run_universe(ctx)

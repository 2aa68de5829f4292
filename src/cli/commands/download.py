"""Download candles into the candle store (what `train` and `backtest` read).

From Kraken's REST OHLC (public: no key needed; KRAKEN_API_URL points it elsewhere), paged
and rate-limited, with a progress bar; a second run resumes after the newest stored bar.
The OHLC API serves only the latest 720 bars per interval: for older history page every
trade since a date with --trades (kept in the store, resumed, made into bars; slow: a busy
pair's year is millions of trades), or download Kraken's OHLCVT or Time & Sales archive
(support.kraken.com) and import it:

  ktrade download --pairs BTC/USD ETH/USD --interval 60
  ktrade download --pairs BTC/USD --interval 60 --trades --since 2025-06-01
  ktrade download --pairs BTC/USD --interval 60 --import ~/Downloads/Kraken_OHLCVT.zip
  ktrade download --pairs BTC/USD --interval 15 --import ~/Downloads/XBTUSD.csv   # trades
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from src.cli.context import Context


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--pairs``, ``--interval``, ``--since``, ``--until``, ``--import``, ``--trades``..."""
    parser.add_argument("--pairs", nargs="+", metavar="PAIR", help="default: the config's pairs")
    parser.add_argument("--interval", type=int, metavar="MINUTES", help="default: the config's")
    parser.add_argument("--since", metavar="DATE", help="first bar wanted when nothing is stored")
    parser.add_argument("--until", metavar="DATE", help="stop before this bar")
    parser.add_argument(
        "--import",
        dest="archives",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="Kraken OHLCVT or Time & Sales CSV files, folders or .zip archives",
    )
    parser.add_argument(
        "--trades",
        action="store_true",
        help="page every public trade since --since (Kraken's Trades; history older than "
        "the OHLC's 720 bars, slow) into the store, and make --interval bars of them",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(ctx: Context) -> int:
    """Download or import, then print what the store holds per pair."""
    from src.cli.download_run import run_download

    return run_download(ctx)

"""``python -m src.brokers.paper``: the guide's command, run by :mod:`src.venues.kraken_paper`."""

from __future__ import annotations

import sys

from src.venues.kraken_paper.__main__ import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m src.brokers.paper"))

"""Check a Kraken connection end to end and print a report; exits non-zero on any failure.

With KRAKEN_API_KEY/KRAKEN_API_SECRET set it checks Kraken (or KRAKEN_API_URL): public
endpoints, then authentication, balances and open orders. With no credentials it starts the
local paper exchange in-process and runs every check against it, labelled PAPER.

    python examples/test_kraken_connection.py [--paper]

The checks live in the package (``src/app/connection_check.py``, which ``ktrade check`` runs
too); this file is the command line around them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from src.app.connection_check import (
    Report,
    paper_exchange,
    print_summary,
    private_checks,
    public_checks,
    run,
)
from src.utils.logging import configure_logging_from_env

__all__ = [
    "Report",
    "main",
    "paper_exchange",
    "print_summary",
    "private_checks",
    "public_checks",
    "run",
]


def main(argv: list[str] | None = None) -> int:
    """Run the checks; 0 when all pass, 1 when any fails, 2 when set-up is impossible."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--paper", action="store_true", help="use the paper exchange anyway")
    args = parser.parse_args(argv)
    configure_logging_from_env()
    try:
        report = asyncio.run(run(args.paper))
    except Exception as error:  # configuration or start-up problem: say what and stop
        print(f"❌ Could not run the checks: {type(error).__name__}: {error}")
        return 2
    print_summary(report)
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())

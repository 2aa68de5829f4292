"""The start-of-session key check: credentials accepted and the permissions trading needs."""

from __future__ import annotations

import sys

from src.app.session import Venue
from src.app.venue import check_key
from src.core.errors import AuthenticationError


async def preflight(venue: Venue) -> bool:
    """Check credentials and key permissions, printing the report; False means do not trade."""
    try:
        report = await check_key(venue.adapter)
    except AuthenticationError as exc:
        print(f"Credentials rejected by Kraken: {exc}", file=sys.stderr)
        return False
    print("API key check:")
    print("\n".join(report.lines()))
    return not report.missing

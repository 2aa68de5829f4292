"""Kraken Futures time formats: ISO-8601 UTC strings on REST, epoch milliseconds elsewhere.

REST writes ``yyyy-mm-ddTHH:MM:SS.sssZ`` (observed also with microseconds or no fraction);
WebSocket, charts and history use epoch-ms integers. Kraken's intro guide, "Conventions".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["format_time", "from_ms", "parse_time", "to_ms"]


def parse_time(value: str) -> datetime:
    """Parse Kraken's ISO time into an aware UTC datetime.

    Raises:
        ValueError: not an ISO-8601 time.
    """
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:  # Kraken means UTC even when the Z is missing
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """Write ``value`` as Kraken does: ``2016-02-25T09:45:53.818Z``."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def from_ms(value: int | float) -> datetime:
    """Epoch milliseconds to an aware UTC datetime."""
    whole = int(value)
    # Integer arithmetic: a float division would blur the millisecond.
    return datetime.fromtimestamp(whole // 1000, UTC) + timedelta(milliseconds=whole % 1000)


def to_ms(value: datetime) -> int:
    """An aware datetime to epoch milliseconds."""
    return int(value.timestamp() * 1000)

"""How the simulator writes timestamps: RFC 3339 with nine fractional digits, as Alpaca does.

Alpaca writes order and activity times in UTC with a ``Z`` and nanoseconds
(``2022-10-14T15:28:33.474853941Z``) and ``/v2/clock`` in New York time with its offset
(``2024-01-10T10:13:50.543397425-05:00``). A simulator started with ``time_zone=
"America/New_York"`` writes every timestamp the second way, so a client is tested against both.

The simulator's clock has microsecond resolution; the three digits after the microseconds are
filler derived from them (Alpaca's nanoseconds are rarely zero), so the instant written is the
simulator's microsecond plus under one microsecond.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")


class TimeStyle:
    """Writes datetimes in one zone: ``Z`` for UTC, ``+HH:MM`` for any other.

    Args:
        zone: the zone to write in (an IANA name or a ``tzinfo``).
    """

    def __init__(self, zone: str | tzinfo = UTC) -> None:
        if isinstance(zone, str):
            self.zone: tzinfo = UTC if zone == "UTC" else ZoneInfo(zone)
        else:
            self.zone = zone

    def __repr__(self) -> str:
        return f"TimeStyle({self.zone})"

    def iso(self, ts: datetime | None) -> str | None:
        """``ts`` as Alpaca writes it, or None."""
        if ts is None:
            return None
        local = ts.astimezone(self.zone)
        nanos = f"{local.microsecond:06d}{(local.microsecond * 7 + 3) % 1000:03d}"
        offset = local.strftime("%z")  # "+0000", "-0500"
        zone = "Z" if self.zone is UTC else f"{offset[:3]}:{offset[3:]}"
        return f"{local.strftime('%Y-%m-%dT%H:%M:%S')}.{nanos}{zone}"


UTC_STYLE = TimeStyle()
CLOCK_STYLE = TimeStyle(NEW_YORK)

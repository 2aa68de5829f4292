"""Clocks: one protocol so that backtest, paper and live run the same code path."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Time source; ``monotonic`` for intervals, ``now`` for wall-clock UTC."""

    def monotonic(self) -> float:
        """Return seconds on a clock that never goes backwards (its origin is arbitrary)."""
        ...

    def now(self) -> datetime:
        """Return the current wall-clock time, timezone-aware in UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time; zero or negative returns at once."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        """Return ``time.monotonic()``."""
        return time.monotonic()

    def now(self) -> datetime:
        """Return the system's current time in UTC."""
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        """Sleep on the event loop; negative durations are treated as zero."""
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock that moves only when told to; ``sleep`` advances it instantly.

    Used by unit tests and by simulated runs: nothing ever really waits.
    """

    def __init__(self, start: float = 0.0, wall_start: datetime | None = None) -> None:
        self._t = start
        self._wall0 = wall_start or datetime(2024, 1, 1, tzinfo=UTC)
        self._t0 = start

    def monotonic(self) -> float:
        """Return the clock's current reading (the start value plus every advance)."""
        return self._t

    def now(self) -> datetime:
        """Return the wall start plus the time advanced since the clock was made."""
        return self._wall0 + timedelta(seconds=self._t - self._t0)

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``.

        Raises:
            ValueError: if ``seconds`` is negative.
        """
        if seconds < 0:
            raise ValueError("seconds: a clock cannot go backwards")
        self._t += seconds

    async def sleep(self, seconds: float) -> None:
        """Advance the clock by ``seconds`` at once, then yield to the event loop one turn."""
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


class ScaledClock:
    """``factor`` seconds of clock time per real second (implements ``Clock``).

    Given to the paper exchange (and the rate-limit gate that models it) to replay history
    quickly: at ``factor=3600`` an hourly candle closes every real second. ``sleep`` sleeps the
    real time that corresponds. ``start`` lets a restarted simulation resume its calendar
    where it stopped instead of jumping back to today.

    Args:
        factor: clock seconds per real second (> 0).
        start: wall time at creation, timezone-aware (default: now).

    Raises:
        ValueError: ``factor`` is not positive, or ``start`` is naive.
    """

    def __init__(self, factor: float, start: datetime | None = None) -> None:
        if factor <= 0:
            raise ValueError(f"factor: must be positive, got {factor}")
        if start is not None and start.tzinfo is None:
            raise ValueError("start: must be timezone-aware")
        self.factor = factor
        self._real0 = time.monotonic()
        self._wall0 = start or datetime.now(UTC)

    def _elapsed(self) -> float:
        return (time.monotonic() - self._real0) * self.factor

    def monotonic(self) -> float:
        """Scaled seconds since an arbitrary origin, for measuring intervals."""
        return self._real0 + self._elapsed()

    def now(self) -> datetime:
        """Scaled wall time: the start time plus the scaled time elapsed since."""
        return self._wall0 + timedelta(seconds=self._elapsed())

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of clock time (``seconds / factor`` real seconds; negative = 0)."""
        await asyncio.sleep(max(0.0, seconds) / self.factor)

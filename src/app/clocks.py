"""A clock that runs faster than real time, so a replayed market closes a candle every second."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta


class ScaledClock:
    """``factor`` seconds of clock time per real second (implements ``src.core.clock.Clock``).

    Given to the paper exchange (and the rate-limit gate that models it) to replay history
    quickly: at ``factor=3600`` an hourly candle closes every real second. ``sleep`` sleeps the
    real time that corresponds.

    Args:
        factor: clock seconds per real second (> 0).
        start: wall time at creation (default: now).
    """

    def __init__(self, factor: float, start: datetime | None = None) -> None:
        if factor <= 0:
            raise ValueError(f"factor: must be positive, got {factor}")
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

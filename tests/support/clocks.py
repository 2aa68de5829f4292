"""Clocks for tests that need real sockets but less real time."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime


class ScaledClock:
    """A real clock whose ``monotonic()`` runs ``scale`` times faster; wall time stays real.

    Give one to the paper exchange, the adapter and its rate-limit gate: both sides then apply
    Kraken's unchanged limits in the same scaled seconds, and an hour of counter decay passes
    in ``3600 / scale`` real seconds. ``sleep(s)`` really sleeps ``s / scale``. (Unlike
    ``src.app.clocks.ScaledClock``, ``now()`` is not scaled: the exchange's timestamps, token
    lifetimes and order ages stay on the real calendar.)
    """

    def __init__(self, scale: float) -> None:
        if scale <= 0:
            raise ValueError(f"scale: must be positive, got {scale}")
        self.scale = scale
        self._origin = time.monotonic()

    def monotonic(self) -> float:
        return (time.monotonic() - self._origin) * self.scale

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)


__all__ = ["ScaledClock"]

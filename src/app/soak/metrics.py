"""Resident memory per simulated day, and how long each restart took to trade again."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

MIB = 1024 * 1024
#: Samples this early in a process's life are start-up, not growth.
WARMUP_DAYS = 0.15


@dataclass(frozen=True)
class RssSample:
    """One reading: simulated day, which instance of the process, resident bytes."""

    day: float
    instance: int
    rss: int


@dataclass
class MemoryTrack:
    """RSS samples of one process kind across its restarts."""

    samples: list[RssSample] = field(default_factory=list)

    def add(self, day: float, instance: int, rss: int | None) -> None:
        """Record a reading (None: the process was not running)."""
        if rss is not None:
            self.samples.append(RssSample(day, instance, rss))

    @property
    def peak_mib(self) -> float:
        """Highest reading."""
        return max((s.rss for s in self.samples), default=0) / MIB

    def growth_mib_per_day(self) -> float | None:
        """Least-squares slope of RSS over simulated days, per instance, weighted by span.

        Each instance's start-up (its first ``WARMUP_DAYS``) is left out; None when no
        instance lived long enough to say.
        """
        slopes: list[tuple[float, float]] = []
        for instance in sorted({s.instance for s in self.samples}):
            mine = [s for s in self.samples if s.instance == instance]
            start = mine[0].day
            mine = [s for s in mine if s.day - start >= WARMUP_DAYS]
            if len(mine) < 3 or mine[-1].day - mine[0].day < 0.3:
                continue
            days = [s.day for s in mine]
            slope = statistics.linear_regression(days, [s.rss / MIB for s in mine]).slope
            slopes.append((slope, days[-1] - days[0]))
        if not slopes:
            return None
        span = sum(w for _, w in slopes)
        return sum(s * w for s, w in slopes) / span


@dataclass
class RestartLatency:
    """Real seconds from each runtime (re)start to its first new order."""

    seconds: list[float] = field(default_factory=list)
    timeouts: int = 0

    def median(self) -> float | None:
        """Median over the restarts that traded again."""
        return statistics.median(self.seconds) if self.seconds else None

    def worst(self) -> float | None:
        """Slowest restart that traded again."""
        return max(self.seconds) if self.seconds else None

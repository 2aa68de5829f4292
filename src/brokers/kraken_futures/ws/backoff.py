"""Reconnect delays: capped exponential backoff with equal jitter (seeded in tests)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["Backoff"]


@dataclass
class Backoff:
    """Delay before reconnect attempt ``n``: half of ``min(cap, initial * 2**n)`` plus jitter.

    Never gives up; ``reset`` once a connection proved healthy.
    """

    initial: float = 0.25
    cap: float = 10.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        """The next delay, in seconds."""
        step = min(self.cap, self.initial * 2.0 ** min(self.attempt, 32))
        self.attempt += 1
        return step / 2 + self.rng.uniform(0, step / 2)

    def reset(self) -> None:
        """Forget past failures."""
        self.attempt = 0

"""Reconnect delays: capped exponential backoff with jitter (pure, seeded for tests)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["Backoff"]


@dataclass
class Backoff:
    """Delay before reconnect attempt ``n``: half of ``min(cap, initial * factor**n)`` plus jitter.

    "Equal jitter": the delay is never below half the capped exponential step, so a storm of
    clients spreads out without any of them hammering the venue (Kraken's edge bans an IP after
    about 150 connection attempts in 10 minutes). The policy never gives up: attempts beyond the
    cap keep returning capped delays.

    Args:
        initial: first step in seconds.
        cap: largest step in seconds.
        factor: growth per failed attempt.
        rng: random source (seed it in tests).
    """

    initial: float = 0.5
    cap: float = 30.0
    factor: float = 2.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.cap < self.initial or self.factor < 1:
            raise ValueError("backoff: need 0 < initial <= cap and factor >= 1")

    def step(self, attempt: int) -> float:
        """The un-jittered step for ``attempt`` (0-based), capped."""
        # the exponent is bounded so huge attempt counts cannot overflow a float
        return min(self.cap, self.initial * self.factor ** min(attempt, 64))

    def next_delay(self) -> float:
        """The delay for the next attempt; advances the attempt counter."""
        step = self.step(self.attempt)
        self.attempt += 1
        return step / 2 + self.rng.uniform(0, step / 2)

    def reset(self) -> None:
        """Forget past failures (called once a connection proved healthy)."""
        self.attempt = 0

"""Capped exponential backoff with jitter that retries only errors marked ``retryable``.

Never wrap a non-idempotent call (placing, amending or cancelling an order) in this: an order
whose outcome is unknown is resolved by asking the venue, not by sending it again.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from src.core.clock import Clock, SystemClock

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait between attempts.

    Attributes:
        max_attempts: total tries including the first (1 disables retries).
        base_delay: wait before the second attempt, seconds; doubles each time.
        max_delay: cap on any single wait, seconds.
        jitter: fraction of the wait randomized (0.5 = wait in [0.5d, d]).
    """

    max_attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0
    jitter: float = 0.5
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, attempt: int, error: BaseException | None = None) -> float:
        """Wait before retry number ``attempt`` (1-based), honouring an error's ``retry_after``."""
        raw = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        wait = raw * (1 - self.jitter * self.rng.random())
        hinted: object = getattr(error, "retry_after", None)
        if isinstance(hinted, int | float) and hinted > wait:
            wait = min(float(hinted), self.max_delay)
        return wait

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        """True when ``error`` says it is retryable and attempts remain."""
        return attempt < self.max_attempts and bool(getattr(error, "retryable", False))


NO_RETRY = RetryPolicy(max_attempts=1)


async def retry_async(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    clock: Clock | None = None,
    retry_if: Callable[[BaseException], bool] | None = None,
    on_retry: Callable[[BaseException, int, float], None] | None = None,
) -> T:
    """Await ``call()`` and retry it on retryable errors per ``policy``.

    Args:
        call: a zero-argument coroutine factory; must be safe to repeat.
        policy: attempts and backoff.
        clock: provides ``sleep`` (inject a ManualClock in tests).
        retry_if: extra filter; an error is retried only when this also returns True.
        on_retry: called with (error, attempt, wait) before each wait (logging).
    """
    sleeper = clock or SystemClock()
    attempt = 1
    while True:
        try:
            return await call()
        except Exception as error:
            if not policy.should_retry(error, attempt) or (retry_if and not retry_if(error)):
                raise
            wait = policy.delay(attempt, error)
            if on_retry is not None:
                on_retry(error, attempt, wait)
            await sleeper.sleep(wait)
            attempt += 1

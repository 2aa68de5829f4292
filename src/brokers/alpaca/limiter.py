"""The request limiter for Alpaca's 200 requests/minute/key: the project's AdaptiveRateLimiter."""

from __future__ import annotations

from src.brokers.alpaca.config import REQUESTS_PER_MINUTE
from src.core.clock import Clock
from src.utils.rate_limiter import AdaptiveRateLimiter


def default_limiter(
    max_requests: int = REQUESTS_PER_MINUTE, clock: Clock | None = None
) -> AdaptiveRateLimiter:
    """``AdaptiveRateLimiter(max_requests, time_window=60.0)`` for one Alpaca key.

    The limiter lowers its rate (and pauses for the server's retry window) when the body of
    ``async with limiter:`` raises the project's rate-limit error, which is what a 429 becomes.
    """
    return AdaptiveRateLimiter(max_requests=max_requests, time_window=60.0, clock=clock)

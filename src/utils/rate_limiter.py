"""The guide's rate limiters: an adaptive sliding-window limiter and a per-endpoint set of them."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from types import TracebackType

from src.core.clock import Clock, SystemClock
from src.core.errors import LocalRateLimitError, RateLimitError
from src.utils.decaying_counter import DecayingCounter

__all__ = [
    "DEFAULT_ENDPOINT_LIMIT",
    "AdaptiveRateLimiter",
    "DecayingCounter",
    "MultiEndpointRateLimiter",
]

#: Limit given to every path that ``MultiEndpointRateLimiter`` was not told about:
#: 10 requests per second, a conservative middle between typical public (~1/s) and
#: private (~15/s) REST limits. Pass ``default=`` to change it.
DEFAULT_ENDPOINT_LIMIT: tuple[int, float] = (10, 1.0)

_EPSILON = 1e-9


class AdaptiveRateLimiter:
    """Admit at most ``max_requests`` entries in any ``time_window`` seconds; adapts to rejections.

    Use it as ``async with limiter:`` around each request. Admission uses a sliding window
    (an entry at time ``t`` occupies a slot during ``[t, t + time_window)``). Waiting tasks are
    admitted strictly first come, first served; only the task at the head of the queue sleeps,
    for exactly the time until the next slot frees, so there is no polling.

    Adaptive: :meth:`report_rate_limited` (called automatically when the body of the
    ``async with`` raises :class:`~src.core.errors.RateLimitError`) cuts the allowed number of
    requests per window at once (multiplied by ``decrease_factor``, never below ``min_requests``)
    and blocks new admissions for ``retry_after`` seconds when given. It then recovers
    additively: one more request per window each time ``recovery_successes`` successful calls
    (default: one window's worth at the current rate) have been made and at least one
    ``time_window`` has passed since the last change, up to ``max_requests``.

    Args:
        max_requests: the most requests admitted in any window (and the recovery ceiling).
        time_window: the window length in seconds.
        clock: time source (``ManualClock`` in tests); defaults to the real clock.
        min_requests: the floor the adaptive cut never goes below.
        decrease_factor: factor applied to the current rate on each rejection (0 < f < 1).
        recovery_successes: successes needed per +1 step; ``None`` means the current rate.

    Raises:
        ValueError: a parameter is out of range.
    """

    def __init__(
        self,
        max_requests: int = 15,
        time_window: float = 1.0,
        *,
        clock: Clock | None = None,
        min_requests: int = 1,
        decrease_factor: float = 0.5,
        recovery_successes: int | None = None,
    ) -> None:
        if max_requests < 1:
            raise ValueError(f"max_requests must be at least 1, got {max_requests!r}")
        if time_window <= 0:
            raise ValueError(f"time_window must be positive, got {time_window!r}")
        if not 1 <= min_requests <= max_requests:
            raise ValueError(f"min_requests must be in [1, max_requests], got {min_requests!r}")
        if not 0 < decrease_factor < 1:
            raise ValueError(f"decrease_factor must be in (0, 1), got {decrease_factor!r}")
        if recovery_successes is not None and recovery_successes < 1:
            raise ValueError(f"recovery_successes must be at least 1, got {recovery_successes!r}")
        self.max_requests = max_requests
        self.time_window = float(time_window)
        self.min_requests = min_requests
        self.decrease_factor = decrease_factor
        self.recovery_successes = recovery_successes
        self._clock: Clock = clock or SystemClock()
        self._rate = max_requests
        self._admitted: deque[float] = deque(maxlen=max_requests)
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._blocked_until = float("-inf")
        self._successes = 0
        self._last_change = float("-inf")

    @property
    def current_rate(self) -> int:
        """Requests currently allowed per ``time_window`` (between ``min_requests`` and max)."""
        return self._rate

    @property
    def waiting(self) -> int:
        """How many tasks are queued for admission."""
        return len(self._waiters)

    def wait_time(self) -> float:
        """Seconds until the next request could be admitted if nobody else were waiting."""
        now = self._clock.monotonic()
        wait = self._blocked_until - now
        if len(self._admitted) >= self._rate:
            wait = max(wait, self._admitted[-self._rate] + self.time_window - now)
        return max(0.0, wait)

    async def acquire(self) -> None:
        """Wait (first come, first served) until a request may be made, and record it."""
        if not self._waiters and self.wait_time() <= _EPSILON:
            self._admit()
            return
        me: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(me)
        try:
            if self._waiters[0] is not me:
                await me  # resolved when every earlier waiter has been admitted
            while (wait := self.wait_time()) > _EPSILON:
                await self._clock.sleep(wait)
        except BaseException:
            was_head = self._waiters[0] is me
            self._waiters.remove(me)
            if was_head:
                self._wake_head()
            raise
        self._waiters.popleft()
        self._admit()
        self._wake_head()

    def report_rate_limited(self, retry_after: float | None = None) -> None:
        """Tell the limiter the server rejected a request for its rate.

        Args:
            retry_after: seconds the server asked to wait, if it said; no request is admitted
                before then.
        """
        self._rate = max(self.min_requests, int(self._rate * self.decrease_factor))
        self._successes = 0
        self._last_change = self._clock.monotonic()
        self.block_for(retry_after)

    def block_for(self, seconds: float | None) -> None:
        """Admit nothing for ``seconds`` from now (no change of rate); ``None`` does nothing."""
        if seconds is not None and seconds > 0:
            until = self._clock.monotonic() + seconds
            self._blocked_until = max(self._blocked_until, until)

    def report_success(self) -> None:
        """Count one successful request towards recovering the rate."""
        if self._rate >= self.max_requests:
            return
        self._successes += 1
        if self._successes < (self.recovery_successes or self._rate):
            return
        now = self._clock.monotonic()
        # At most one step per window, so a burst of quick successes cannot undo a cut at once.
        if now - self._last_change >= self.time_window - _EPSILON:
            self._rate += 1
            self._successes = 0
            self._last_change = now

    async def __aenter__(self) -> AdaptiveRateLimiter:
        await self.acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.report_success()
        elif isinstance(exc, LocalRateLimitError):
            # Our own refusal says nothing about the server's rate: honour its wait only.
            self.block_for(exc.retry_after)
        elif isinstance(exc, RateLimitError):
            self.report_rate_limited(exc.retry_after)

    def __repr__(self) -> str:
        return (
            f"AdaptiveRateLimiter(current_rate={self._rate}, max_requests={self.max_requests}, "
            f"time_window={self.time_window:g}, waiting={len(self._waiters)})"
        )

    def _admit(self) -> None:
        self._admitted.append(self._clock.monotonic())

    def _wake_head(self) -> None:
        if self._waiters and not self._waiters[0].done():
            self._waiters[0].set_result(None)


class _EndpointSlot:
    """The ``async with`` object returned by :meth:`MultiEndpointRateLimiter.limit`."""

    def __init__(self, endpoint: AdaptiveRateLimiter, shared: AdaptiveRateLimiter | None) -> None:
        self._endpoint = endpoint
        self._shared = shared

    async def __aenter__(self) -> AdaptiveRateLimiter:
        # Endpoint first: a global slot is never spent on a call still waiting for its endpoint.
        await self._endpoint.acquire()
        if self._shared is not None:
            await self._shared.acquire()
        return self._endpoint

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._endpoint.__aexit__(exc_type, exc, tb)
        if self._shared is not None:
            await self._shared.__aexit__(exc_type, exc, tb)


class MultiEndpointRateLimiter:
    """One :class:`AdaptiveRateLimiter` per endpoint path, plus an optional global cap.

    Example:
        ``limiter = MultiEndpointRateLimiter({"/0/private/AddOrder": (15, 1.0)})`` then
        ``async with limiter.limit("/0/private/AddOrder"): ...``

    Paths not in ``limits`` each get their own limiter built from ``default``
    (:data:`DEFAULT_ENDPOINT_LIMIT`, 10 per second, unless given). With ``global_limit``,
    every call also takes a slot from one limiter shared by all paths. A rate-limit error
    raised inside ``limit(path)`` lowers both that path's rate and the global one.

    Args:
        limits: path -> ``(max_requests, time_window)``.
        default: ``(max_requests, time_window)`` for paths not listed.
        global_limit: ``(max_requests, time_window)`` shared by all paths, or ``None``.
        clock: time source for every limiter; defaults to the real clock.
    """

    def __init__(
        self,
        limits: Mapping[str, tuple[int, float]] | None = None,
        *,
        default: tuple[int, float] = DEFAULT_ENDPOINT_LIMIT,
        global_limit: tuple[int, float] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._clock: Clock = clock or SystemClock()
        self.default = default
        self._limiters = {
            path: AdaptiveRateLimiter(n, window, clock=self._clock)
            for path, (n, window) in (limits or {}).items()
        }
        self._global = (
            AdaptiveRateLimiter(global_limit[0], global_limit[1], clock=self._clock)
            if global_limit is not None
            else None
        )
        # Validate the default eagerly so a bad value fails at construction, not first use.
        AdaptiveRateLimiter(default[0], default[1], clock=self._clock)

    @property
    def global_limiter(self) -> AdaptiveRateLimiter | None:
        """The limiter shared by every path, if a global limit was given."""
        return self._global

    def limiter_for(self, path: str) -> AdaptiveRateLimiter:
        """Return the path's own limiter (created from ``default`` for unlisted paths)."""
        limiter = self._limiters.get(path)
        if limiter is None:
            limiter = AdaptiveRateLimiter(self.default[0], self.default[1], clock=self._clock)
            self._limiters[path] = limiter
        return limiter

    def limit(self, path: str) -> _EndpointSlot:
        """Return an async context manager admitting one request to ``path``."""
        return _EndpointSlot(self.limiter_for(path), self._global)

    def report_rate_limited(self, path: str, retry_after: float | None = None) -> None:
        """Report a server rejection for ``path`` (lowers that path's and the global rate)."""
        self.limiter_for(path).report_rate_limited(retry_after)
        if self._global is not None:
            self._global.report_rate_limited(retry_after)

"""A leaky-bucket counter: cost is added on each call and drains linearly over time."""

from __future__ import annotations

from src.core.clock import Clock, SystemClock

# Float rounding on values like 0.33/s must not turn "exactly at the maximum" into a wait.
_EPSILON = 1e-9


class DecayingCounter:
    """A counter that grows by each call's cost and decays at a constant rate towards zero.

    This is the model Kraken (and many other venues) use for request limits: every call adds
    its cost, the value drains by ``decay_per_second`` and a call is allowed while the value
    after adding its cost stays at or below ``maximum``. The counter itself never refuses:
    callers ask :meth:`cost_wait` first and decide whether to wait or refuse. All time comes
    from the injected clock.

    Args:
        maximum: the highest value the counter may reach after a call's cost is added.
        decay_per_second: how much the value drains per second (must be positive).
        clock: time source; defaults to the real clock.

    Raises:
        ValueError: ``maximum`` or ``decay_per_second`` is not positive.
    """

    def __init__(self, maximum: float, decay_per_second: float, clock: Clock | None = None) -> None:
        if maximum <= 0:
            raise ValueError(f"maximum must be positive, got {maximum!r}")
        if decay_per_second <= 0:
            raise ValueError(f"decay_per_second must be positive, got {decay_per_second!r}")
        self._maximum = float(maximum)
        self._decay = float(decay_per_second)
        self._clock: Clock = clock or SystemClock()
        self._value = 0.0
        self._stamp = self._clock.monotonic()

    @property
    def maximum(self) -> float:
        """The highest value a call may bring the counter to."""
        return self._maximum

    @property
    def decay_per_second(self) -> float:
        """How much the value drains per second."""
        return self._decay

    @property
    def value(self) -> float:
        """The counter's value now, after decay (never below zero)."""
        self._settle()
        return self._value

    def cost_wait(self, cost: float) -> float:
        """Return how many seconds until adding ``cost`` keeps the value at or below the maximum.

        Args:
            cost: the cost of the call about to be made (non-negative).

        Returns:
            0.0 when the call fits now, else the exact number of seconds of decay needed.

        Raises:
            ValueError: ``cost`` is negative or larger than ``maximum`` (it can never fit).
        """
        self._check_cost(cost)
        if cost > self._maximum + _EPSILON:
            raise ValueError(
                f"a cost of {cost:g} can never fit under a maximum of {self._maximum:g}"
            )
        excess = self.value + cost - self._maximum
        if excess <= _EPSILON:
            return 0.0
        return excess / self._decay

    def add(self, cost: float) -> None:
        """Add ``cost`` to the counter unconditionally (it may go above the maximum).

        Args:
            cost: the cost to add (non-negative).

        Raises:
            ValueError: ``cost`` is negative.
        """
        self._check_cost(cost)
        self._settle()
        self._value += cost

    def refund(self, cost: float) -> None:
        """Take back a cost added for a call that was never sent (floored at zero).

        Args:
            cost: the cost to remove (non-negative).

        Raises:
            ValueError: ``cost`` is negative.
        """
        self._check_cost(cost)
        self._settle()
        self._value = max(0.0, self._value - cost)

    def saturate(self) -> None:
        """Raise the value to (at least) the maximum, e.g. after the venue said it was hit."""
        self._settle()
        self._value = max(self._value, self._maximum)

    def raise_to(self, value: float) -> None:
        """Raise the value to ``value`` (capped at the maximum) if it is lower now.

        Used to resume a count kept elsewhere, such as the level before a restart: the venue's
        counter did not restart with the process.
        """
        self._settle()
        self._value = max(self._value, min(float(value), self._maximum))

    def reset(self) -> None:
        """Set the value back to zero."""
        self._stamp = self._clock.monotonic()
        self._value = 0.0

    def __repr__(self) -> str:
        return (
            f"DecayingCounter(value={self.value:.3f}, maximum={self._maximum:g}, "
            f"decay_per_second={self._decay:g})"
        )

    def _settle(self) -> None:
        now = self._clock.monotonic()
        elapsed = now - self._stamp
        if elapsed > 0:
            self._value = max(0.0, self._value - elapsed * self._decay)
            self._stamp = now

    @staticmethod
    def _check_cost(cost: float) -> None:
        if cost < 0:
            raise ValueError(f"cost must not be negative, got {cost!r}")

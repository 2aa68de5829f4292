"""Kraken's REST call counter and per-pair trading counters, as the adapter's request gate."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args

from src.brokers.kraken.constants import PUBLIC_METHODS
from src.brokers.kraken.rate_costs import (
    AGE_ROWS,
    DEFAULT_HISTORY_COST,
    DEFAULT_REST_COST,
    DEFAULT_SAFETY_MARGIN,
    HISTORY_METHODS,
    TIERS,
    TRADE_COSTS,
    TRADING_COUNTER_METHODS,
    TierLimits,
    TradeAction,
    trading_cost,
)
from src.brokers.kraken.settings import KrakenSettings
from src.core.clock import Clock, SystemClock
from src.core.errors import (
    ConfigurationError,
    LocalRateLimitError,
    OrdersLimitError,
    RateLimitError,
    TradingRateLimitError,
)
from src.utils.decaying_counter import DecayingCounter

__all__ = [
    "AGE_ROWS",
    "DEFAULT_HISTORY_COST",
    "DEFAULT_SAFETY_MARGIN",
    "TIERS",
    "TRADE_COSTS",
    "TRADING_COUNTER_METHODS",
    "KrakenRateLimitSettings",
    "KrakenRateLimits",
    "TierLimits",
    "TradeAction",
    "trading_cost",
]

Mode = Literal["wait", "refuse"]
# Float rounding must not turn "exactly when blocked ends" into another tiny sleep.
_EPSILON = 1e-9
#: The rate-limit settings are fields of the one ``KrakenSettings`` (tier, rate_limit_mode,
#: history_call_cost, rate_limit_margin); the old name stays for code that imports it.
KrakenRateLimitSettings = KrakenSettings


class KrakenRateLimits:
    """Kraken's REST and per-pair trading counters; implements the adapter's ``RequestGate``.

    Before each REST call the call's cost must fit under the REST counter's maximum, and before
    each order call its cost (fixed + order-age penalty) under the pair's trading threshold.
    In ``wait`` mode the call sleeps exactly as long as the counter needs to decay; in
    ``refuse`` mode it raises :class:`~src.core.errors.LocalRateLimitError` whose
    ``retry_after`` says how long to wait. Concurrent callers waiting on the same counter are
    let through one at a time, first come first served.

    Args:
        tier: verification tier: ``starter``, ``intermediate`` or ``pro``.
        mode: ``wait`` or ``refuse``.
        clock: time source (``ManualClock`` in tests); defaults to the real clock.
        costs: REST method -> cost, overriding the defaults (e.g. ``{"Ledgers": 4}``).
        limits: replaces the tier's numbers (e.g. to model a scaled exchange in tests).
        safety_margin: seconds of decay kept in hand below each limit (default 0.1 s), so a
            request whose network latency varies from the previous one's still arrives under
            the limit. It shrinks only the first burst (by ``margin x decay`` points); the
            steady rate stays the counter's decay rate. 0 waits exactly to the limit.

    Raises:
        ConfigurationError: unknown tier or mode, or a negative cost.
    """

    def __init__(
        self,
        tier: str = "starter",
        mode: str = "wait",
        clock: Clock | None = None,
        costs: Mapping[str, float] | None = None,
        *,
        limits: TierLimits | None = None,
        safety_margin: float = DEFAULT_SAFETY_MARGIN,
    ) -> None:
        tier = tier.strip().lower()
        if tier not in TIERS:
            raise ConfigurationError(f"unknown Kraken tier {tier!r}; expected one of {list(TIERS)}")
        if mode not in get_args(Mode):
            raise ConfigurationError(
                f"unknown rate-limit mode {mode!r}; expected 'wait' or 'refuse'"
            )
        if safety_margin < 0:
            raise ConfigurationError(f"safety_margin must not be negative, got {safety_margin!r}")
        self.tier = tier
        self.mode = mode
        self.safety_margin = safety_margin
        self.limits = limits or TIERS[tier]
        self._clock: Clock = clock or SystemClock()
        self._costs = {name: DEFAULT_HISTORY_COST for name in HISTORY_METHODS}
        self._costs.update(dict.fromkeys(TRADING_COUNTER_METHODS, 0.0))
        for name, cost in (costs or {}).items():
            if cost < 0:
                raise ConfigurationError(f"cost of {name} must not be negative, got {cost!r}")
            self._costs[name] = float(cost)
        self.rest_counter = DecayingCounter(
            self.limits.rest_max, self.limits.rest_decay, self._clock
        )
        self._trading: dict[str, DecayingCounter] = {}
        self._rest_blocked_until = float("-inf")
        self._pair_blocked_until: dict[str, float] = {}
        self._all_blocked_until = float("-inf")
        self._rest_lock = asyncio.Lock()
        self._trade_locks: dict[str, asyncio.Lock] = {}
        self._listeners: list[Callable[[], object]] = []

    @classmethod
    def from_env(
        cls, clock: Clock | None = None, settings: KrakenSettings | None = None
    ) -> KrakenRateLimits:
        """Build the gate from Kraken settings (the adapter's default gate).

        Uses ``settings.tier``, ``rate_limit_mode``, ``history_call_cost`` and
        ``rate_limit_margin``; without ``settings`` they are read now from the environment
        and ``.env`` (``KRAKEN_TIER``, ``KRAKEN_RATE_LIMIT_MODE``...).

        Raises:
            ConfigurationError: a variable holds an invalid value (the message names it).
        """
        if settings is None:
            settings = KrakenSettings()
        costs = dict.fromkeys(HISTORY_METHODS, settings.history_call_cost)
        return cls(
            settings.tier,
            settings.rate_limit_mode,
            clock,
            costs,
            safety_margin=settings.rate_limit_margin,
        )

    def rest_cost(self, method: str) -> float:
        """Return what ``method`` (e.g. ``"Balance"``) adds to the REST counter.

        Order calls cost 0 (they count on the trading counter) and so do public calls: those
        are limited per IP, not by the per-key REST counter.
        """
        if method in PUBLIC_METHODS and method not in self._costs:
            return 0.0
        return self._costs.get(method, DEFAULT_REST_COST)

    def snapshot(self) -> dict[str, Any]:
        """The counters' levels now, stamped with the clock's wall time (see ``restore``)."""
        pairs = {name: c.value for name, c in self._trading.items()}
        return {
            "at": self._clock.now().timestamp(),
            "rest": self.rest_counter.value,
            "pairs": {name: level for name, level in pairs.items() if level > 0},
        }

    def restore(self, snapshot: Mapping[str, Any], unseen_seconds: float = 0.0) -> bool:
        """Resume the counters from a ``snapshot`` taken before a restart.

        Kraken's counters do not restart with the process: a bot that comes back with empty
        counters spends at once what the exchange still counts and is refused. Each level is
        decayed for the time since the snapshot, less ``unseen_seconds`` (the calls made after
        the snapshot and before a crash are unknown; at most the decay rate's worth per second
        could have been spent in that time). Levels only go up: a restore never forgets a
        call made since this process started.

        Returns:
            False, changing nothing, when the snapshot is not one ``snapshot`` wrote.
        """
        try:
            elapsed = self._clock.now().timestamp() - float(snapshot["at"])
            rest = float(snapshot["rest"])
            pairs = {str(k): float(v) for k, v in dict(snapshot.get("pairs", {})).items()}
        except (KeyError, TypeError, ValueError):
            return False
        decayed = max(0.0, elapsed - max(0.0, unseen_seconds))
        self.rest_counter.raise_to(rest - decayed * self.limits.rest_decay)
        for name, level in pairs.items():
            self.trading_counter(name).raise_to(level - decayed * self.limits.trade_decay)
        return True

    def trading_counter(self, pair: str) -> DecayingCounter:
        """Return the trading counter of ``pair`` (Kraken altname, e.g. ``"XBTUSD"``)."""
        counter = self._trading.get(pair)
        if counter is None:
            counter = DecayingCounter(
                self.limits.trade_threshold, self.limits.trade_decay, self._clock
            )
            self._trading[pair] = counter
        return counter

    async def before_rest(self, method: str) -> None:
        """Wait for, or refuse, a REST call according to its cost on the REST counter.

        Raises:
            LocalRateLimitError: in refuse mode, when the call would exceed the counter.
        """
        cost = self.rest_cost(method)
        if cost == 0:
            return

        def wait() -> float:
            blocked = self._blocked(max(self._rest_blocked_until, self._all_blocked_until))
            return max(self._cost_wait(self.rest_counter, cost), blocked)

        await self._pass(
            self.rest_counter, lambda: cost, wait, self._rest_lock, f"REST call {method}"
        )

    async def before_trade(
        self,
        pair: str,
        action: str,
        order_age: float | None = None,
        count: int = 1,
        open_orders: int = 0,
    ) -> None:
        """Wait for, or refuse, an order call according to its cost on the pair's trading counter.

        Args:
            pair: Kraken altname, e.g. ``"XBTUSD"``.
            action: ``add``, ``amend``, ``edit``, ``cancel``, ``batch_add`` or ``batch_cancel``.
            order_age: seconds since the order was created or last amended, now (``None``
                charges the < 5 s row). While waiting, the order ages: the call goes out as
                soon as the counter fits the cost of the age row it has reached then.
            count: number of orders in a batch call.
            open_orders: orders open on ``pair`` now (the adapter's open-order registry).

        Raises:
            LocalRateLimitError: in refuse mode, when the call would exceed the threshold.
            OrdersLimitError: an add would exceed the tier's open orders per pair.
            ValueError: unknown action, or a single call whose cost exceeds the threshold.
        """
        trading_cost(action, order_age, count)  # validates action, age and count up front
        if action in ("add", "batch_add"):
            self._check_open_orders(pair, count, open_orders)
        counter = self.trading_counter(pair)
        start = self._clock.monotonic()

        def age_now() -> float | None:
            # The order keeps ageing while we wait, and older orders cost less to change.
            return None if order_age is None else order_age + self._clock.monotonic() - start

        def wait() -> float:
            until = self._pair_blocked_until.get(pair, float("-inf"))
            blocked = self._blocked(max(until, self._all_blocked_until))
            return max(self._trade_wait(counter, action, age_now(), count), blocked)

        lock = self._trade_locks.setdefault(pair, asyncio.Lock())
        await self._pass(
            counter,
            lambda: trading_cost(action, age_now(), count),
            wait,
            lock,
            f"{action} on {pair}",
        )

    def on_rate_limited(self, error: RateLimitError, pair: str | None = None) -> None:
        """Saturate the counter the venue says was exceeded and honour its ``retry_after``.

        ``EOrder:Rate limit exceeded`` saturates the pair's trading counter (every known pair's
        when ``pair`` is not given); ``EAPI:Rate limit exceeded`` and ``EService:Throttled``
        saturate the REST counter. Our own ``LocalRateLimitError`` is ignored.
        """
        if isinstance(error, LocalRateLimitError):
            return
        until = self._clock.monotonic() + (error.retry_after or 0.0)
        text = f"{error.raw or ''} {error.message}"
        if isinstance(error, TradingRateLimitError) or "EOrder:Rate limit" in text:
            pairs = [pair] if pair is not None else list(self._trading)
            for name in pairs:
                self.trading_counter(name).saturate()
                previous = self._pair_blocked_until.get(name, float("-inf"))
                self._pair_blocked_until[name] = max(previous, until)
            self._changed()
            return
        self.rest_counter.saturate()
        self._rest_blocked_until = max(self._rest_blocked_until, until)
        if "Throttled" in text:
            # Too many concurrent requests: nothing at all goes out before the venue's time.
            self._all_blocked_until = max(self._all_blocked_until, until)
        self._changed()

    def add_listener(self, listener: Callable[[], object]) -> None:
        """Call ``listener()`` after every change of a counter (a call let through, a refusal).

        The call is counted before it is sent, so a listener that records the levels (see
        ``src.app.rest_budget.GateMemory``) never misses a call a crash interrupted.
        """
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def __repr__(self) -> str:
        return (
            f"KrakenRateLimits(tier={self.tier!r}, mode={self.mode!r}, "
            f"rest={self.rest_counter.value:.2f}/{self.limits.rest_max:g})"
        )

    def _cost_wait(self, counter: DecayingCounter, cost: float) -> float:
        # Keeping a margin below the limit is the same as asking for a larger cost.
        padded = cost + self.safety_margin * counter.decay_per_second
        return counter.cost_wait(max(cost, min(padded, counter.maximum)))

    def _trade_wait(
        self, counter: DecayingCounter, action: str, age: float | None, count: int
    ) -> float:
        """Seconds until the call fits, letting the order age into cheaper rows meanwhile."""

        def needed(at_age: float | None) -> float:
            # Kraken accepts a batch cancel even when it pushes the counter over the
            # threshold, so it only waits for the counter to be back at the threshold.
            return 0.0 if action == "batch_cancel" else trading_cost(action, at_age, count)

        best = self._cost_wait(counter, needed(age))
        if age is not None:
            for bound in AGE_ROWS:
                if bound > age and best > bound - age:
                    best = min(best, max(bound - age, self._cost_wait(counter, needed(bound))))
        return best

    def _blocked(self, until: float) -> float:
        remaining = until - self._clock.monotonic()
        return remaining if remaining > _EPSILON else 0.0

    def _check_open_orders(self, pair: str, count: int, open_orders: int) -> None:
        limit = self.limits.max_open_orders
        if open_orders + count > limit:
            raise OrdersLimitError(
                f"refused locally: {pair} already has {open_orders} open orders and "
                f"the {self.tier} tier allows {limit} per pair; cancel some first"
            )

    async def _pass(
        self,
        counter: DecayingCounter,
        cost: Callable[[], float],
        wait: Callable[[], float],
        lock: asyncio.Lock,
        label: str,
    ) -> None:
        if self.mode == "refuse":
            seconds = wait()
            if seconds > 0:
                which = "REST call counter" if counter is self.rest_counter else "trading counter"
                raise LocalRateLimitError(
                    f"refused locally: {label} would exceed Kraken's {which} "
                    f"({self.tier} tier); retry in {seconds:.2f} s",
                    retry_after=seconds,
                )
            counter.add(cost())
            self._changed()
            return
        # One waiter per counter at a time, first come first served; the others queue on the
        # lock. The wait is recomputed after each sleep because a venue rejection may have
        # saturated the counter meanwhile.
        async with lock:
            while (seconds := wait()) > 0:
                await self._clock.sleep(seconds)
            counter.add(cost())
            self._changed()

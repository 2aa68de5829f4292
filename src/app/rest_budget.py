"""How often a Kraken session may run its routine calls within the tier's REST budget.

Kraken refuses calls once the REST counter is full (``EAPI:Rate limit exceeded``), and the
counter is the exchange's, not the process's: a bot that spends its whole budget on routine
reconciles leaves nothing for a restart, which then waits for the counter to drain before it
can even check its orders (measured on the starter tier: a reconcile every 10 s costs about
4 points against 3.3 of decay, so the counter stayed full, and a restarted bot had not traded
45 s later). Routine calls therefore get a fixed share of the decay rate, the rest is headroom.
"""

from __future__ import annotations

from typing import Any, Protocol

import structlog

from src.brokers.kraken.limits.gate import RequestGate

log = structlog.get_logger(__name__)

#: What one routine reconcile asks: OpenOrders, TradesHistory, BalanceEx, plus one lookup.
RECONCILE_CALLS = ("OpenOrders", "TradesHistory", "BalanceEx", "QueryOrders")
#: Share of the counter's decay the periodic reconcile may use on its own.
RECONCILE_SHARE = 0.25


def reconcile_points(gate: RequestGate) -> float:
    """Counter points one routine reconcile costs on ``gate`` (0 for a gate that counts none)."""
    cost = getattr(gate, "rest_cost", None)
    if cost is None:
        return 0.0
    return float(sum(cost(method) for method in RECONCILE_CALLS))


def reconcile_interval(configured: float, gate: RequestGate, clock_factor: float = 1.0) -> float:
    """The reconcile period to use: ``configured``, or longer if the tier cannot afford it.

    Args:
        configured: the period the session asked for, in seconds of the runtime's clock.
        gate: the adapter's request gate; only Kraken's counters (``limits.rest_decay``)
            constrain the period, any other gate leaves ``configured`` as it is.
        clock_factor: gate-clock seconds per runtime-clock second (a paper exchange replayed
            on a ``ScaledClock`` decays its counter that much faster).

    Returns:
        Seconds between reconciles such that they use at most ``RECONCILE_SHARE`` of the
        counter's decay.
    """
    limits = getattr(gate, "limits", None)
    decay = float(getattr(limits, "rest_decay", 0.0) or 0.0)
    points = reconcile_points(gate)
    if decay <= 0 or points <= 0 or clock_factor <= 0:
        return configured
    return max(configured, points / (decay * clock_factor * RECONCILE_SHARE))


class KeyValue(Protocol):
    """The part of the runtime's ``OrderStore`` the memory uses."""

    def put(self, key: str, value: Any) -> None:
        """Store a JSON value."""
        ...

    def get(self, key: str, default: Any = None) -> Any:
        """Return a stored JSON value, or ``default``."""
        ...


class GateMemory:
    """Keeps the adapter's rate-limit counters in the runtime's database across restarts.

    Saved after every counted call (the gate tells its listeners before the call is sent)
    and as a runtime heartbeat; restored before the first call of the next session, so a bot
    restarted after a crash does not spend at once what the exchange still counts (and get
    refused, and wait for the whole counter to drain). On starter that is at most one write
    every 3 s in steady state, a dozen at start.

    Args:
        gate: the adapter's gate; anything without ``snapshot``/``restore`` is left alone.
        store: where the snapshot lives (the runtime's ``OrderStore``).
        unseen_seconds: seconds before a crash whose spending may be missing from the last
            save (no decay is assumed for them).
    """

    KEY = "kraken_rate_counters"

    def __init__(self, gate: RequestGate, store: KeyValue, unseen_seconds: float) -> None:
        self.gate, self.store, self.unseen_seconds = gate, store, unseen_seconds
        add_listener = getattr(gate, "add_listener", None)
        if add_listener is not None:
            add_listener(self.save)

    def restore(self) -> bool:
        """Resume the counters saved by the last session; False if there was nothing to use."""
        restore = getattr(self.gate, "restore", None)
        saved = self.store.get(self.KEY)
        if restore is None or not isinstance(saved, dict):
            return False
        resumed = bool(restore(saved, self.unseen_seconds))
        if resumed:
            log.info("rate_counters.restored", snapshot=saved)
        return resumed

    def save(self) -> None:
        """Write the counters' levels now."""
        snapshot = getattr(self.gate, "snapshot", None)
        if snapshot is not None:
            self.store.put(self.KEY, snapshot())

    async def __call__(self) -> None:
        """Save, as a runtime heartbeat."""
        self.save()

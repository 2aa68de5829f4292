"""The seeded fault plan: process kills and restarts at random points, and the proxy's rates."""

from __future__ import annotations

import random
from dataclasses import dataclass

from src.app.soak.config import SoakConfig

RUNTIME_KILL = "runtime_kill9"
EXCHANGE_KILL = "exchange_kill9"
EXCHANGE_TERM = "exchange_restart"
PROCESS_EVENTS = (RUNTIME_KILL, EXCHANGE_KILL, EXCHANGE_TERM)
#: Real seconds kept clear between two process events, so each restart's audit can finish.
MIN_GAP_REAL = 12.0


@dataclass(frozen=True)
class ProcessEvent:
    """Kill (or stop) one process ``at`` exchange seconds into the run; ``down`` real seconds."""

    at: float
    kind: str
    down: float


@dataclass(frozen=True)
class FaultRates:
    """Per-request and per-second odds of each proxy fault (0 everywhere = no faults).

    Attributes:
        lost_reply: private REST call forwarded, executed, then the connection dropped.
        http_5xx: answered 500/502/503/504 without forwarding.
        unavailable: answered ``EService:Unavailable`` without forwarding.
        slow: forwarded, then the reply trickles out over ``slow_max`` real seconds at most
            (past the adapter's deadline sometimes).
        truncated: forwarded, then half the body sent as a complete 200 reply.
        ws_lost_reply: a WS order request forwarded, then the socket closed before its reply.
        ws_drop_per_s: per connection, odds per real second that the proxy closes the socket.
        ws_malformed_per_s: per connection, odds per real second of a malformed frame.
    """

    lost_reply: float = 0.0
    http_5xx: float = 0.0
    unavailable: float = 0.0
    slow: float = 0.0
    truncated: float = 0.0
    ws_lost_reply: float = 0.0
    ws_drop_per_s: float = 0.0
    ws_malformed_per_s: float = 0.0
    slow_max: float = 14.0


def fault_rates(cfg: SoakConfig) -> FaultRates:
    """The proxy's rates for ``cfg`` (none when faults are off)."""
    if not cfg.faults:
        return FaultRates()
    k = cfg.fault_scale
    return FaultRates(
        lost_reply=0.01 * k,
        http_5xx=0.004 * k,
        unavailable=0.004 * k,
        slow=0.002 * k,
        truncated=0.003 * k,
        ws_lost_reply=0.01 * k,
        ws_drop_per_s=0.012 * k,
        ws_malformed_per_s=0.03 * k,
    )


def process_plan(cfg: SoakConfig, rng: random.Random) -> list[ProcessEvent]:
    """Kills and restarts at random points, at least one of each kind when faults are on.

    Times are drawn uniformly over the run (past its first simulated hour and before its
    last ``MIN_GAP_REAL`` seconds), then pushed apart so that events are ``MIN_GAP_REAL``
    real seconds apart at least.
    """
    if not cfg.faults:
        return []
    days = cfg.days
    counts = {
        RUNTIME_KILL: max(1, round(cfg.runtime_kills_per_day * days)),
        EXCHANGE_KILL: max(1, round(cfg.exchange_restarts_per_day * days / 2)),
        EXCHANGE_TERM: max(1, round(cfg.exchange_restarts_per_day * days / 2)),
    }
    gap = MIN_GAP_REAL * cfg.speed
    lo, hi = min(3600.0, cfg.sim_seconds / 10), cfg.sim_seconds - gap
    kinds = [kind for kind, n in counts.items() for _ in range(n)]
    rng.shuffle(kinds)
    room = max(0, int((hi - lo) // gap))
    kinds = kinds[:room]  # a run too short for every event keeps as many as fit
    slots = sorted(rng.sample(range(room), len(kinds))) if kinds else []
    events = []
    for kind, slot in zip(kinds, slots, strict=True):
        at = lo + slot * gap + rng.uniform(0, gap / 2)
        events.append(ProcessEvent(at, kind, _downtime(kind, cfg, rng)))
    return events


def _downtime(kind: str, cfg: SoakConfig, rng: random.Random) -> float:
    """Real seconds a process stays down: some runtime outages outlast the dead man's timeout."""
    if kind == RUNTIME_KILL:
        if rng.random() < 0.35:  # long enough for the exchange to cancel everything itself
            return cfg.dead_man_real_seconds + rng.uniform(2, 8)
        return rng.uniform(0.2, 6)
    return rng.uniform(0.2, 3)

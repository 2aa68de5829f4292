"""The soak run's settings: what the command line sets and what follows from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: Kraken refuses a CancelAllOrdersAfter timeout of a day or more.
MAX_DEAD_MAN_TIMEOUT = 86_399
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class SoakConfig:
    """One soak run.

    Attributes:
        days: simulated days to run (exchange clock).
        seed: seeds the fault plan, the proxy's dice, the strategy and the keys.
        pairs: pairs the runtime trades.
        speed: exchange seconds per real second (market replay and clock alike).
        workdir: where databases, logs and process output go (emptied first).
        faults: inject faults (proxy faults and process kills); off = a clean run.
        interval_minutes: the churn strategy's candle interval.
        heartbeat_seconds: real seconds between the runtime's heartbeats (dead man re-arms).
        dead_man_real_seconds: the dead man's timeout in real seconds (sent in exchange seconds).
        reconcile_seconds: the runtime's reconcile period, real seconds.
        tier: Kraken verification tier modelled by the exchange and the adapter's gate.
        runtime_kills_per_day: mean runtime kill -9s per simulated day.
        exchange_restarts_per_day: mean exchange restarts (half kill -9, half SIGTERM) per day.
        fault_scale: multiplies every proxy fault rate.
        capital_per_pair: quote currency per pair the strategy trades with.
    """

    days: float = 30.0
    seed: int = 1
    pairs: tuple[str, ...] = ("BTC/USD", "ETH/USD", "SOL/USD")
    speed: float = 1800.0
    workdir: Path = field(default_factory=lambda: Path("soak-run"))
    faults: bool = True
    interval_minutes: int = 15
    heartbeat_seconds: float = 4.0
    dead_man_real_seconds: float = 24.0
    reconcile_seconds: float = 10.0
    tier: str = "starter"
    runtime_kills_per_day: float = 0.3
    exchange_restarts_per_day: float = 0.15
    fault_scale: float = 1.0
    capital_per_pair: int = 200

    @property
    def sim_seconds(self) -> float:
        """Length of the run on the exchange's clock."""
        return self.days * SECONDS_PER_DAY

    @property
    def dead_man_timeout(self) -> int:
        """The dead man's timeout in exchange seconds (what CancelAllOrdersAfter is sent)."""
        return min(MAX_DEAD_MAN_TIMEOUT, int(self.dead_man_real_seconds * self.speed))

    @property
    def real_seconds(self) -> float:
        """Expected real duration of the trading part (restarts and audits come on top)."""
        return self.sim_seconds / self.speed

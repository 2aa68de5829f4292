"""What a soak run has seen so far: restarts, outages, audits, memory, restart latency."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from src.app.soak.audit import AuditResult
from src.app.soak.config import SECONDS_PER_DAY, SoakConfig
from src.app.soak.metrics import MemoryTrack, RestartLatency


@dataclass
class SoakState:
    """Everything the run has seen so far (read by the progress and summary lines)."""

    cfg: SoakConfig
    started_real: float = field(default_factory=time.monotonic)
    t0: float = 0.0
    sim: float = 0.0
    runtime_restarts: int = 0
    exchange_restarts: int = 0
    unexpected_exits: list[str] = field(default_factory=list)
    outages: list[tuple[float, float]] = field(default_factory=list)
    audits: list[AuditResult] = field(default_factory=list)
    rss_runtime: MemoryTrack = field(default_factory=MemoryTrack)
    rss_exchange: MemoryTrack = field(default_factory=MemoryTrack)
    latency: RestartLatency = field(default_factory=RestartLatency)
    clock_flag: bool = False

    @property
    def day(self) -> float:
        """Simulated days since the start."""
        return self.sim / SECONDS_PER_DAY

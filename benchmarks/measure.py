"""Shared measurement helpers: alternate ours and the peer, medians, CPU, the machine's load.

The machine is small (2 cores) and shared, so every side-by-side benchmark runs ours and the
peer in turns within one run (``alternate``), reports medians over the repetitions, and prints
the load average it ran under (``load_line``), so a figure can be read against its conditions.
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


def load_line() -> str:
    """``load 1.92 2.33 2.34 on 2 cores``: what else the machine was doing."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def cpu_seconds() -> float:
    """User + system CPU of this process (not of a server running in another process)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Samples:
    """Repeated measurements of one client, one value per repetition."""

    name: str
    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median of the repetitions."""
        return statistics.median(self.values)

    def spread(self) -> str:
        """``min-max`` of the repetitions, for the reader to judge the noise."""
        return f"{min(self.values):.3g}-{max(self.values):.3g}"


def alternate(runs: Sequence[tuple[str, Callable[[], float]]], repeat: int) -> list[Samples]:
    """Run each ``(name, run)`` once per round, ``repeat`` rounds, the order swapped each round.

    Alternating (ours, peer, peer, ours, ...) spreads the other engineers' load over both.
    """
    samples = [Samples(name) for name, _ in runs]
    for round_no in range(repeat):
        order = list(range(len(runs)))
        if round_no % 2:
            order.reverse()
        for index in order:
            samples[index].values.append(runs[index][1]())
    return samples


def timed(run: Callable[[], T]) -> tuple[float, float, T]:
    """Wall seconds, CPU seconds and result of ``run()``."""
    cpu, wall = cpu_seconds(), time.perf_counter()
    result = run()
    return time.perf_counter() - wall, cpu_seconds() - cpu, result

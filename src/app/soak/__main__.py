"""``python -m src.app.soak --days 30 --seed 1``: the soak test; exit status 1 if a check fails.

Prints a line per simulated day, every restart's audit, each failed check, and finally one
summary line (``SOAK PASS ...`` or ``SOAK FAIL ...``). docs/soak.md explains the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from src.app.soak.config import SoakConfig
from src.app.soak.report import summary_line
from src.app.soak.runner import SoakRun


def parse_args(argv: list[str] | None = None) -> SoakConfig:
    """The command line as a ``SoakConfig``."""
    d = SoakConfig()
    p = argparse.ArgumentParser(prog="python -m src.app.soak", description=__doc__)
    p.add_argument("--days", type=float, default=d.days, help="simulated days")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--pairs", nargs="+", default=list(d.pairs))
    p.add_argument("--speed", type=float, default=d.speed, help="exchange seconds per second")
    p.add_argument("--workdir", type=Path, default=d.workdir, help="emptied first")
    p.add_argument("--no-faults", action="store_true", help="no proxy faults, no kills")
    p.add_argument("--fault-scale", type=float, default=d.fault_scale)
    p.add_argument("--interval", type=int, default=d.interval_minutes, help="candle minutes")
    p.add_argument("--reconcile", type=float, default=d.reconcile_seconds, help="real seconds")
    p.add_argument("--tier", choices=["starter", "intermediate", "pro"], default=d.tier)
    a = p.parse_args(argv)
    if len(a.pairs) < 1 or a.days <= 0 or a.speed <= 0:
        p.error("need at least one pair, positive --days and --speed")
    return SoakConfig(
        days=a.days, seed=a.seed, pairs=tuple(a.pairs), speed=a.speed, workdir=a.workdir,
        faults=not a.no_faults, fault_scale=a.fault_scale, interval_minutes=a.interval,
        tier=a.tier, reconcile_seconds=a.reconcile,
    )  # fmt: skip


async def main(argv: list[str] | None = None) -> int:
    """Run the soak, print the summary line; 0 when every check held."""
    cfg = parse_args(argv)
    print(
        f"soak: {cfg.days:g} simulated days on {', '.join(cfg.pairs)} at {cfg.speed:g}x "
        f"(about {cfg.real_seconds / 60:.0f} min of trading), seed {cfg.seed}, "
        f"faults {'on' if cfg.faults else 'off'}, workdir {cfg.workdir}",
        flush=True,
    )
    run = SoakRun(cfg, say=lambda line: print(line, flush=True))
    state = await run.run()
    for audit in state.audits:
        for check in audit.failures():
            print(f"FAILED [{audit.kind}] {check.name}: {check.detail}", flush=True)
    line = summary_line(state, run.final_records, run.proxy)
    print(line, flush=True)
    return 0 if line.startswith("SOAK PASS") else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
